"""WorkQueue: dedup, parking, delays on a fake clock, rate limiting, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.errors import QueueShutDownError
from ocm_core.runtime.queue import RateLimit, WorkQueue


async def test_dedup_while_queued() -> None:
    queue = WorkQueue(clock=FakeClock())
    for key in ["a", "b", "a", "a"]:
        queue.add(key)
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["a", "b"]


async def test_key_added_while_processing_is_parked_then_readded_once() -> None:
    queue = WorkQueue(clock=FakeClock())
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0, "a key in flight must not be handed to another worker"
    queue.done(key)
    assert len(queue) == 1
    assert await queue.get() == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_get_waits_for_an_add() -> None:
    queue = WorkQueue(clock=FakeClock())
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("x")
    assert await asyncio.wait_for(getter, 5) == "x"


async def test_add_after_fires_on_the_fake_clock() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock=clock)
    queue.add_after("a", 10)
    assert queue.is_waiting("a")
    await clock.advance(9.9)
    assert len(queue) == 0
    await clock.advance(0.1)
    assert len(queue) == 1
    assert not queue.is_waiting("a")


async def test_earlier_add_after_wins() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock=clock)
    queue.add_after("a", 30)
    queue.add_after("a", 5)
    queue.add_after("a", 60)
    await clock.advance(5)
    assert len(queue) == 1
    await queue.get()
    queue.done("a")
    await clock.advance(100)
    assert len(queue) == 0, "the superseded delays must not add the key again"


async def test_rate_limited_requeue_backs_off_exponentially_and_forget_resets() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock=clock, rate_limit=RateLimit(base_delay=1, max_delay=5))
    delays = []
    for _ in range(5):
        delays.append(queue.add_rate_limited("a"))
        await clock.advance(delays[-1])
        assert await queue.get() == "a"
        queue.done("a")
    assert delays == [1, 2, 4, 5, 5]
    assert queue.num_requeues("a") == 5
    queue.forget("a")
    assert queue.add_rate_limited("a") == 1


def test_rate_limit_does_not_overflow() -> None:
    assert RateLimit().delay(10_000) == 1000.0


async def test_shutdown_wakes_getters_and_cancels_delays() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock=clock)
    queue.add_after("later", 5)
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.shut_down()
    with pytest.raises(QueueShutDownError):
        await getter
    queue.add("ignored")
    await clock.advance(10)
    assert len(queue) == 0


async def test_ready_keys_are_still_handed_out_after_shutdown() -> None:
    queue = WorkQueue(clock=FakeClock())
    queue.add("a")
    queue.shut_down()
    assert await queue.get() == "a"
    with pytest.raises(QueueShutDownError):
        await queue.get()


async def test_cancelled_getter_passes_its_wakeup_on() -> None:
    queue = WorkQueue(clock=FakeClock())
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("a")  # wakes `first`
    first.cancel()
    assert await asyncio.wait_for(second, 5) == "a"
