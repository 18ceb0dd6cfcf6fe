"""Per-connection credit flow control on the pure machines: windows, stalls, fallback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protos.tunnel import DialSucceeded, RemoteProtocolError, packets
from protos.tunnel.flow import (
    DEFAULT_WINDOW,
    INITIAL_WINDOW,
    ReceiveWindow,
    SendWindow,
    decode_varint,
    encode_varint,
)
from protos.tunnel.switchboard import STALLED, ToFrontend
from tests.support.tunnel_wiring import FakeAgent, FakeFrontend, Wiring

WINDOW = 1024 * 1024
CHUNK = 64 * 1024


def open_connection(wiring: Wiring, frontend: FakeFrontend, address: str) -> int:
    dial_id = frontend.endpoint.dial(address)
    wiring.pump()
    (event,) = [e for e in frontend.events if getattr(e, "dial_id", None) == dial_id]
    assert isinstance(event, DialSucceeded), event
    return event.conn_id


def agent_send_all_allowed(agent: FakeAgent, conn: int, budget: int) -> int:
    """The agent's target reader: send up to `budget` bytes within the window; bytes sent."""
    allowance = agent.endpoint.send_allowance(conn)
    size = budget if allowance is None else min(budget, allowance)
    sent = 0
    while sent < size:
        piece = min(CHUNK, size - sent)
        agent.endpoint.send_data(conn, b"x" * piece)
        sent += piece
    return sent


@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_varint_round_trips(value: int) -> None:
    assert decode_varint(encode_varint(value)) == value


@pytest.mark.parametrize("payload", [b"", b"\x80", b"\x01\x02", b"\xff" * 10])
def test_malformed_credit_payload_is_refused(payload: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_varint(payload)


WINDOW_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["send", "deliver", "consume", "grant"]),
        st.integers(min_value=1, max_value=3 * INITIAL_WINDOW),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(WINDOW_ACTIONS, st.integers(min_value=INITIAL_WINDOW, max_value=8 * INITIAL_WINDOW))
def test_credit_accounting_holds_under_random_interleavings(
    actions: list[tuple[str, int]], window: int
) -> None:
    """A sender and a receiver with data and grants in flight between them, in any order:
    the receiver never holds more than its window, nobody overruns, nothing is lost."""
    sender = SendWindow()
    receiver = ReceiveWindow(window, enforce=True)
    data_in_flight: list[int] = []
    grants_in_flight = [receiver.opening_grant()]
    sent = delivered = 0
    for action, n in actions:
        if action == "send" and sender.credit:
            size = min(n, sender.credit)
            sender.take(size)
            data_in_flight.append(size)
            sent += size
        elif action == "deliver" and data_in_flight:
            size = data_in_flight.pop(0)
            receiver.received(size)
            delivered += size
        elif action == "consume" and receiver.held:
            grant = receiver.consumed(min(n, receiver.held))
            if grant:
                grants_in_flight.append(grant)
        elif action == "grant" and grants_in_flight:
            grant = grants_in_flight.pop(0)
            if grant:
                sender.grant(grant)
        assert receiver.held <= window
        assert receiver.allowed + receiver.held + receiver.owed == window
        assert sender.credit + sum(data_in_flight) == receiver.allowed - sum(grants_in_flight)
    assert sent == delivered + sum(data_in_flight)


def test_receiver_refuses_a_sender_that_overruns_its_window() -> None:
    receiver = ReceiveWindow(WINDOW, enforce=True)
    with pytest.raises(RemoteProtocolError):
        receiver.received(INITIAL_WINDOW + 1)


