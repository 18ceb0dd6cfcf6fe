"""FakeClock wakes sleepers in deadline order and drives timeouts."""

from __future__ import annotations

import asyncio

import pytest

from ocm_core.runtime.clock import FakeClock, RealClock


async def test_advance_wakes_sleepers_in_deadline_order() -> None:
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async with asyncio.TaskGroup() as group:
        group.create_task(sleeper("late", 10))
        group.create_task(sleeper("early", 3))
        await clock.advance(0)
        assert woke == []
        await clock.advance(5)
        assert woke == [("early", 3.0)]
        await clock.advance(5)
    assert woke == [("early", 3.0), ("late", 10.0)]
    assert clock.now() == 10.0


async def test_wall_time_follows_advance() -> None:
    clock = FakeClock()
    start = clock.wall()
    await clock.advance(90)
    assert (clock.wall() - start).total_seconds() == 90


async def test_fake_timeout_raises_timeout_error() -> None:
    clock = FakeClock()
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def wait() -> str:
        try:
            async with clock.timeout(5):
                await never
        except TimeoutError:
            return "timed out"
        return "finished"

    task = asyncio.create_task(wait())
    await clock.advance(4)
    assert not task.done()
    await clock.advance(1)
    assert await task == "timed out"


async def test_fake_timeout_does_not_fire_after_exit() -> None:
    clock = FakeClock()
    async with clock.timeout(5):
        await asyncio.sleep(0)
    await clock.advance(10)
    assert clock.pending == 0


async def test_outer_cancellation_is_not_turned_into_timeout() -> None:
    clock = FakeClock()
    started = asyncio.Event()

    async def body() -> None:
        async with clock.timeout(100):
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(body())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_real_clock_schedules_on_the_loop() -> None:
    clock = RealClock()
    fired = asyncio.Event()
    clock.call_later(0, fired.set)
    await asyncio.wait_for(fired.wait(), 5)
    assert clock.now() > 0
