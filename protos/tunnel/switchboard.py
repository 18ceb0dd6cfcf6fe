"""`Switchboard`: the proxy-server's relay rules, as a pure state machine.

It joins frontends (gRPC `Proxy` streams, HTTP CONNECT sockets, the in-process user-server) to
backends (agent `Connect` streams). It owns pending dials (by dial id) and connections (by the
agent's connectID), and answers each input with a list of `Outgoing` instructions that the
transports carry out. Which backend serves an address is decided by the injected
`choose_backend`; this module only keeps the protocol's promises:

* every dial ends in exactly one DIAL_RSP to its frontend (success, agent error, no agent,
  timeout, agent gone), and a dial the frontend abandons is cancelled at the agent (DIAL_CLS)
  or, if it completes anyway, closed there (CLOSE_REQ): nothing leaks on the agent;
* every connection ends in exactly one CLOSE_RSP to its frontend, unless the frontend left;
* frontends see connection ids of their own, so one frontend may hold connections to several
  agents whose connectIDs collide (upstream frontends never notice: they echo what DIAL_RSP gave).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Set
from dataclasses import dataclass, field
from typing import Final

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.errors import RemoteProtocolError
from protos.tunnel.states import ConnState, Input, next_state

BackendId = Hashable
FrontendId = int

# ANP parity for the reasons frontends see.
NO_AGENT: Final = "No agent available"
DIAL_TIMEOUT: Final = "timed out waiting for backend dial"
AGENT_GONE: Final = "agent disconnected"
BACKEND_NOT_INITIALIZED: Final = "backend not initialized"

ChooseBackend = Callable[[str, Set[BackendId]], BackendId | None]
"""`(address, draining backends) -> backend or None`: routing strategies live outside."""


@dataclass(frozen=True, slots=True)
class ToAgent:
    backend: BackendId
    packet: Packet


@dataclass(frozen=True, slots=True)
class ToFrontend:
    frontend: FrontendId
    packet: Packet


@dataclass(frozen=True, slots=True)
class EndFrontend:
    """A single-use frontend's one connection is over: end its stream after flushing."""

    frontend: FrontendId


Outgoing = ToAgent | ToFrontend | EndFrontend


@dataclass(eq=False, slots=True)
class _Route:
    """One connection (or dial) from a frontend through a backend."""

    frontend: FrontendId | None  # None once the frontend left and we await the agent's CLOSE_RSP
    backend: BackendId
    dial_id: int
    address: str
    state: ConnState = ConnState.DIALING
    agent_conn: int = 0
    frontend_conn: int = 0


@dataclass(slots=True)
class _Frontend:
    single_use: bool
    next_conn: int = 1
    dialled: bool = False
    conns: dict[int, _Route] = field(default_factory=dict)
    dials: dict[int, _Route] = field(default_factory=dict)


