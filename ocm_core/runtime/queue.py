"""`WorkQueue`: the client-go work queue, on asyncio and an injected `Clock`.

The guarantees controllers rely on:

* **Dedup while queued.** Adding a key that is already waiting to be processed is a no-op.
* **Park while processing.** A key added while a worker holds it (between `get` and `done`) is
  not handed to a second worker; `done` puts it back once, so one key is never reconciled
  concurrently and no change is lost.
* **Delays.** `add_after` schedules an add on the clock; several pending delays for one key
  collapse to the earliest.
* **Per-key rate limiting.** `add_rate_limited` waits ``base * 2**failures`` (capped) before the
  add; `forget` resets the count after a success.

Keys are handed out in FIFO order. Nothing here creates tasks; timers live on the clock.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

from ocm_core.runtime.clock import Clock, RealClock, Timer
from ocm_core.runtime.errors import QueueShutDownError


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Per-key exponential backoff for failed reconciles (client-go's defaults)."""

    base_delay: float = 0.005
    """Seconds before the first retry: short, because most failures are lost races."""
    max_delay: float = 1000.0
    """Cap in seconds (about 17 minutes), so a broken object is still retried now and then."""

    def delay(self, failures: int) -> float:
        # Guard the exponent: base * 2**failures overflows a float for a long-broken key.
        if failures >= 64:
            return self.max_delay
        return min(math.ldexp(self.base_delay, failures), self.max_delay)


class WorkQueue:
    """A deduplicating, parking, delaying, rate-limiting queue of string keys."""

    def __init__(self, *, clock: Clock | None = None, rate_limit: RateLimit | None = None) -> None:
        self._clock = clock or RealClock()
        self._rate_limit = rate_limit or RateLimit()
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._waiting: dict[str, tuple[float, Timer]] = {}
        self._failures: dict[str, int] = {}
        self._shutting_down = False

    def __len__(self) -> int:
        """Keys ready to be handed out (not counting delayed or in-flight ones)."""
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def is_processing(self, key: str) -> bool:
        return key in self._processing

    def is_waiting(self, key: str) -> bool:
        """True when ``key`` has a pending `add_after`."""
        return key in self._waiting

    def add(self, key: str) -> None:
        """Make ``key`` ready now (unless already queued; parked if being processed)."""
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._wake_one()

    def add_after(self, key: str, delay: float) -> None:
        """Add ``key`` after ``delay`` seconds; an earlier pending delay for it wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self._clock.now() + delay
        pending = self._waiting.get(key)
        if pending is not None:
            if pending[0] <= ready_at:
                return
            pending[1].cancel()
        timer = self._clock.call_later(delay, lambda: self._fire(key))
        self._waiting[key] = (ready_at, timer)

    def add_rate_limited(self, key: str) -> float:
        """Add ``key`` after its backoff delay and count one more failure; returns the delay."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = self._rate_limit.delay(failures)
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        """Reset ``key``'s failure count (call after a successful reconcile)."""
        self._failures.pop(key, None)

    def num_requeues(self, key: str) -> int:
        return self._failures.get(key, 0)

    async def get(self) -> str:
        """Wait for a ready key and mark it in flight; the caller must call `done` with it.

        Raises `QueueShutDownError` once the queue is shut down and drained of ready keys.
        """
        while not self._queue:
            if self._shutting_down:
                raise QueueShutDownError("work queue is shut down")
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # If we were woken and then cancelled, pass the wake-up on so the key is not
                # stranded while other workers sleep.
                if waiter.done() and not waiter.cancelled() and self._queue:
                    self._wake_one()
                raise
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: str) -> None:
        """Release ``key``; if it was added while in flight, it is queued again now."""
        self._processing.discard(key)
        if key in self._dirty and not self._shutting_down:
            self._queue.append(key)
            self._wake_one()

    def shut_down(self) -> None:
        """Stop accepting keys, cancel delays and wake every waiting `get`."""
        self._shutting_down = True
        for _, timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _fire(self, key: str) -> None:
        self._waiting.pop(key, None)
        self.add(key)

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
