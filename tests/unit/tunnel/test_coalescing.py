"""Batching writers let a burst settle: packets queued by other tasks woken in the same poll
join the first packet's batch instead of each going out in a message of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.batching import BATCH, BURST_MEMORY, SETTLE_ITERATIONS, BurstMeter, unpack
from proxy_agent.outbox import Outbox
from proxy_server.relay import Link
from proxy_server.transport.grpc_agent import write_link

AgentContext = grpc.aio.ServicerContext[Packet, Packet]


async def _queue_after_a_hop(push: Callable[[Packet], None], packet: Packet) -> None:
    """Like a socket's reader task: woken, it queues one packet on its next step."""
    await asyncio.sleep(0)
    push(packet)


async def _packets_of(link: Link, settle: int = 0) -> list[Packet | None]:
    return [packet for packet, _ in await link.get_batch(settle)]


async def test_link_batch_takes_packets_queued_while_it_settles() -> None:
    link = Link(high_water=1 << 20)
    first, *others = [packets.data(n, b"x") for n in range(1, 5)]
    link.push(first)
    producers = [asyncio.ensure_future(_queue_after_a_hop(link.push, packet)) for packet in others]
    batch = await _packets_of(link, SETTLE_ITERATIONS)
    assert batch == [first, *others]
    await asyncio.gather(*producers)


async def test_link_batch_without_settling_takes_only_what_is_queued() -> None:
    link = Link(high_water=1 << 20)
    first, second = packets.data(1, b"x"), packets.data(2, b"y")
    link.push(first)
    producer = asyncio.ensure_future(_queue_after_a_hop(link.push, second))
    assert await _packets_of(link) == [first]
    await producer
    assert await _packets_of(link) == [second]


async def test_link_end_is_not_delayed_by_settling() -> None:
    link = Link(high_water=1 << 20)
    link.push(None)
    assert await _packets_of(link, SETTLE_ITERATIONS) == [None]


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


def test_the_queue_settles_only_while_bursts_are_recent() -> None:
    meter = BurstMeter()
    assert meter.took(1) == 0
    assert meter.took(2) == SETTLE_ITERATIONS
    # Lone takes in the middle of a load do not switch settling off at once...
    assert [meter.took(1) for _ in range(BURST_MEMORY - 1)] == [SETTLE_ITERATIONS] * (
        BURST_MEMORY - 1
    )
    # ...but a lone connection's traffic soon stops paying for it.
    assert meter.took(1) == 0
    assert meter.took(1) == 0


class RecordingContext:
    """Stands in for the gRPC call: records each message written."""

    def __init__(self) -> None:
        self.messages: list[Packet] = []

    async def write(self, message: Packet) -> None:
        self.messages.append(message)


async def _written_after_a_burst(link: Link, context: RecordingContext, first: Packet) -> None:
    """Queue `first` and, one task hop later, a neighbour's packet; let the writer run."""
    link.push(first)
    neighbour = asyncio.ensure_future(_queue_after_a_hop(link.push, packets.data(99, b"n")))
    await neighbour
    for _ in range(SETTLE_ITERATIONS + 2):
        await asyncio.sleep(0)


async def test_the_agent_stream_writer_waits_only_while_packets_come_in_bursts() -> None:
    link = Link(high_water=1 << 20)
    context = RecordingContext()
    writer = asyncio.ensure_future(
        write_link(link, cast(AgentContext, context), lambda packet, size: None, batch=True)
    )
    # A lone packet: the writer does not wait, so the neighbour's goes in a message of its own.
    for lone in (packets.data(1, b"a"), packets.data(1, b"a")):
        context.messages.clear()
        await _written_after_a_burst(link, context, lone)
        assert [m.type for m in context.messages] == [packets.DATA, packets.DATA]
    # Two packets at once make a burst: from now on the writer lets the next burst settle.
    context.messages.clear()
    link.push(packets.data(2, b"b"))
    link.push(packets.data(3, b"c"))
    for _ in range(SETTLE_ITERATIONS + 2):
        await asyncio.sleep(0)
    assert [m.type for m in context.messages] == [BATCH]
    context.messages.clear()
    await _written_after_a_burst(link, context, packets.data(4, b"d"))
    assert [m.type for m in context.messages] == [BATCH]
    assert len(unpack(context.messages[0])) == 2
    link.push(None)
    await writer
