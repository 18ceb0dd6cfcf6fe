"""Injectable time: the `Clock` protocol, `RealClock` (the event loop's clock) and `FakeClock`.

Everything in the runtime that waits, times out, schedules or stamps goes through a `Clock`, so
unit tests drive time by hand: `FakeClock.advance` moves time forward through every timer that
falls due, in deadline order, letting the woken tasks run before the next one fires.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

_YIELDS_PER_STEP: Final = 20
"""Loop iterations `FakeClock.advance` grants after each timer; enough for a woken task to run a
few awaits (queue hand-offs, handler calls) before time moves again."""


class Timer(Protocol):
    """A scheduled callback that can be cancelled (``asyncio.TimerHandle`` fits)."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic time for deadlines, wall time for timestamps, and waiting."""

    def now(self) -> float:
        """Monotonic seconds; only differences are meaningful."""
        ...

    def wall(self) -> datetime:
        """The current UTC time, for ``lastTransitionTime`` and Event timestamps."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer: ...

    def timeout(self, seconds: float | None) -> AbstractAsyncContextManager[object]:
        """An async context manager raising `TimeoutError` when the body overruns."""
        ...


class RealClock:
    """The running event loop's clock and the system's wall clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_later(max(seconds, 0.0), callback)

    def timeout(self, seconds: float | None) -> asyncio.Timeout:
        return asyncio.timeout(seconds)


class _FakeTimer:
    def __init__(self, deadline: float, callback: Callable[[], object]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Time that moves only when `advance` is awaited. Starts at ``start`` (wall time)."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self._now = 0.0
        self._start = start
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return self._start + timedelta(seconds=self._now)

    @property
    def pending(self) -> int:
        """Timers still scheduled (sleepers, delayed adds, timeouts)."""
        return sum(1 for _, _, timer in self._timers if not timer.cancelled)

    def call_later(self, seconds: float, callback: Callable[[], object]) -> Timer:
        timer = _FakeTimer(self._now + max(seconds, 0.0), callback)
        heapq.heappush(self._timers, (timer.deadline, next(self._seq), timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await future
        finally:
            timer.cancel()

    def timeout(self, seconds: float | None) -> _FakeTimeout:
        return _FakeTimeout(self, seconds)

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing due timers one by one in deadline order and
        letting the loop run after each, so the woken code sees the time it was woken at."""
        target = self._now + seconds
        await _let_loop_run()
        while self._timers and self._timers[0][0] <= target:
            deadline, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, deadline)
            timer.callback()
            await _let_loop_run()
        self._now = target
        await _let_loop_run()


class _FakeTimeout:
    """`asyncio.timeout` semantics on a `FakeClock`: cancel the task at the deadline and turn
    that cancellation (only that one) into `TimeoutError`."""

    def __init__(self, clock: FakeClock, seconds: float | None) -> None:
        self._clock = clock
        self._seconds = seconds
        self._timer: Timer | None = None
        self._fired = False
        self._task: asyncio.Task[object] | None = None

    async def __aenter__(self) -> _FakeTimeout:
        self._task = asyncio.current_task()
        if self._seconds is not None:
            self._timer = self._clock.call_later(self._seconds, self._fire)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._fired and exc_type is asyncio.CancelledError:
            assert self._task is not None
            if self._task.uncancel() == 0:
                raise TimeoutError

    def _fire(self) -> None:
        if self._task is not None and not self._task.done():
            self._fired = True
            self._task.cancel()


async def _let_loop_run() -> None:
    for _ in range(_YIELDS_PER_STEP):
        await asyncio.sleep(0)
