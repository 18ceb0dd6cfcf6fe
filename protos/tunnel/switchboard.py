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

Flow control (`flow.py`) keeps one slow consumer from stalling an agent's other connections.
The transports never block the reader of a shared stream; instead they report what each
stream's writer actually wrote (`agent_wrote`, `frontend_wrote`), and the switchboard counts
the bytes it holds per connection and direction:

* towards a party that negotiated `credit`, bytes are released only within its window (held
  here until a CREDIT arrives), and credit is granted back to a `credit` sender as the other
  side's writer drains its bytes; so every connection holds at most one window per direction;
  an agent's opening top-up (`ReceiveWindow.opening_grant`) rides with the first packet sent
  to it on the connection (one message less per dial), or goes alone once the agent has used
  half its initial window;
* a plain frontend that outruns its agent is paused (`PauseFrontend`/`ResumeFrontend`): its own
  stream stops being read, nobody else's;
* a plain agent cannot be paused per connection, so when a connection's consumer keeps more
  than a window unwritten it is `Stalled`: the transport stops reading that agent stream (the
  only way to push back on a plain agent, as ANP does) until `is_stalled` turns false, and if
  that takes longer than its stalled-connection timeout it calls `stall_expired`, which closes
  the connection with an error so the agent's other connections move again.

Half-close (`halfclose.py`): a HALF_CLOSE goes on to the other side when it negotiated
`halfclose`, after the bytes still held for it; otherwise it closes the whole connection, as
ANP does on EOF. An agent's CLOSE_RSP also waits behind the bytes held for its frontend, so a
target that answers and closes at once is delivered whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Set
from dataclasses import dataclass, field
from typing import Final

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.errors import RemoteProtocolError
from protos.tunnel.flow import DEFAULT_WINDOW, ReceiveWindow, SendWindow
from protos.tunnel.states import LIVE, ConnState, Input, next_state

BackendId = Hashable
FrontendId = int

# ANP parity for the reasons frontends see.
NO_AGENT: Final = "No agent available"
DIAL_TIMEOUT: Final = "timed out waiting for backend dial"
AGENT_GONE: Final = "agent disconnected"
BACKEND_NOT_INITIALIZED: Final = "backend not initialized"
STALLED: Final = "connection closed: its reader stopped reading"

ChooseBackend = Callable[[str, Set[BackendId]], BackendId | None]
"""`(address, draining backends) -> backend or None`: routing strategies live outside."""


@dataclass(frozen=True, slots=True)
class ToAgent:
    backend: BackendId
    packet: Packet
    #: Payload bytes of a DATA packet (None: not counted). Carried along because reading it
    #: back from the packet (`packet.data.data`) copies the payload with protobuf's upb backend.
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ToFrontend:
    frontend: FrontendId
    packet: Packet
    #: Payload bytes of a DATA packet, as in `ToAgent`.
    size: int | None = None


@dataclass(frozen=True, slots=True)
class EndFrontend:
    """A single-use frontend's one connection is over: end its stream after flushing.

    `abort`: end it now, dropping what is queued for it (its reader stopped reading).
    """

    frontend: FrontendId
    abort: bool = False


@dataclass(frozen=True, slots=True)
class PauseFrontend:
    """Stop reading this frontend's stream: its bytes wait for the agent to take them."""

    frontend: FrontendId


@dataclass(frozen=True, slots=True)
class ResumeFrontend:
    frontend: FrontendId


@dataclass(frozen=True, slots=True)
class Stalled:
    """A plain agent's connection outruns its frontend's reader: stop reading the agent's
    stream while `is_stalled`, and call `stall_expired` after the stalled-connection timeout."""

    backend: BackendId
    agent_conn: int