def test_stalled_frontend_holds_one_window_while_its_neighbour_moves_64_mib() -> None:
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1", credit=True)
    stalled, neighbour = wiring.add_frontend(), wiring.add_frontend()
    open_connection(wiring, stalled, "c1:1")
    fe_conn = open_connection(wiring, neighbour, "c1:2")
    stalled_conn, neighbour_conn = sorted(agent.sockets)
    stalled.stuck = True

    total = 64 * 1024 * 1024
    moved = 0
    for _ in range(10_000):
        if moved >= total:
            break
        agent_send_all_allowed(agent, stalled_conn, 1 << 30)
        moved += agent_send_all_allowed(agent, neighbour_conn, total - moved)
        wiring.pump()
    assert len(neighbour.received[fe_conn]) == total
    from_agent, _ = wiring.switchboard.held_for("c1", stalled_conn)
    assert from_agent <= WINDOW
    assert agent.endpoint.send_allowance(stalled_conn) == 0
    assert not stalled.ended, "a credit peer's slow reader is never cut"

    wiring.unstick(stalled)
    wiring.pump()
    assert wiring.switchboard.held_for("c1", stalled_conn) == (0, 0)
    assert agent.endpoint.send_allowance(stalled_conn) == WINDOW


def test_credit_frontend_gets_no_more_than_it_granted() -> None:
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1", credit=True)
    fe = wiring.add_frontend(credit=True)
    open_connection(wiring, fe, "c1:1")
    (conn,) = agent.sockets
    # The application reads nothing: the endpoint grants nothing back.
    fe.endpoint.consumed = lambda conn_id, n: None  # type: ignore[method-assign]
    for _ in range(20):
        agent_send_all_allowed(agent, conn, 1 << 30)
        wiring.pump()
    (fe_conn,) = fe.received
    assert len(fe.received[fe_conn]) == DEFAULT_WINDOW, "the frontend's own window"
    from_agent, _ = wiring.switchboard.held_for("c1", conn)
    assert from_agent == WINDOW, "the server holds its window, no more"
    assert agent.endpoint.send_allowance(conn) == 0


