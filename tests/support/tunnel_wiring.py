"""Wire frontend endpoints, a switchboard and agent endpoints back to back, in memory.

The transports' job (moving packets, dialing sockets) is simulated by `pump()`, so unit tests
exercise every protocol rule with no sockets and no event loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Set
from dataclasses import dataclass, field

from protos._gen.client_pb2 import Packet
from protos.tunnel import (
    AgentEndpoint,
    CloseRequested,
    CreditGranted,
    DataReceived,
    DialCancelled,
    DialRefusedError,
    DialRequested,
    EndFrontend,
    Event,
    FrontendEndpoint,
    HalfClosed,
    Outgoing,
    PauseFrontend,
    ResumeFrontend,
    Stalled,
    Switchboard,
    ToAgent,
    ToFrontend,
    host_of,
    packets,
)
from protos.tunnel.flow import DEFAULT_WINDOW


@dataclass
class FakeAgent:
    """An agent endpoint plus the 'sockets' it dialled (conn id -> bytes written to it)."""

    name: str
    hosts: set[str]
    endpoint: AgentEndpoint
    auto_dial: bool = True
    refuse: set[str] = field(default_factory=set)
    dials: dict[int, str] = field(default_factory=dict)
    sockets: dict[int, bytearray] = field(default_factory=dict)
    cancelled: set[int] = field(default_factory=set)
    closed: list[int] = field(default_factory=list)
    #: Connections whose target socket takes nothing (their bytes stay held).
    stuck: set[int] = field(default_factory=set)
    #: Connections whose target socket had its write side shut (HalfClosed).
    write_shut: set[int] = field(default_factory=set)


@dataclass
class FakeFrontend:
    id: int
    endpoint: FrontendEndpoint
    events: list[Event] = field(default_factory=list)
    ended: bool = False
    #: The server's writer to this frontend is blocked: packets queue up in `unsent`.
    stuck: bool = False
    unsent: list[Packet] = field(default_factory=list)
    paused: bool = False
    aborted: bool = False
    received: dict[int, bytearray] = field(default_factory=dict)


class Wiring:
    def __init__(self, *, window: int | None = None) -> None:
        self.switchboard = (
            Switchboard(self._choose, window=window)
            if window is not None
            else Switchboard(self._choose)
        )
        self.stalls: list[Stalled] = []
        self.agents: dict[str, FakeAgent] = {}
        self.frontends: dict[int, FakeFrontend] = {}
        self._to_agent: list[tuple[str, Packet]] = []
        self._to_frontend: list[tuple[int, Packet]] = []
        self._from_agent: list[tuple[str, Packet]] = []
        self._from_frontend: list[tuple[int, Packet]] = []
        self._ids = itertools.count(1000)

    def _choose(self, address: str, draining: Set[Hashable]) -> Hashable | None:
        host = host_of(address)
        matches = [a for a in self.agents.values() if host in a.hosts]
        ready = [a.name for a in matches if a.name not in draining]
        if ready:
            return ready[0]
        return matches[0].name if matches else None

    # -- building --------------------------------------------------------------------------------
    def add_agent(
        self,
        name: str,
        *hosts: str,
        credit: bool = False,
        half_close: bool = False,
        window: int = DEFAULT_WINDOW,
    ) -> FakeAgent:
        def resolve(address: str) -> str:
            if host_of(address) in agent.refuse:
                raise DialRefusedError(f"{address} is not exposed by this agent")
            return address

        endpoint = AgentEndpoint(resolve, credit=credit, half_close=half_close, window=window)
        agent = FakeAgent(name, set(hosts), endpoint)
        self.agents[name] = agent
        self.switchboard.add_backend(name, credit=credit, half_close=half_close)
        return agent

    def add_frontend(
        self,
        *,
        single_use: bool = True,
        credit: bool = False,
        half_close: bool = False,
        window: int = DEFAULT_WINDOW,
    ) -> FakeFrontend:
        fe_id = self.switchboard.add_frontend(
            single_use=single_use, credit=credit, half_close=half_close
        )
        endpoint = FrontendEndpoint(
            lambda: next(self._ids),
            credit=credit,
            half_close=half_close,
            window=window,
        )
        frontend = FakeFrontend(fe_id, endpoint)
        self.frontends[fe_id] = frontend
        return frontend

    def remove_agent(self, name: str) -> None:
        del self.agents[name]
        self._route(self.switchboard.remove_backend(name))

    def remove_frontend(self, frontend: FakeFrontend) -> None:
        del self.frontends[frontend.id]
        self._route(self.switchboard.remove_frontend(frontend.id))

    # -- moving packets --------------------------------------------------------------------------
    def flush(self) -> None:
        for fe in self.frontends.values():
            self._from_frontend += [(fe.id, p) for p in fe.endpoint.packets_to_send()]
        for agent in self.agents.values():
            self._from_agent += [(agent.name, p) for p in agent.endpoint.packets_to_send()]

    def pump(self) -> None:
        """Deliver packets until nothing moves (dials complete at once when auto_dial)."""
        for _ in range(10_000):
            self.flush()
            if not (self._from_frontend or self._from_agent or self._to_agent or self._to_frontend):
                return
            self._step()
        raise AssertionError("packets keep flowing: a loop between the parties")

    def _step(self) -> None:
        from_fe, self._from_frontend = self._from_frontend, []
        for fe_id, packet in from_fe:
            self._route(self.switchboard.frontend_packet(fe_id, packet))
        from_agent, self._from_agent = self._from_agent, []
        for name, packet in from_agent:
            self._route(self.switchboard.backend_packet(name, packet))
        to_agent, self._to_agent = self._to_agent, []
        for name, packet in to_agent:
            agent = self.agents.get(name)
            if agent is not None:
                # The agent stream's writer sent it: report, as the relay does.
                self._route(self._agent_wrote(name, packet))
                self._agent_events(agent, agent.endpoint.receive_packet(packet))
        to_fe, self._to_frontend = self._to_frontend, []
        for fe_id, packet in to_fe:
            fe = self.frontends.get(fe_id)
            if fe is None or fe.aborted:
                continue
            if fe.stuck:
                fe.unsent.append(packet)
                continue
            self._deliver_to_frontend(fe, packet)

    def _agent_wrote(self, name: str, packet: Packet) -> list[Outgoing]:
        if packet.type != packets.DATA:
            return []
        return self.switchboard.agent_wrote(name, packet.data.connectID, len(packet.data.data))

    def _deliver_to_frontend(self, fe: FakeFrontend, packet: Packet) -> None:
        if packet.type == packets.DATA:
            data = packet.data
            self._route(self.switchboard.frontend_wrote(fe.id, data.connectID, len(data.data)))
        events = fe.endpoint.receive_packet(packet)
        fe.events += events
        for event in events:
            if isinstance(event, DataReceived):
                fe.received.setdefault(event.conn_id, bytearray()).extend(event.data)
                fe.endpoint.consumed(event.conn_id, len(event.data))

    def unstick(self, fe: FakeFrontend) -> None:
        """The frontend's writer moves again: deliver what queued up."""
        fe.stuck = False
        unsent, fe.unsent = fe.unsent, []
        for packet in unsent:
            self._deliver_to_frontend(fe, packet)

    def _route(self, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            if isinstance(item, ToAgent):
                self._to_agent.append((str(item.backend), item.packet))
            elif isinstance(item, ToFrontend):
                self._to_frontend.append((item.frontend, item.packet))
            elif isinstance(item, EndFrontend) and item.frontend in self.frontends:
                fe = self.frontends[item.frontend]
                fe.ended = True
                if item.abort:
                    # As the relay's Link.abort: everything queued for it is dropped.
                    fe.aborted = True
                    fe.unsent.clear()
                    self._to_frontend = [(f, p) for f, p in self._to_frontend if f != item.frontend]
            elif isinstance(item, PauseFrontend | ResumeFrontend):
                if item.frontend in self.frontends:
                    self.frontends[item.frontend].paused = isinstance(item, PauseFrontend)
            elif isinstance(item, Stalled):
                self.stalls.append(item)

    def _agent_events(self, agent: FakeAgent, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, DialRequested):
                agent.dials[event.dial_id] = event.target
                if agent.auto_dial:
                    self.complete_dial(agent, event.dial_id)
            elif isinstance(event, DataReceived):
                agent.sockets[event.conn_id] += event.data
                if event.conn_id not in agent.stuck:
                    agent.endpoint.consumed(event.conn_id, len(event.data))
            elif isinstance(event, CreditGranted):
                pass  # the fake target readers send within send_allowance themselves
            elif isinstance(event, HalfClosed):
                agent.write_shut.add(event.conn_id)
            elif isinstance(event, CloseRequested):
                agent.closed.append(event.conn_id)
                agent.sockets.pop(event.conn_id, None)
                agent.endpoint.closed(event.conn_id)
            elif isinstance(event, DialCancelled):
                agent.cancelled.add(event.dial_id)

    def target_eof(self, agent: FakeAgent, conn_id: int) -> bool:
        """The target socket of `conn_id` read EOF; True while the connection lives on."""
        alive = agent.endpoint.socket_ended(conn_id)
        if not alive:
            agent.closed.append(conn_id)
            agent.sockets.pop(conn_id, None)
        return alive

    def complete_dial(self, agent: FakeAgent, dial_id: int, error: str = "") -> int | None:
        del agent.dials[dial_id]
        if error:
            agent.endpoint.dial_failed(dial_id, error)
            return None
        conn_id = agent.endpoint.dial_succeeded(dial_id)
        if conn_id is not None:
            agent.sockets[conn_id] = bytearray()
        return conn_id
