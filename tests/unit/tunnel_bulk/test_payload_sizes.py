"""DATA payload sizes travel beside the packets, so the server never copies a payload to count it
(reading `packet.data.data` copies it with protobuf's upb backend)."""

from __future__ import annotations

import pytest

from protos.tunnel import DialSucceeded, Outgoing, ToAgent, ToFrontend, packets
from protos.tunnel.flow import DEFAULT_WINDOW
from proxy_server.relay import Link
from tests.support.tunnel_wiring import FakeFrontend, Wiring

WINDOW = 1024 * 1024
CHUNK = 96 * 1024  # not a divisor of the window: the held path splits a chunk at its edge


class SizeCheckingWiring(Wiring):
    """Checks every DATA packet the switchboard hands out against the size beside it."""

    def __init__(self) -> None:
        super().__init__(window=WINDOW)
        self.data_items = 0

    def _route(self, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            if isinstance(item, ToAgent | ToFrontend) and item.packet.type == packets.DATA:
                assert item.size == len(item.packet.data.data), item
                self.data_items += 1
        super()._route(outgoing)


def open_connection(wiring: Wiring, frontend: FakeFrontend) -> int:
    dial_id = frontend.endpoint.dial("c1:1")
    wiring.pump()
    (event,) = [e for e in frontend.events if getattr(e, "dial_id", None) == dial_id]
    assert isinstance(event, DialSucceeded), event
    return event.conn_id


@pytest.mark.parametrize("direction", ["up", "down"])
def test_forwarded_and_held_data_carry_their_payload_size(direction: str) -> None:
    """A plain sender overruns a stuck credit receiver, so the server holds its bytes and
    releases them in pieces cut at the window's edge once the receiver drains."""
    wiring = SizeCheckingWiring()
    up = direction == "up"
    agent = wiring.add_agent("c1", "c1", credit=up)
    fe = wiring.add_frontend(credit=not up)
    conn = open_connection(wiring, fe)
    (agent_conn,) = agent.sockets
    if up:
        agent.stuck.add(agent_conn)
    else:
        fe.stuck = True
    sends = 2 * DEFAULT_WINDOW // CHUNK
    for _ in range(sends):
        if up:
            fe.endpoint.send_data(conn, b"u" * CHUNK)
        else:
            agent.endpoint.send_data(agent_conn, b"d" * CHUNK)
    wiring.pump()
    agent.stuck.discard(agent_conn)
    wiring.unstick(fe)
    if up:
        agent.endpoint.consumed(agent_conn, agent.endpoint.held(agent_conn))
    wiring.pump()
    delivered = len(agent.sockets[agent_conn]) if up else len(fe.received[conn])
    assert delivered == sends * CHUNK
    assert wiring.data_items > sends, "held bytes were released in pieces"


async def test_the_link_counts_and_hands_out_the_size_it_was_given() -> None:
    link = Link(high_water=1 << 20)
    link.push(packets.data(1, b"abc"), 3)
    link.push(packets.credit(1, 5))
    link.push(packets.data(1, b"defg"))  # no size given: counted from the payload
    assert link.queued_bytes == 7
    batch = await link.get_batch()
    assert [size for _, size in batch] == [3, 0, 4]
    assert link.queued_bytes == 0
