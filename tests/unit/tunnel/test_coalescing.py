"""Batching writers let a burst settle: packets queued by other tasks woken in the same poll
join the first packet's batch instead of each going out in a message of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.batching import SETTLE_ITERATIONS
from proxy_agent.outbox import Outbox
from proxy_server.relay import Link


async def _queue_after_a_hop(push: Callable[[Packet], None], packet: Packet) -> None:
    """Like a socket's reader task: woken, it queues one packet on its next step."""
    await asyncio.sleep(0)
    push(packet)


async def test_link_batch_takes_packets_queued_while_it_settles() -> None:
    link = Link(high_water=1 << 20)
    first, *others = [packets.data(n, b"x") for n in range(1, 5)]
    link.push(first)
    producers = [asyncio.ensure_future(_queue_after_a_hop(link.push, packet)) for packet in others]
    batch = await link.get_batch(SETTLE_ITERATIONS)
    assert batch == [first, *others]
    await asyncio.gather(*producers)


async def test_link_batch_without_settling_takes_only_what_is_queued() -> None:
    link = Link(high_water=1 << 20)
    first, second = packets.data(1, b"x"), packets.data(2, b"y")
    link.push(first)
    producer = asyncio.ensure_future(_queue_after_a_hop(link.push, second))
    assert await link.get_batch() == [first]
    await producer
    assert await link.get_batch() == [second]


async def test_link_end_is_not_delayed_by_settling() -> None:
    link = Link(high_water=1 << 20)
    link.push(None)
    assert await link.get_batch(SETTLE_ITERATIONS) == [None]


async def test_outbox_take_includes_packets_queued_while_it_settles() -> None:
    outbox = Outbox()
    first, *others = [packets.data(n, b"x") for n in range(1, 5)]
    outbox.push([first])
    producers = [
        asyncio.ensure_future(_queue_after_a_hop(lambda p: outbox.push([p]), packet))
        for packet in others
    ]
    assert await outbox.take(SETTLE_ITERATIONS) == [first, *others]
    await asyncio.gather(*producers)
    assert len(outbox) == 0
