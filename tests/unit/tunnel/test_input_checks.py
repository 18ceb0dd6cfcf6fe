"""Malformed input and the transition table: refusals are typed errors, never crashes."""

from __future__ import annotations

import pytest

from protos._gen import client_pb2
from protos.tunnel import (
    TRANSITIONS,
    AgentEndpoint,
    ConnState,
    FrontendEndpoint,
    Input,
    LocalProtocolError,
    RemoteProtocolError,
    Switchboard,
    packets,
)
from protos.tunnel.states import next_state, render_markdown


def agent() -> AgentEndpoint:
    return AgentEndpoint(lambda address: address)


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(client_pb2.Packet(type=client_pb2.DATA), id="data-without-payload"),
        pytest.param(
            client_pb2.Packet(type=client_pb2.DIAL_REQ, data=client_pb2.Data(connectID=1)),
            id="dial-req-with-data-payload",
        ),
        pytest.param(client_pb2.Packet(type=99), id="unknown-type"),  # type: ignore[arg-type]
        pytest.param(packets.dial_response(1, 2), id="dial-rsp-to-agent"),
        pytest.param(packets.drain(), id="drain-to-agent"),
        pytest.param(packets.data(0, b"x"), id="connect-id-zero"),
    ],
)
def test_agent_refuses_malformed_packets(packet: client_pb2.Packet) -> None:
    with pytest.raises(RemoteProtocolError):
        agent().receive_packet(packet)


def test_agent_refuses_a_reused_dial_id() -> None:
    endpoint = AgentEndpoint(lambda a: a)
    endpoint.receive_packet(packets.dial_request("c1:443", 5))
    with pytest.raises(RemoteProtocolError, match="reuses dial id 5"):
        endpoint.receive_packet(packets.dial_request("c1:443", 5))


def test_agent_refuses_non_tcp_protocols_with_a_reason() -> None:
    endpoint = agent()
    assert endpoint.receive_packet(packets.dial_request("c1:443", 5, protocol="udp")) == []
    (answer,) = endpoint.packets_to_send()
    assert "only tcp" in answer.dialResponse.error


def test_agent_reports_our_own_misuse_as_local_error() -> None:
    endpoint = agent()
    with pytest.raises(LocalProtocolError):
        endpoint.dial_succeeded(12345)
    with pytest.raises(LocalProtocolError):
        endpoint.send_data(7, b"x")


def test_switchboard_refuses_agent_only_packets_from_frontends() -> None:
    board = Switchboard(lambda address, draining: None)
    fe = board.add_frontend()
    with pytest.raises(RemoteProtocolError, match="only agents send"):
        board.frontend_packet(fe, packets.dial_response(1, 1))
    board.add_backend("a")
    with pytest.raises(RemoteProtocolError, match="only frontends send"):
        board.backend_packet("a", packets.dial_request("x:1", 1))


def test_switchboard_ignores_answers_from_the_wrong_agent() -> None:
    board = Switchboard(lambda address, draining: "a")
    board.add_backend("a")
    board.add_backend("b")
    fe = board.add_frontend()
    board.frontend_packet(fe, packets.dial_request("x:1", 9))
    # Agent b answers a dial that was sent to agent a: b gets told to free it, a's dial stays.
    out = board.backend_packet("b", packets.dial_response(9, conn_id=3))
    assert [o.packet for o in out] == [packets.close_request(3)]  # type: ignore[union-attr]
    assert board.pending_dials == 1


def test_duplicate_dial_ids_across_frontends_are_refused() -> None:
    board = Switchboard(lambda address, draining: "a")
    board.add_backend("a")
    first, second = board.add_frontend(), board.add_frontend()
    board.frontend_packet(first, packets.dial_request("x:1", 9))
    (answer, _end) = board.frontend_packet(second, packets.dial_request("x:1", 9))
    assert "already in use" in answer.packet.dialResponse.error  # type: ignore[union-attr]


def test_frontend_refuses_answers_it_never_asked_for() -> None:
    endpoint = FrontendEndpoint(iter(range(1, 100)).__next__)
    with pytest.raises(RemoteProtocolError):
        endpoint.receive_packet(packets.dial_response(55, 1))
    with pytest.raises(RemoteProtocolError):
        endpoint.receive_packet(packets.data(3, b"x"))
    with pytest.raises(LocalProtocolError):
        endpoint.send_data(3, b"x")


def test_every_state_has_a_way_out() -> None:
    reachable_closed = {after for after in TRANSITIONS.values()}
    assert ConnState.CLOSED in reachable_closed
    for state in (ConnState.DIALING, ConnState.OPEN, ConnState.CLOSING):
        assert any(
            s is state and after is ConnState.CLOSED for (s, _), after in TRANSITIONS.items()
        )


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (ConnState.DIALING, Input.DATA),
        (ConnState.OPEN, Input.DIAL_OK),
        (ConnState.CLOSING, Input.DIAL_OK),
    ],
)
def test_illegal_transitions_raise_by_side(state: ConnState, event: Input) -> None:
    with pytest.raises(RemoteProtocolError):
        next_state(state, event, remote=True)
    with pytest.raises(LocalProtocolError):
        next_state(state, event, remote=False)


def test_transition_table_renders_for_docs() -> None:
    text = render_markdown()
    assert text.count("\n") == len(TRANSITIONS) + 2
