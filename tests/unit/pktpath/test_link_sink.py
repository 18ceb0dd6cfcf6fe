"""A link with a sink hands packets over as they are pushed, in order, with no queue."""

from __future__ import annotations

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from proxy_server.relay import Link


def test_attach_hands_over_the_queue_then_each_push_then_the_end_once() -> None:
    link = Link(high_water=1 << 20)
    first, second, third = (packets.data(1, bytes([n])) for n in range(3))
    link.push(first)
    link.push(second)
    got: list[Packet | None] = []
    link.attach(lambda packet, size: got.append(packet))
    assert got == [first, second]
    assert link.queued_bytes == 0
    link.push(third)
    assert got == [first, second, third]
    link.close()
    link.close()
    link.push(packets.data(1, b"late"))
    assert got == [first, second, third, None]
