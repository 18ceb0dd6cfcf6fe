"""Half-close (the `halfclose` feature) on the pure machines, back to back in memory."""

from __future__ import annotations

import pytest

from protos.tunnel import (
    ConnectionClosed,
    DataReceived,
    DialSucceeded,
    HalfClosed,
    LocalProtocolError,
    RemoteProtocolError,
    packets,
)
from protos.tunnel.flow import DEFAULT_WINDOW, INITIAL_WINDOW
from protos.tunnel.states import TRANSITIONS, ConnState, Input, next_state
from tests.support.tunnel_wiring import FakeAgent, FakeFrontend, Wiring


def connect(
    *,
    agent_half_close: bool = True,
    frontend_half_close: bool = True,
    credit: bool = False,
    frontend_window: int = DEFAULT_WINDOW,
    agent_window: int = DEFAULT_WINDOW,
) -> tuple[Wiring, FakeAgent, FakeFrontend, int, int]:
    """One connection c1:80 through a switchboard: (wiring, agent, frontend, fe conn, agent
    conn)."""
    wiring = Wiring()
    agent = wiring.add_agent(
        "c1", "c1", credit=credit, half_close=agent_half_close, window=agent_window
    )
    frontend = wiring.add_frontend(
        credit=credit, half_close=frontend_half_close, window=frontend_window
    )
    dial_id = frontend.endpoint.dial("c1:80")
    wiring.pump()
    (event,) = [e for e in frontend.events if isinstance(e, DialSucceeded)]
    assert event.dial_id == dial_id
    (agent_conn,) = agent.sockets
    return wiring, agent, frontend, event.conn_id, agent_conn


def assert_all_gone(wiring: Wiring, agent: FakeAgent, frontend: FakeFrontend) -> None:
    assert wiring.switchboard.connections == 0
    assert agent.endpoint.open_connections == 0
    assert frontend.endpoint.open_connections == 0


def frontend_sent(wiring: Wiring, frontend: FakeFrontend) -> list[int]:
    """Packet types the frontend has queued (drained here, then handed to the wiring)."""
    queued = frontend.endpoint.packets_to_send()
    for packet in queued:
        wiring._route(wiring.switchboard.frontend_packet(frontend.id, packet))
    return [p.type for p in queued]


def test_client_half_close_still_gets_the_whole_answer() -> None:
    """`nc`-style: request, EOF, then the target answers and closes."""
    wiring, agent, frontend, conn, agent_conn = connect()
    frontend.endpoint.send_data(conn, b"request")
    frontend.endpoint.write_eof(conn)
    wiring.pump()
    assert bytes(agent.sockets[agent_conn]) == b"request"
    assert agent.write_shut == {agent_conn}
    assert agent_conn not in agent.closed

    agent.endpoint.send_data(agent_conn, b"answer")
    wiring.target_eof(agent, agent_conn)  # the target closes after answering
    wiring.pump()
    assert bytes(frontend.received[conn]) == b"answer"
    assert frontend.events[-1] == ConnectionClosed(conn, "")
    assert_all_gone(wiring, agent, frontend)


def test_target_half_close_lets_the_client_keep_sending() -> None:
    wiring, agent, frontend, conn, agent_conn = connect()
    agent.endpoint.send_data(agent_conn, b"banner")
    assert wiring.target_eof(agent, agent_conn)  # half-closed, not closed
    wiring.pump()
    assert frontend.events[-1] == HalfClosed(conn)
    assert bytes(frontend.received[conn]) == b"banner"

    frontend.endpoint.send_data(conn, b"more")
    wiring.pump()
    assert bytes(agent.sockets[agent_conn]) == b"more"
    frontend.endpoint.write_eof(conn)  # the second EOF is an ordinary close
    assert frontend_sent(wiring, frontend) == [packets.CLOSE_REQ]
    wiring.pump()
    assert agent.closed == [agent_conn]
    assert frontend.events[-1:] == [ConnectionClosed(conn, "")]
    assert_all_gone(wiring, agent, frontend)


def test_half_closes_that_cross_end_in_one_close() -> None:
    wiring, agent, frontend, conn, agent_conn = connect()
    frontend.endpoint.write_eof(conn)
    assert wiring.target_eof(agent, agent_conn)
    wiring.pump()
    assert agent.closed == [agent_conn]
    assert [e for e in frontend.events if isinstance(e, ConnectionClosed)] == [
        ConnectionClosed(conn, "")
    ]
    assert_all_gone(wiring, agent, frontend)


def test_plain_agent_turns_the_clients_half_close_into_a_close() -> None:
    wiring, agent, frontend, conn, agent_conn = connect(agent_half_close=False)
    frontend.endpoint.write_eof(conn)
    assert frontend_sent(wiring, frontend) == [packets.HALF_CLOSE]
    wiring.pump()
    assert agent.closed == [agent_conn]  # ANP: EOF closes both directions
    assert agent.write_shut == set()
    assert frontend.events[-1] == ConnectionClosed(conn, "")
    assert_all_gone(wiring, agent, frontend)


def test_plain_frontend_sees_the_targets_eof_as_a_close() -> None:
    wiring, agent, frontend, conn, agent_conn = connect(frontend_half_close=False)
    agent.endpoint.send_data(agent_conn, b"last words")
    assert wiring.target_eof(agent, agent_conn)
    wiring.pump()
    assert bytes(frontend.received[conn]) == b"last words"
    assert not [e for e in frontend.events if isinstance(e, HalfClosed)]
    assert frontend.events[-1] == ConnectionClosed(conn, "")
    assert agent.closed == [agent_conn]
    assert_all_gone(wiring, agent, frontend)