class Switchboard:
    def __init__(self, choose_backend: ChooseBackend) -> None:
        self._choose = choose_backend
        self._frontends: dict[FrontendId, _Frontend] = {}
        self._next_frontend: FrontendId = 1
        self._backends: dict[BackendId, set[_Route]] = {}
        self._draining: set[BackendId] = set()
        self._pending: dict[int, _Route] = {}
        self._by_agent: dict[tuple[BackendId, int], _Route] = {}

    # -- counters for metrics and leak tests ---------------------------------------------------
    @property
    def pending_dials(self) -> int:
        return len(self._pending)

    @property
    def connections(self) -> int:
        return len(self._by_agent)

    @property
    def frontends(self) -> int:
        return len(self._frontends)

    @property
    def backends(self) -> int:
        return len(self._backends)

    @property
    def draining(self) -> Set[BackendId]:
        return self._draining

    # -- membership ----------------------------------------------------------------------------
    def add_backend(self, backend: BackendId) -> None:
        self._backends.setdefault(backend, set())

    def remove_backend(self, backend: BackendId) -> list[Outgoing]:
        """The agent stream is gone: fail its dials and close its connections at once (upstream
        leaves pending dials to a 30 s client timeout)."""
        out: list[Outgoing] = []
        self._draining.discard(backend)
        for route in self._backends.pop(backend, set()):
            if route.state is ConnState.DIALING:
                self._pending.pop(route.dial_id, None)
                self._fail_dial(route, f"{AGENT_GONE} during the dial", out)
            else:
                self._by_agent.pop((backend, route.agent_conn), None)
                self._close_for_frontend(route, AGENT_GONE, out)
        return out

    def add_frontend(self, *, single_use: bool = True) -> FrontendId:
        """Register a frontend; single-use (upstream gRPC) means one connection per stream."""
        frontend = self._next_frontend
        self._next_frontend += 1
        self._frontends[frontend] = _Frontend(single_use=single_use)
        return frontend

    def remove_frontend(self, frontend: FrontendId) -> list[Outgoing]:
        """The frontend left: cancel its dials at the agents and close its connections there."""
        out: list[Outgoing] = []
        state = self._frontends.pop(frontend, None)
        if state is None:
            return out
        for route in state.dials.values():
            self._pending.pop(route.dial_id, None)
            self._forget(route)
            out.append(ToAgent(route.backend, packets.close_dial(route.dial_id)))
        for route in state.conns.values():
            route.frontend = None
            if route.state is ConnState.OPEN:
                route.state = ConnState.CLOSING
                out.append(ToAgent(route.backend, packets.close_request(route.agent_conn)))
        return out

    # -- input from frontends ------------------------------------------------------------------
    def frontend_packet(self, frontend: FrontendId, packet: Packet) -> list[Outgoing]:
        packets.check_payload(packet)
        state = self._frontends.get(frontend)
        if state is None:
            return []  # raced with remove_frontend
        kind = packet.type
        if kind == packets.DATA:
            return self._frontend_data(frontend, state, packet)
        if kind == packets.DIAL_REQ:
            return self._frontend_dial(frontend, state, packet)
        if kind == packets.CLOSE_REQ:
            return self._frontend_close(frontend, state, packet.closeRequest.connectID)
        if kind == packets.DIAL_CLS:
            return self._frontend_cancel(frontend, state, packet.closeDial.random)
        raise RemoteProtocolError(
            f"a frontend sent {packets.type_name(kind)}, which only agents send"
        )

    def _frontend_dial(
        self, frontend: FrontendId, state: _Frontend, packet: Packet
    ) -> list[Outgoing]:
        req = packet.dialRequest
        dial_id = req.random
        reject = self._dial_rejection(state, dial_id)
        if reject:
            return self._reject_dial(frontend, state, dial_id, reject)
        backend = self._choose(req.address, self._draining)
        if backend is None or backend not in self._backends:
            return self._reject_dial(frontend, state, dial_id, NO_AGENT)
        state.dialled = True
        route = _Route(frontend=frontend, backend=backend, dial_id=dial_id, address=req.address)
        self._pending[dial_id] = route
        state.dials[dial_id] = route
        self._backends[backend].add(route)
        return [ToAgent(backend, packet)]

    def _dial_rejection(self, state: _Frontend, dial_id: int) -> str:
        if state.single_use and state.dialled:
            return "this Proxy stream already carries a connection; open one stream per connection"
        if dial_id in self._pending:
            return f"dial id {dial_id} is already in use; pick another random"
        return ""

    def _reject_dial(
        self, frontend: FrontendId, state: _Frontend, dial_id: int, reason: str
    ) -> list[Outgoing]:
        out: list[Outgoing] = [ToFrontend(frontend, packets.dial_response(dial_id, error=reason))]
        if state.single_use and not state.conns and not state.dials:
            out.append(EndFrontend(frontend))
        return out

    def _frontend_data(
        self, frontend: FrontendId, state: _Frontend, packet: Packet
    ) -> list[Outgoing]:
        conn_id = packet.data.connectID
        route = state.conns.get(conn_id)
        if route is None:
            reason = BACKEND_NOT_INITIALIZED if not state.conns else f"unknown connectID {conn_id}"
            return [ToFrontend(frontend, packets.close_response(conn_id, reason))]
        next_state(route.state, Input.DATA, remote=True)
        packet.data.connectID = route.agent_conn
        return [ToAgent(route.backend, packet)]

    def _frontend_close(
        self, frontend: FrontendId, state: _Frontend, conn_id: int
    ) -> list[Outgoing]:
        route = state.conns.get(conn_id)
        if route is None:
            reason = BACKEND_NOT_INITIALIZED if not state.conns else f"unknown connectID {conn_id}"
            return [ToFrontend(frontend, packets.close_response(conn_id, reason))]
        was = route.state
        route.state = next_state(was, Input.CLOSE_REQ, remote=True)
        if was is ConnState.CLOSING:
            return []
        return [ToAgent(route.backend, packets.close_request(route.agent_conn))]

    def _frontend_cancel(
        self, frontend: FrontendId, state: _Frontend, dial_id: int
    ) -> list[Outgoing]:
        route = state.dials.pop(dial_id, None)
        if route is None:
            return []  # the DIAL_RSP crossed the DIAL_CLS; the frontend will close it
        self._pending.pop(dial_id, None)
        self._forget(route)
        out: list[Outgoing] = [ToAgent(route.backend, packets.close_dial(dial_id))]
        if state.single_use:
            out.append(EndFrontend(frontend))
        return out

    # -- input from backends -------------------------------------------------------------------
    def backend_packet(self, backend: BackendId, packet: Packet) -> list[Outgoing]:
        packets.check_payload(packet)
        kind = packet.type
        if kind == packets.DATA:
            return self._backend_data(backend, packet)
        if kind == packets.DIAL_RSP:
            return self._backend_dial_response(backend, packet)
        if kind == packets.CLOSE_RSP:
            rsp = packet.closeResponse
            return self._backend_closed(backend, rsp.connectID, rsp.error)
        if kind == packets.DIAL_CLS:
            return self._backend_dial_closed(backend, packet.closeDial.random)
        if kind == packets.DRAIN:
            if backend in self._backends:
                self._draining.add(backend)
            return []
        raise RemoteProtocolError(
            f"an agent sent {packets.type_name(kind)}, which only frontends send"
        )

    def _backend_data(self, backend: BackendId, packet: Packet) -> list[Outgoing]:
        conn_id = packet.data.connectID
        route = self._by_agent.get((backend, conn_id))
        if route is None:
            # ANP parity: DATA for nobody makes the agent free the connection.
            return [ToAgent(backend, packets.close_request(conn_id))]
        if route.frontend is None:
            return []  # the frontend left; the agent's CLOSE_RSP is on its way
        packet.data.connectID = route.frontend_conn
        return [ToFrontend(route.frontend, packet)]

    def _backend_dial_response(self, backend: BackendId, packet: Packet) -> list[Outgoing]:
        rsp = packet.dialResponse
        route = self._pending.get(rsp.random)
        if route is None or route.backend != backend:
            # An answer to a dial nobody waits for any more: free it on the agent.
            return [ToAgent(backend, packets.close_request(rsp.connectID))] if rsp.connectID else []
        del self._pending[rsp.random]
        out: list[Outgoing] = []
        if rsp.error:
            self._fail_dial(route, rsp.error, out)
            return out
        if rsp.connectID == 0 or (backend, rsp.connectID) in self._by_agent:
            self._fail_dial(route, f"agent answered with unusable connectID {rsp.connectID}", out)
            return out
        self._open(route, rsp.connectID, out)
        return out

    def _open(self, route: _Route, agent_conn: int, out: list[Outgoing]) -> None:
        assert route.frontend is not None
        state = self._frontends[route.frontend]
        route.state = next_state(route.state, Input.DIAL_OK, remote=True)
        route.agent_conn = agent_conn
        route.frontend_conn = state.next_conn
        state.next_conn += 1
        del state.dials[route.dial_id]
        state.conns[route.frontend_conn] = route
        self._by_agent[(route.backend, agent_conn)] = route
        out.append(
            ToFrontend(route.frontend, packets.dial_response(route.dial_id, route.frontend_conn))
        )

    def _backend_closed(self, backend: BackendId, conn_id: int, error: str) -> list[Outgoing]:
        route = self._by_agent.pop((backend, conn_id), None)
        if route is None:
            return []
        self._backends[backend].discard(route)
        out: list[Outgoing] = []
        self._close_for_frontend(route, error, out)
        return out

    def _backend_dial_closed(self, backend: BackendId, dial_id: int) -> list[Outgoing]:
        route = self._pending.get(dial_id)
        if route is None or route.backend != backend:
            return []
        del self._pending[dial_id]
        out: list[Outgoing] = []
        self._fail_dial(route, "dial closed by the agent", out)
        return out

    # -- timers driven by the transport --------------------------------------------------------
    def dial_timed_out(self, dial_id: int) -> list[Outgoing]:
        """The backend dial timeout for `dial_id` fired; a no-op if it was answered already."""
        route = self._pending.pop(dial_id, None)
        if route is None:
            return []
        out: list[Outgoing] = [ToAgent(route.backend, packets.close_dial(dial_id))]
        self._fail_dial(route, DIAL_TIMEOUT, out)
        return out

    # -- shared endings ------------------------------------------------------------------------
    def _fail_dial(self, route: _Route, reason: str, out: list[Outgoing]) -> None:
        route.state = ConnState.CLOSED
        self._forget(route)
        if route.frontend is None:
            return
        state = self._frontends.get(route.frontend)
        if state is None:
            return
        state.dials.pop(route.dial_id, None)
        out.append(ToFrontend(route.frontend, packets.dial_response(route.dial_id, error=reason)))
        if state.single_use:
            out.append(EndFrontend(route.frontend))

    def _close_for_frontend(self, route: _Route, error: str, out: list[Outgoing]) -> None:
        route.state = ConnState.CLOSED
        self._forget(route)
        if route.frontend is None:
            return
        state = self._frontends.get(route.frontend)
        if state is None:
            return
        state.conns.pop(route.frontend_conn, None)
        out.append(ToFrontend(route.frontend, packets.close_response(route.frontend_conn, error)))
        if state.single_use:
            out.append(EndFrontend(route.frontend))

    def _forget(self, route: _Route) -> None:
        routes = self._backends.get(route.backend)
        if routes is not None:
            routes.discard(route)