def test_plain_frontend_is_paused_while_its_agent_holds_back_and_resumed_after() -> None:
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1", credit=True)
    fe = wiring.add_frontend()
    conn = open_connection(wiring, fe, "c1:1")
    (agent_conn,) = agent.sockets
    agent.stuck.add(agent_conn)
    total = DEFAULT_WINDOW + 2 * WINDOW
    for _ in range(total // CHUNK):
        fe.endpoint.send_data(conn, b"y" * CHUNK)
    wiring.pump()
    assert fe.paused
    assert len(agent.sockets[agent_conn]) == DEFAULT_WINDOW, "the agent got exactly its window"
    _, from_frontend = wiring.switchboard.held_for("c1", agent_conn)
    assert from_frontend == 2 * WINDOW

    agent.stuck.discard(agent_conn)
    agent.endpoint.consumed(agent_conn, agent.endpoint.held(agent_conn))
    wiring.pump()
    assert not fe.paused
    assert len(agent.sockets[agent_conn]) == total


def plain_agent_with_stalled_frontend() -> tuple[Wiring, FakeAgent, FakeFrontend, int]:
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    open_connection(wiring, fe, "c1:1")
    (agent_conn,) = agent.sockets
    fe.stuck = True
    return wiring, agent, fe, agent_conn


def test_plain_agent_stalled_connection_is_closed_when_its_timer_expires() -> None:
    wiring, agent, fe, conn = plain_agent_with_stalled_frontend()
    neighbour = wiring.add_frontend()
    neighbour_conn = open_connection(wiring, neighbour, "c1:2")
    agent.endpoint.send_data(conn, b"z" * (WINDOW + 1))
    wiring.pump()
    (stall,) = wiring.stalls
    assert not fe.ended

    assert wiring.switchboard.is_stalled(stall.backend, stall.agent_conn)
    out = wiring.switchboard.stall_expired(stall.backend, stall.agent_conn)
    assert ToFrontend(fe.id, packets.close_response(1, STALLED)) in out
    wiring._route(out)
    wiring.pump()
    assert fe.ended
    assert fe.aborted
    assert fe.unsent == [], "what was queued for the stalled frontend is dropped"
    assert conn in agent.closed
    assert wiring.switchboard.held_bytes() == 0
    # The neighbour never noticed.
    (neighbour_agent_conn,) = set(agent.sockets) - {conn}
    agent.endpoint.send_data(neighbour_agent_conn, b"fine")
    wiring.pump()
    assert neighbour.received[neighbour_conn] == b"fine"


def test_a_stall_that_cleared_before_its_timer_closes_nothing() -> None:
    wiring, agent, fe, conn = plain_agent_with_stalled_frontend()
    agent.endpoint.send_data(conn, b"z" * (WINDOW + 1))
    wiring.pump()
    (stall,) = wiring.stalls
    wiring.unstick(fe)
    wiring.pump()
    assert not wiring.switchboard.is_stalled(stall.backend, stall.agent_conn)
    assert wiring.switchboard.stall_expired(stall.backend, stall.agent_conn) == []
    assert not fe.ended


def test_plain_parties_never_see_a_credit_packet() -> None:
    """A plain endpoint refuses CREDIT as an unknown packet type, so any CREDIT sent to one
    would raise in pump(); bytes still flow both ways."""
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    conn = open_connection(wiring, fe, "c1:1")
    (agent_conn,) = agent.sockets
    for _ in range(4 * WINDOW // CHUNK):
        fe.endpoint.send_data(conn, b"a" * CHUNK)
        agent.endpoint.send_data(agent_conn, b"b" * CHUNK)
        wiring.pump()
    assert len(agent.sockets[agent_conn]) == 4 * WINDOW
    assert len(fe.received[conn]) == 4 * WINDOW
    with pytest.raises(RemoteProtocolError):
        agent.endpoint.receive_packet(packets.credit(agent_conn, 1))


def test_agent_endpoint_refuses_a_server_that_overruns_the_window() -> None:
    wiring = Wiring(window=WINDOW)
    agent = wiring.add_agent("c1", "c1", credit=True)
    fe = wiring.add_frontend()
    open_connection(wiring, fe, "c1:1")
    (agent_conn,) = agent.sockets
    agent.stuck.add(agent_conn)
    agent.endpoint.receive_packet(packets.data(agent_conn, b"q" * (4 * 1024 * 1024)))
    with pytest.raises(RemoteProtocolError):
        agent.endpoint.receive_packet(packets.data(agent_conn, b"q"))


WIRING_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["agent-send", "fe-send", "stick", "unstick", "pump", "agent-stuck"]),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=1, max_value=3 * CHUNK),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(WIRING_ACTIONS, st.booleans(), st.booleans())
def test_bytes_arrive_in_order_within_windows_whatever_the_interleaving(
    actions: list[tuple[str, int, int]], agent_credit: bool, fe_credit: bool
) -> None:
    window = 2 * INITIAL_WINDOW
    wiring = Wiring(window=window)
    agent = wiring.add_agent("c1", "c1", credit=agent_credit)
    frontends = [wiring.add_frontend(credit=fe_credit) for _ in range(2)]
    conns = [open_connection(wiring, fe, f"c1:{i}") for i, fe in enumerate(frontends)]
    agent_conns = sorted(agent.sockets)
    sent_down = [0, 0]
    sent_up = [0, 0]
    for action, i, size in actions:
        k = i % 2
        fe, agent_conn = frontends[k], agent_conns[k]
        if fe.aborted:
            continue
        if action == "agent-send":
            sent_down[k] += agent_send_all_allowed(agent, agent_conn, size)
        elif action == "fe-send" and not fe.paused:
            allowance = fe.endpoint.send_allowance(conns[k])
            size = size if allowance is None else min(size, allowance)
            if size:
                fe.endpoint.send_data(conns[k], b"u" * size)
                sent_up[k] += size
        elif action == "stick":
            fe.stuck = True
        elif action == "unstick":
            wiring.unstick(fe)
        elif action == "agent-stuck":
            agent.stuck ^= {agent_conn}
        elif action == "pump":
            wiring.pump()
        wiring.pump()
        for agent_conn_ in agent_conns:
            from_agent, from_frontend = wiring.switchboard.held_for("c1", agent_conn_)
            if agent_credit:
                assert from_agent <= window
            if fe_credit:
                assert from_frontend <= window
    for fe in frontends:
        if not fe.aborted:
            wiring.unstick(fe)
    agent.stuck.clear()
    for agent_conn in agent_conns:
        agent.endpoint.consumed(agent_conn, agent.endpoint.held(agent_conn))
    wiring.pump()
    for k, fe in enumerate(frontends):
        if fe.aborted:
            continue
        assert len(fe.received.get(conns[k], b"")) == sent_down[k]
        assert len(agent.sockets[agent_conns[k]]) == sent_up[k]