Outgoing = ToAgent | ToFrontend | EndFrontend | PauseFrontend | ResumeFrontend | Stalled


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
    # Flow control, set up when the dial succeeds (see the module docstring).
    from_agent: ReceiveWindow | None = None
    from_frontend: ReceiveWindow | None = None
    to_agent: SendWindow | None = None
    to_frontend: SendWindow | None = None
    held_for_agent: deque[bytes] = field(default_factory=deque)
    held_for_frontend: deque[bytes] = field(default_factory=deque)
    paused: bool = False
    stalled: bool = False
    # Endings waiting behind held bytes: a HALF_CLOSE each way, the agent's CLOSE_RSP.
    eof_for_agent: bool = False
    eof_for_frontend: bool = False
    close_error: str | None = None


@dataclass(slots=True)
class _Frontend:
    single_use: bool
    credit: bool = False
    half_close: bool = False
    next_conn: int = 1
    dialled: bool = False
    conns: dict[int, _Route] = field(default_factory=dict)
    dials: dict[int, _Route] = field(default_factory=dict)


class Switchboard:
    def __init__(self, choose_backend: ChooseBackend, *, window: int = DEFAULT_WINDOW) -> None:
        """`window`: bytes per connection and direction this server holds at most for a
        `credit` peer, and the point where a plain peer is paused or counted as stalled."""
        self._choose = choose_backend
        self._window = window
        self._credit_backends: set[BackendId] = set()
        self._half_close_backends: set[BackendId] = set()
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

    def held_bytes(self) -> int:
        """Payload bytes held for all connections (received, not yet written onwards)."""
        total = 0
        for route in self._by_agent.values():
            for window in (route.from_agent, route.from_frontend):
                total += window.held if window is not None else 0
        return total

    def held_for(self, backend: BackendId, agent_conn: int) -> tuple[int, int]:
        """(bytes from the agent, bytes from the frontend) held for one connection."""
        route = self._by_agent.get((backend, agent_conn))
        if route is None or route.from_agent is None or route.from_frontend is None:
            return (0, 0)
        return (route.from_agent.held, route.from_frontend.held)

    # -- membership ----------------------------------------------------------------------------
    def add_backend(
        self, backend: BackendId, *, credit: bool = False, half_close: bool = False
    ) -> None:
        """Register an agent stream; `credit`, `half_close`: the features it negotiated."""
        self._backends.setdefault(backend, set())
        if credit:
            self._credit_backends.add(backend)
        if half_close:
            self._half_close_backends.add(backend)

    def remove_backend(self, backend: BackendId) -> list[Outgoing]:
        """The agent stream is gone: fail its dials and close its connections at once (upstream
        leaves pending dials to a 30 s client timeout)."""
        out: list[Outgoing] = []
        self._draining.discard(backend)
        self._credit_backends.discard(backend)
        self._half_close_backends.discard(backend)
        for route in self._backends.pop(backend, set()):
            if route.state is ConnState.DIALING:
                self._pending.pop(route.dial_id, None)
                self._fail_dial(route, f"{AGENT_GONE} during the dial", out)
            else:
                self._by_agent.pop((backend, route.agent_conn), None)
                self._close_for_frontend(route, AGENT_GONE, out)
        return out

    def add_frontend(
        self, *, single_use: bool = True, credit: bool = False, half_close: bool = False
    ) -> FrontendId:
        """Register a frontend; single-use (upstream gRPC) means one connection per stream;
        `credit`, `half_close`: the features it negotiated."""
        frontend = self._next_frontend
        self._next_frontend += 1
        self._frontends[frontend] = _Frontend(
            single_use=single_use, credit=credit, half_close=half_close
        )
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
            self._detach_frontend(route)
            if route.state in LIVE:
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
        if kind == packets.CREDIT and state.credit:
            return self._frontend_credit(state, packet)
        if kind == packets.HALF_CLOSE and state.half_close:
            return self._frontend_half_close(frontend, state, packet.data.connectID)
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
        payload = packet.data.data
        assert route.from_frontend is not None
        route.from_frontend.received(len(payload))
        out: list[Outgoing] = []
        if route.close_error is not None:
            # The agent closed already: nowhere to go, consumed at once (credit flows back).
            self._frontend_bytes_gone(route, len(payload), out)
            return out
        if route.to_agent is None or _fits(route.held_for_agent, route.to_agent, payload):
            if route.to_agent is not None:
                route.to_agent.take(len(payload))
                self._top_up_agent(route, out)
            packet.data.connectID = route.agent_conn
            out.append(ToAgent(route.backend, packet, len(payload)))  # forwarded as is: no copy
        else:
            route.held_for_agent.append(payload)
            self._release_to_agent(route, out)
        if not route.paused and route.from_frontend.held > self._window:
            route.paused = True
            out.append(PauseFrontend(frontend))
        return out

    def _frontend_credit(self, state: _Frontend, packet: Packet) -> list[Outgoing]:
        route = state.conns.get(packet.data.connectID)
        if route is None or route.to_frontend is None:
            return []  # crossed our CLOSE_RSP
        route.to_frontend.grant(packets.credit_grant(packet))
        out: list[Outgoing] = []
        self._release_to_frontend(route, out)
        return out

    def _frontend_half_close(
        self, frontend: FrontendId, state: _Frontend, conn_id: int
    ) -> list[Outgoing]:
        route = state.conns.get(conn_id)
        if route is None:
            reason = f"unknown connectID {conn_id}"
            return [ToFrontend(frontend, packets.close_response(conn_id, reason))]
        if route.close_error is not None:
            return []  # the agent closed already; its CLOSE_RSP follows the held bytes
        was = route.state
        route.state = next_state(was, Input.EOF_RECEIVED, remote=True)
        if was is ConnState.CLOSING:
            return []
        if route.backend not in self._half_close_backends:
            # A plain agent knows no half-close: the frontend's EOF ends the connection (ANP).
            route.state = ConnState.CLOSING
            return [ToAgent(route.backend, packets.close_request(route.agent_conn))]
        if route.held_for_agent:
            route.eof_for_agent = True  # sent once the held bytes are
            return []
        return [ToAgent(route.backend, packets.half_close(route.agent_conn))]

    def _frontend_close(
        self, frontend: FrontendId, state: _Frontend, conn_id: int
    ) -> list[Outgoing]:
        route = state.conns.get(conn_id)
        if route is None:
            reason = BACKEND_NOT_INITIALIZED if not state.conns else f"unknown connectID {conn_id}"
            return [ToFrontend(frontend, packets.close_response(conn_id, reason))]
        if route.close_error is not None:
            # The agent closed already; the bytes held for the frontend are unwanted now.
            out: list[Outgoing] = []
            route.held_for_frontend.clear()
            self._close_for_frontend(route, route.close_error, out)
            return out
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
        if kind == packets.CREDIT and backend in self._credit_backends:
            return self._backend_credit(backend, packet)
        if kind == packets.HALF_CLOSE and backend in self._half_close_backends:
            return self._backend_half_close(backend, packet.data.connectID)
        raise RemoteProtocolError(
            f"an agent sent {packets.type_name(kind)}, which only frontends send"
        )

    def _backend_data(self, backend: BackendId, packet: Packet) -> list[Outgoing]:
        conn_id = packet.data.connectID
        route = self._by_agent.get((backend, conn_id))
        if route is None:
            # ANP parity: DATA for nobody makes the agent free the connection.
            return [ToAgent(backend, packets.close_request(conn_id))]
        if route.frontend is None or route.from_agent is None:
            return []  # the frontend left; the agent's CLOSE_RSP is on its way
        next_state(route.state, Input.SEND, remote=True)
        payload = packet.data.data
        window = route.from_agent
        window.received(len(payload))
        out: list[Outgoing] = []
        if window.needs_top_up():
            self._top_up_agent(route, out)
        if route.to_frontend is None or _fits(route.held_for_frontend, route.to_frontend, payload):
            if route.to_frontend is not None:
                route.to_frontend.take(len(payload))
            packet.data.connectID = route.frontend_conn
            # Forwarded as is: no copy.
            out.append(ToFrontend(route.frontend, packet, len(payload)))
        else:
            route.held_for_frontend.append(payload)
            self._release_to_frontend(route, out)
        if not window.enforce and window.held > self._window and not route.stalled:
            route.stalled = True
            out.append(Stalled(backend, route.agent_conn))
        return out

    def _backend_half_close(self, backend: BackendId, conn_id: int) -> list[Outgoing]:
        route = self._by_agent.get((backend, conn_id))
        if route is None or route.frontend is None or route.state is ConnState.CLOSING:
            return []  # crossed a CLOSE_REQ: the agent's CLOSE_RSP follows
        route.state = next_state(route.state, Input.EOF_SENT, remote=True)
        state = self._frontends.get(route.frontend)
        if state is None or not state.half_close:
            # A plain frontend knows no half-close: the target's EOF ends the connection (ANP).
            route.state = ConnState.CLOSING
            return [ToAgent(backend, packets.close_request(conn_id))]
        if route.held_for_frontend:
            route.eof_for_frontend = True  # sent once the held bytes are
            return []
        return [ToFrontend(route.frontend, packets.half_close(route.frontend_conn))]

    def _backend_credit(self, backend: BackendId, packet: Packet) -> list[Outgoing]:
        route = self._by_agent.get((backend, packet.data.connectID))
        if route is None or route.to_agent is None:
            return []  # crossed our CLOSE_REQ or its CLOSE_RSP
        route.to_agent.grant(packets.credit_grant(packet))
        out: list[Outgoing] = []
        self._release_to_agent(route, out)
        return out

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
        agent_credit = route.backend in self._credit_backends
        route.from_agent = ReceiveWindow(self._window, enforce=agent_credit)
        route.from_frontend = ReceiveWindow(self._window, enforce=state.credit)
        if agent_credit:
            route.to_agent = SendWindow()  # our top-up waits for a packet to ride with
        if state.credit:
            route.to_frontend = SendWindow()
            grant = route.from_frontend.opening_grant()
            if grant:
                out.append(ToFrontend(route.frontend, packets.credit(route.frontend_conn, grant)))

    def _backend_closed(self, backend: BackendId, conn_id: int, error: str) -> list[Outgoing]:
        route = self._by_agent.pop((backend, conn_id), None)
        if route is None:
            return []
        self._backends[backend].discard(route)
        out: list[Outgoing] = []
        if route.held_for_frontend and route.frontend is not None:
            route.state = ConnState.CLOSING
            route.close_error = error  # answered once the held bytes are released
            return out
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

    # -- what the stream writers drained -------------------------------------------------------
    def agent_wrote(self, backend: BackendId, agent_conn: int, n: int) -> list[Outgoing]:
        """The agent stream's writer sent `n` bytes of DATA for `agent_conn`."""
        route = self._by_agent.get((backend, agent_conn))
        out: list[Outgoing] = []
        if route is not None:
            self._frontend_bytes_gone(route, n, out)
        return out

    def _frontend_bytes_gone(self, route: _Route, n: int, out: list[Outgoing]) -> None:
        """`n` bytes from the frontend left our hands: credit back, resume a paused reader."""
        if route.from_frontend is None:
            return
        grant = route.from_frontend.consumed(n)
        if route.frontend is None:
            return
        if grant:
            out.append(ToFrontend(route.frontend, packets.credit(route.frontend_conn, grant)))
        if route.paused and route.from_frontend.held * 2 <= self._window:
            route.paused = False
            out.append(ResumeFrontend(route.frontend))

    def frontend_wrote(self, frontend: FrontendId, frontend_conn: int, n: int) -> list[Outgoing]:
        """The frontend's writer handed `n` bytes of DATA for `frontend_conn` to its socket."""
        state = self._frontends.get(frontend)
        route = state.conns.get(frontend_conn) if state is not None else None
        if route is None or route.from_agent is None:
            return []
        out: list[Outgoing] = []
        grant = route.from_agent.consumed(n)
        if grant and route.close_error is None:
            out.append(ToAgent(route.backend, packets.credit(route.agent_conn, grant)))
        if route.stalled and route.from_agent.held <= self._window:
            route.stalled = False
        return out

    def is_stalled(self, backend: BackendId, agent_conn: int) -> bool:
        route = self._by_agent.get((backend, agent_conn))
        return route is not None and route.stalled

    def stall_expired(self, backend: BackendId, agent_conn: int) -> list[Outgoing]:
        """The stalled-connection timeout of a `Stalled` ran out: close the connection with an
        error if it is still stalled; otherwise nothing."""
        route = self._by_agent.get((backend, agent_conn))
        out: list[Outgoing] = []
        if route is not None and route.stalled:
            self._close_stalled(route, out)
        return out

    def _close_stalled(self, route: _Route, out: list[Outgoing]) -> None:
        """Close at the agent, and end the frontend now with the reason (dropping its queue)."""
        route.stalled = False
        route.held_for_frontend.clear()
        if route.state in LIVE:
            route.state = ConnState.CLOSING
            out.append(ToAgent(route.backend, packets.close_request(route.agent_conn)))
        frontend = route.frontend
        state = self._frontends.get(frontend) if frontend is not None else None
        self._detach_frontend(route)
        if frontend is None or state is None:
            return
        state.conns.pop(route.frontend_conn, None)
        out.append(ToFrontend(frontend, packets.close_response(route.frontend_conn, STALLED)))
        if state.single_use:
            out.append(EndFrontend(frontend, abort=True))

    def _release_to_agent(self, route: _Route, out: list[Outgoing]) -> None:
        window = route.to_agent
        assert window is not None
        chunks = _take(route.held_for_agent, window)
        if chunks:
            self._top_up_agent(route, out)
        for chunk in chunks:
            out.append(ToAgent(route.backend, packets.data(route.agent_conn, chunk), len(chunk)))
        if route.eof_for_agent and not route.held_for_agent:
            route.eof_for_agent = False
            out.append(ToAgent(route.backend, packets.half_close(route.agent_conn)))

    def _release_to_frontend(self, route: _Route, out: list[Outgoing]) -> None:
        window = route.to_frontend
        assert window is not None
        if route.frontend is None:
            route.held_for_frontend.clear()
            return
        for chunk in _take(route.held_for_frontend, window):
            packet = packets.data(route.frontend_conn, chunk)
            out.append(ToFrontend(route.frontend, packet, len(chunk)))
        if route.held_for_frontend:
            return
        if route.eof_for_frontend:
            route.eof_for_frontend = False
            out.append(ToFrontend(route.frontend, packets.half_close(route.frontend_conn)))
        if route.close_error is not None:
            self._close_for_frontend(route, route.close_error, out)

    @staticmethod
    def _top_up_agent(route: _Route, out: list[Outgoing]) -> None:
        """Send the agent its opening top-up if it is still due (see the module docstring)."""
        grant = route.from_agent.opening_grant() if route.from_agent is not None else 0
        if grant:
            out.append(ToAgent(route.backend, packets.credit(route.agent_conn, grant)))

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

    @staticmethod
    def _detach_frontend(route: _Route) -> None:
        """The frontend is gone: what was queued for it is dropped, so it is held no more."""
        route.frontend = None
        route.from_agent = None
        route.held_for_frontend.clear()
        route.stalled = False

    def _forget(self, route: _Route) -> None:
        routes = self._backends.get(route.backend)
        if routes is not None:
            routes.discard(route)


def _fits(held: deque[bytes], window: SendWindow, payload: bytes) -> bool:
    """Nothing waits ahead of `payload` and the window takes all of it."""
    return not held and len(payload) <= window.credit


def _take(held: deque[bytes], window: SendWindow) -> list[bytes]:
    """Pop what `window` lets through from `held`, splitting the chunk at the boundary."""
    chunks: list[bytes] = []
    while held and window.credit > 0:
        chunk = held[0]
        if len(chunk) <= window.credit:
            held.popleft()
        else:
            held[0] = chunk[window.credit :]
            chunk = chunk[: window.credit]
        window.take(len(chunk))
        chunks.append(chunk)
    return chunks
