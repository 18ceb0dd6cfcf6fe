"""Frontend endpoint <-> switchboard <-> agent endpoint, back to back in memory."""

from __future__ import annotations

import pytest

from protos.tunnel import (
    ConnectionClosed,
    DataReceived,
    DialFailed,
    DialSucceeded,
    packets,
)
from protos.tunnel.switchboard import AGENT_GONE, DIAL_TIMEOUT, NO_AGENT, ToAgent
from tests.support.tunnel_wiring import FakeAgent, FakeFrontend, Wiring


def open_connection(wiring: Wiring, frontend: FakeFrontend, address: str) -> int:
    frontend.endpoint.dial(address)
    wiring.pump()
    event = frontend.events[-1]
    assert isinstance(event, DialSucceeded), event
    return event.conn_id


def assert_no_leaks(wiring: Wiring) -> None:
    assert wiring.switchboard.pending_dials == 0
    assert wiring.switchboard.connections == 0
    for agent in wiring.agents.values():
        assert agent.endpoint.open_connections == 0
        assert agent.endpoint.pending_dials == 0
    for fe in wiring.frontends.values():
        assert fe.endpoint.open_connections == 0
        assert fe.endpoint.pending_dials == 0


def test_bytes_flow_both_ways_and_frontend_close_reaches_agent() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "svc.ns.c1")
    fe = wiring.add_frontend()
    conn = open_connection(wiring, fe, "svc.ns.c1:80")

    fe.endpoint.send_data(conn, b"ping")
    wiring.pump()
    (agent_conn,) = agent.sockets
    assert agent.sockets[agent_conn] == b"ping"

    agent.endpoint.send_data(agent_conn, b"pong")
    wiring.pump()
    assert fe.events[-1] == DataReceived(conn, b"pong")

    fe.endpoint.close(conn)
    wiring.pump()
    assert agent.closed == [agent_conn]
    assert fe.events[-1:] == [ConnectionClosed(conn, "")]
    assert fe.ended
    assert_no_leaks(wiring)


def test_remote_eof_closes_the_frontend_connection() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    conn = open_connection(wiring, fe, "c1:443")
    (agent_conn,) = agent.sockets
    agent.endpoint.send_data(agent_conn, b"last words")
    agent.endpoint.closed(agent_conn)
    wiring.pump()
    assert fe.events[-2:] == [DataReceived(conn, b"last words"), ConnectionClosed(conn, "")]
    assert_no_leaks(wiring)


def test_dial_to_unknown_host_fails_fast_with_no_agent() -> None:
    wiring = Wiring()
    wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("elsewhere:443")
    wiring.pump()
    assert fe.events == [DialFailed(dial_id, NO_AGENT)]
    assert fe.ended
    assert_no_leaks(wiring)


def test_agent_refuses_unexposed_target_with_its_reason() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "db.ns.c1")
    agent.refuse.add("db.ns.c1")
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("db.ns.c1:5432")
    wiring.pump()
    assert fe.events == [DialFailed(dial_id, "db.ns.c1:5432 is not exposed by this agent")]
    assert_no_leaks(wiring)


def test_remote_dial_error_is_forwarded() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    agent.auto_dial = False
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("c1:443")
    wiring.pump()
    wiring.complete_dial(agent, dial_id, error="connect: connection refused")
    wiring.pump()
    assert fe.events == [DialFailed(dial_id, "connect: connection refused")]
    assert_no_leaks(wiring)


def test_frontend_cancel_during_dial_is_cancelled_at_the_agent() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    agent.auto_dial = False
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("c1:443")
    wiring.pump()
    fe.endpoint.cancel_dial(dial_id)
    wiring.pump()
    assert agent.cancelled == {dial_id}
    # The socket comes up after the cancel: the agent drops it instead of leaking it.
    assert wiring.complete_dial(agent, dial_id) is None
    wiring.pump()
    assert fe.events == []
    assert_no_leaks(wiring)


def test_dial_response_crossing_a_cancel_is_closed_by_the_frontend() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    agent.auto_dial = False
    fe = wiring.add_frontend(single_use=False)
    dial_id = fe.endpoint.dial("c1:443")
    wiring.pump()
    wiring.complete_dial(agent, dial_id)
    fe.endpoint.cancel_dial(dial_id)  # the DIAL_RSP is already on its way
    wiring.pump()
    assert agent.sockets == {}
    assert fe.events == []
    assert_no_leaks(wiring)


def test_late_dial_response_for_upstream_agent_gets_close_request() -> None:
    # Upstream agents ignore DIAL_CLS and answer anyway: the server frees the connection.
    wiring = Wiring()
    wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("c1:443")
    wiring.flush()  # the DIAL_REQ sits in the harness; drive the switchboard by hand instead
    board = wiring.switchboard
    board.frontend_packet(fe.id, packets.dial_request("c1:443", dial_id))
    board.frontend_packet(fe.id, packets.close_dial(dial_id))
    out = board.backend_packet("c1", packets.dial_response(dial_id, conn_id=5))
    assert out == [ToAgent("c1", packets.close_request(5))]
    assert board.pending_dials == 0


