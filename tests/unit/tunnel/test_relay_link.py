"""Link: the per-connection queue keeps its waits correct without Events of its own."""

from __future__ import annotations

import asyncio

import pytest

from protos.tunnel import packets
from proxy_server.relay import Link

HIGH_WATER = 10


async def test_a_reader_cancelled_while_waiting_leaves_the_link_usable() -> None:
    link = Link(HIGH_WATER)
    waiting = asyncio.ensure_future(link.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    link.push(packets.data(1, b"x"))
    packet = await asyncio.wait_for(link.get(), 1)
    assert packet is not None
    assert packet.data.data == b"x"


async def test_producers_wait_for_room_and_one_cancelled_does_not_strand_the_others() -> None:
    link = Link(HIGH_WATER)
    link.push(packets.data(1, b"x" * HIGH_WATER))
    first = asyncio.ensure_future(link.wait_room())
    second = asyncio.ensure_future(link.wait_room())
    await asyncio.sleep(0)
    assert not first.done()
    assert not second.done()
    first.cancel()
    await asyncio.sleep(0)
    await link.get()  # below the high-water mark again
    await asyncio.wait_for(second, 1)
    assert first.cancelled()


async def test_abort_completes_the_abort_future_before_and_after_it_is_asked_for() -> None:
    early = Link(HIGH_WATER)
    before = early.when_aborted()
    assert not before.done()
    early.abort("stalled")
    assert before.done()
    late = Link(HIGH_WATER)
    late.abort("stalled")
    assert late.when_aborted().done()
    assert await late.get() is None
