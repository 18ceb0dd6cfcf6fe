"""The server's opening top-up of an agent's credit rides with the first packet it sends the
agent on the connection (one gRPC message less per dial), or goes alone once the agent has
used half its initial window, so the agent never waits for it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protos.tunnel import packets
from protos.tunnel.flow import (
    DEFAULT_WINDOW,
    GRANT_FRACTION,
    INITIAL_WINDOW,
    ReceiveWindow,
    SendWindow,
)
from protos.tunnel.switchboard import Outgoing, Switchboard, ToAgent, ToFrontend

AGENT = "agent"
DIAL_ID = 7
AGENT_CONN = 3


def open_route(*, credit: bool = True) -> tuple[Switchboard, int, int, list[Outgoing]]:
    """(switchboard, frontend, frontend conn, what the agent's DIAL_RSP produced)."""
    board = Switchboard(lambda address, draining: AGENT)
    board.add_backend(AGENT, credit=credit)
    frontend = board.add_frontend(single_use=True, credit=credit)
    board.frontend_packet(frontend, packets.dial_request("svc:80", DIAL_ID))
    opened = board.backend_packet(AGENT, packets.dial_response(DIAL_ID, AGENT_CONN))
    (answer,) = [
        o for o in opened if isinstance(o, ToFrontend) and o.packet.type == packets.DIAL_RSP
    ]
    return board, frontend, answer.packet.dialResponse.connectID, opened


def credits_to_agent(outgoing: list[Outgoing]) -> list[int]:
    return [
        packets.credit_grant(o.packet)
        for o in outgoing
        if isinstance(o, ToAgent) and o.packet.type == packets.CREDIT
    ]


def test_no_credit_goes_to_the_agent_when_the_dial_succeeds() -> None:
    _, _, _, opened = open_route()
    assert credits_to_agent(opened) == []


def test_the_top_up_rides_with_the_first_data_and_only_once() -> None:
    board, frontend, conn, _ = open_route()
    first = board.frontend_packet(frontend, packets.data(conn, b"GET / HTTP/1.1\r\n\r\n"))
    assert [o.packet.type for o in first if isinstance(o, ToAgent)] == [
        packets.CREDIT,
        packets.DATA,
    ]
    assert credits_to_agent(first) == [DEFAULT_WINDOW - INITIAL_WINDOW]
    second = board.frontend_packet(frontend, packets.data(conn, b"again"))
    assert credits_to_agent(second) == []


def test_an_agent_that_sends_first_gets_the_top_up_at_half_its_initial_window() -> None:
    board, _, _, _ = open_route()
    half = INITIAL_WINDOW // 2
    assert (
        credits_to_agent(board.backend_packet(AGENT, packets.data(AGENT_CONN, b"x" * (half - 1))))
        == []
    )
    topped = board.backend_packet(AGENT, packets.data(AGENT_CONN, b"x"))
    assert credits_to_agent(topped) == [DEFAULT_WINDOW - INITIAL_WINDOW]


def test_a_plain_agent_never_sees_credit() -> None:
    board, frontend, conn, opened = open_route(credit=False)
    sent = board.frontend_packet(frontend, packets.data(conn, b"x"))
    later = board.backend_packet(AGENT, packets.data(AGENT_CONN, b"x" * INITIAL_WINDOW))
    assert credits_to_agent(opened + sent + later) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["send", "deliver", "consume", "grant", "reverse"]),
            st.integers(min_value=1, max_value=INITIAL_WINDOW),
        ),
        max_size=200,
    ),
    st.integers(min_value=INITIAL_WINDOW, max_value=8 * INITIAL_WINDOW),
)
def test_a_deferred_top_up_keeps_the_accounting_and_never_starves_the_sender(
    actions: list[tuple[str, int]], window: int
) -> None:
    """The receiver tops up only on reverse traffic or at half the initial window: the
    invariants hold, and a sender out of credit always has a grant on its way."""
    sender = SendWindow()
    receiver = ReceiveWindow(window, enforce=True)
    data_in_flight: list[int] = []
    grants_in_flight: list[int] = []

    def grant(amount: int) -> None:
        if amount:
            grants_in_flight.append(amount)

    for action, n in actions:
        if action == "send" and sender.credit:
            size = min(n, sender.credit)
            sender.take(size)
            data_in_flight.append(size)
        elif action == "deliver" and data_in_flight:
            receiver.received(data_in_flight.pop(0))
            if receiver.needs_top_up():
                grant(receiver.opening_grant())
        elif action == "consume" and receiver.held:
            grant(receiver.consumed(min(n, receiver.held)))
        elif action == "reverse":  # the receiver sends the peer a packet of this connection
            grant(receiver.opening_grant())
        elif action == "grant" and grants_in_flight:
            sender.grant(grants_in_flight.pop(0))
        assert receiver.held <= window
        assert receiver.allowed + receiver.held + receiver.owed == window
        assert sender.credit + sum(data_in_flight) == receiver.allowed - sum(grants_in_flight)
        if sender.credit == 0 and not data_in_flight and not grants_in_flight:
            # Stuck only while its receiver's consumer holds everything (a stalled reader).
            assert receiver.held > 0
            assert receiver.owed * GRANT_FRACTION < window