def test_without_negotiation_eof_closes_as_before() -> None:
    wiring, agent, frontend, conn, agent_conn = connect(
        agent_half_close=False, frontend_half_close=False
    )
    frontend.endpoint.write_eof(conn)
    assert frontend_sent(wiring, frontend) == [packets.CLOSE_REQ]
    wiring.pump()
    assert agent.closed == [agent_conn]
    assert_all_gone(wiring, agent, frontend)

    wiring, agent, frontend, conn, agent_conn = connect(
        agent_half_close=False, frontend_half_close=False
    )
    assert not wiring.target_eof(agent, agent_conn)
    wiring.pump()
    assert frontend.events[-1] == ConnectionClosed(conn, "")
    assert_all_gone(wiring, agent, frontend)


@pytest.mark.parametrize("ending", ["half-close", "close"])
def test_the_end_waits_behind_bytes_held_for_a_slow_frontend(ending: str) -> None:
    """A target that answers 1 MiB and ends at once: the frontend's credit window (256 KiB)
    holds most of it in the switchboard, and the ending must not overtake it."""
    wiring, agent, frontend, conn, agent_conn = connect(
        credit=True, frontend_window=INITIAL_WINDOW, frontend_half_close=ending == "half-close"
    )
    frontend.stuck = True
    answer = bytes(range(256)) * 4096
    sent = 0
    while sent < len(answer):  # as the agent's socket reader does: within its credit
        allowance = agent.endpoint.send_allowance(agent_conn)
        assert allowance, "the server tops the agent's credit up before it runs out"
        piece = answer[sent : sent + allowance]
        agent.endpoint.send_data(agent_conn, piece)
        sent += len(piece)
        wiring.pump()
    wiring.target_eof(agent, agent_conn)
    wiring.pump()
    for _ in range(100):
        wiring.unstick(frontend)
        wiring.pump()
        if any(isinstance(e, HalfClosed | ConnectionClosed) for e in frontend.events):
            break
    assert bytes(frontend.received[conn]) == answer
    last_data = max(i for i, e in enumerate(frontend.events) if isinstance(e, DataReceived))
    (end,) = [
        i for i, e in enumerate(frontend.events) if isinstance(e, HalfClosed | ConnectionClosed)
    ]
    assert end > last_data


def test_client_half_close_waits_behind_bytes_held_for_the_agent() -> None:
    """The agent's window (256 KiB) is smaller than what the client sent: the switchboard
    holds the rest, and the client's EOF reaches the target only after all of it."""
    wiring, agent, frontend, conn, agent_conn = connect(credit=True, agent_window=INITIAL_WINDOW)
    agent.stuck.add(agent_conn)
    request = bytes(range(256)) * 4096
    frontend.endpoint.send_data(conn, request)
    frontend.endpoint.write_eof(conn)
    wiring.pump()
    assert wiring.switchboard.held_for(agent.name, agent_conn)[1] > 0
    assert agent.write_shut == set()  # the EOF waits behind the held bytes
    agent.stuck.clear()
    for _ in range(100):
        agent.endpoint.consumed(agent_conn, agent.endpoint.held(agent_conn))
        wiring.pump()
        if agent.write_shut:
            break
    assert agent.write_shut == {agent_conn}
    assert bytes(agent.sockets[agent_conn]) == request


def test_data_after_the_peers_half_close_is_refused() -> None:
    wiring, agent, frontend, conn, agent_conn = connect()
    frontend.endpoint.write_eof(conn)
    wiring.pump()
    with pytest.raises(RemoteProtocolError):
        agent.endpoint.receive_packet(packets.data(agent_conn, b"late"))
    with pytest.raises(RemoteProtocolError):
        wiring.switchboard.frontend_packet(frontend.id, packets.data(conn, b"late"))
    with pytest.raises(LocalProtocolError):
        frontend.endpoint.send_data(conn, b"late")


def test_half_close_from_a_peer_that_did_not_negotiate_it_is_refused() -> None:
    wiring, agent, frontend, conn, agent_conn = connect(
        agent_half_close=False, frontend_half_close=False
    )
    with pytest.raises(RemoteProtocolError):
        agent.endpoint.receive_packet(packets.half_close(agent_conn))
    with pytest.raises(RemoteProtocolError):
        frontend.endpoint.receive_packet(packets.half_close(conn))
    with pytest.raises(RemoteProtocolError):
        wiring.switchboard.frontend_packet(frontend.id, packets.half_close(conn))
    with pytest.raises(RemoteProtocolError):
        wiring.switchboard.backend_packet("c1", packets.half_close(agent_conn))


def test_every_half_closed_state_ends_in_closed() -> None:
    """From each half-closed state, some legal path reaches CLOSED (no dead ends)."""
    for start in (ConnState.EOF_SENT, ConnState.EOF_RECEIVED):
        seen = {start}
        frontier = [start]
        while frontier:
            state = frontier.pop()
            for (source, _), after in TRANSITIONS.items():
                if source is state and after not in seen:
                    seen.add(after)
                    frontier.append(after)
        assert ConnState.CLOSED in seen
    assert next_state(ConnState.OPEN, Input.EOF_SENT, remote=False) is ConnState.EOF_SENT
    with pytest.raises(LocalProtocolError):
        next_state(ConnState.EOF_SENT, Input.SEND, remote=False)