def test_frontend_leaving_closes_its_connections_at_the_agent() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    open_connection(wiring, fe, "c1:443")
    (agent_conn,) = agent.sockets
    wiring.remove_frontend(fe)
    wiring.pump()
    assert agent.closed == [agent_conn]
    assert_no_leaks(wiring)


def test_agent_leaving_fails_dials_and_closes_connections_at_once() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    open_fe = wiring.add_frontend()
    conn = open_connection(wiring, open_fe, "c1:443")
    agent.auto_dial = False
    dialing_fe = wiring.add_frontend()
    dial_id = dialing_fe.endpoint.dial("c1:443")
    wiring.pump()
    wiring.remove_agent("c1")
    wiring.pump()
    assert open_fe.events[-1] == ConnectionClosed(conn, AGENT_GONE)
    assert dialing_fe.events == [DialFailed(dial_id, f"{AGENT_GONE} during the dial")]
    assert open_fe.ended
    assert dialing_fe.ended
    assert_no_leaks(wiring)


def test_dial_timeout_answers_frontend_and_cancels_at_agent() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    agent.auto_dial = False
    fe = wiring.add_frontend()
    dial_id = fe.endpoint.dial("c1:443")
    wiring.pump()
    wiring._route(wiring.switchboard.dial_timed_out(dial_id))
    wiring.pump()
    assert fe.events == [DialFailed(dial_id, DIAL_TIMEOUT)]
    assert agent.cancelled == {dial_id}
    assert wiring.switchboard.dial_timed_out(dial_id) == []


def test_multiplexed_frontend_gets_distinct_ids_for_colliding_agent_ids() -> None:
    wiring = Wiring()
    a1 = wiring.add_agent("c1", "c1")
    a2 = wiring.add_agent("c2", "c2")
    fe = wiring.add_frontend(single_use=False)
    conn1 = open_connection(wiring, fe, "c1:443")
    conn2 = open_connection(wiring, fe, "c2:443")
    assert list(a1.sockets) == list(a2.sockets) == [1]  # both agents count from 1
    assert conn1 != conn2
    fe.endpoint.send_data(conn2, b"to c2")
    wiring.pump()
    assert a2.sockets[1] == b"to c2"
    assert a1.sockets[1] == b""


def test_single_use_stream_refuses_a_second_dial() -> None:
    wiring = Wiring()
    wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    open_connection(wiring, fe, "c1:443")
    second = fe.endpoint.dial("c1:443")
    wiring.pump()
    failure = fe.events[-1]
    assert isinstance(failure, DialFailed)
    assert failure.dial_id == second
    assert "one stream per connection" in failure.error


def test_data_before_dial_response_is_refused() -> None:
    wiring = Wiring()
    wiring.add_agent("c1", "c1")
    fe = wiring.add_frontend()
    (answer,) = wiring.switchboard.frontend_packet(fe.id, packets.data(1, b"early"))
    assert answer.packet == packets.close_response(1, "backend not initialized")  # type: ignore[union-attr]


def test_draining_agent_is_chosen_only_when_nothing_else_serves() -> None:
    wiring = Wiring()
    old = wiring.add_agent("old", "c1")
    new = wiring.add_agent("new", "c1")
    old.endpoint.drain()
    wiring.pump()
    fe = wiring.add_frontend()
    open_connection(wiring, fe, "c1:443")
    assert new.sockets
    assert not old.sockets
    wiring.remove_agent("new")
    fe2 = wiring.add_frontend()
    open_connection(wiring, fe2, "c1:443")
    assert old.sockets


def test_thousand_open_close_cycles_leave_nothing_behind() -> None:
    wiring = Wiring()
    agent = wiring.add_agent("c1", "c1")
    for i in range(1000):
        fe = wiring.add_frontend()
        conn = open_connection(wiring, fe, "c1:443")
        fe.endpoint.send_data(conn, b"x")
        if i % 2:
            fe.endpoint.close(conn)
        else:
            (agent_conn,) = agent.sockets
            del agent.sockets[agent_conn]
            agent.endpoint.closed(agent_conn)
        wiring.pump()
        wiring.remove_frontend(fe)
        wiring.pump()
    assert_no_leaks(wiring)
    assert wiring.switchboard.frontends == 0
    assert agent.sockets == {}


@pytest.mark.parametrize(
    "agent_name",
    [pytest.param("c1", id="known-agent")],
)
def test_data_for_unknown_connection_is_answered_not_crashed(agent_name: str) -> None:
    wiring = Wiring()
    agent: FakeAgent = wiring.add_agent(agent_name, "c1")
    assert agent.endpoint.receive_packet(packets.data(42, b"?")) == []
    assert agent.endpoint.packets_to_send() == [
        packets.close_response(42, "unrecognized connectID")
    ]
    assert agent.endpoint.receive_packet(packets.close_request(43)) == []
    assert agent.endpoint.packets_to_send() == [packets.close_response(43, "Unknown connectID")]
