"""Give the heap's free pages back to the OS once a burst of connections has closed.

glibc keeps what a process frees in its arenas, so after thousands of connections close the
server would stay at its peak RSS. `malloc_trim(0)` returns every whole free page, also in the
middle of the heap (measured: most of the growth of 2,000 idle HTTP CONNECT connections,
docs/performance.md "Idle connections: memory"). A trim takes a few milliseconds for a
100 MB heap, so it runs on a worker thread, once the closes of a burst pause (a quarter
second without one), and at least every 2 s while they go on; a second trim a second later
catches what is freed behind the closes.
"""

from __future__ import annotations

import asyncio
from typing import Final

from ocm_core.allocator import Trim

#: Quiet seconds after the last close before the trim: one trim covers a burst of closes.
TRIM_DELAY: Final = 0.25
#: A steady stream of closes still gets a trim this often (seconds).
MAX_TRIM_INTERVAL: Final = 2.0
#: Seconds from a trim to a second one, for what is freed after the close was reported (TLS
#: shutdowns, gRPC transports torn down once the client's TCP connection ends).
FOLLOW_UP_DELAY: Final = 1.0


class HeapTrimmer:
    def __init__(
        self,
        trim: Trim | None,
        *,
        delay: float = TRIM_DELAY,
        max_interval: float = MAX_TRIM_INTERVAL,
        follow_up: float = FOLLOW_UP_DELAY,
    ) -> None:
        """`trim(pad)`: the function that returns free memory (None: do nothing)."""
        self._trim = trim
        self._delay = delay
        self._max_interval = max_interval
        self._follow_up = follow_up
        #: Loop time of the first and of the last close not trimmed yet (None: none pending).
        self._first_close: float | None = None
        self._last_close = 0.0

    def connection_closed(self) -> None:
        """A connection's memory was freed: trim once the closes pause."""
        if self._trim is None:
            return
        loop = asyncio.get_running_loop()
        self._last_close = loop.time()
        if self._first_close is None:
            self._first_close = self._last_close
            loop.call_later(self._delay, self._check)

    def _check(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._first_close is not None
        quiet_at = self._last_close + self._delay
        if loop.time() < quiet_at and quiet_at - self._first_close < self._max_interval:
            loop.call_at(quiet_at, self._check)  # still closing: wait for the pause
            return
        self._first_close = None  # closes from now on belong to the next trim
        self._start_trim()
        loop.call_later(self._follow_up, self._start_trim)

    def _start_trim(self) -> None:
        asyncio.get_running_loop().run_in_executor(None, self._trim_now)

    def _trim_now(self) -> None:
        if self._trim is not None:
            self._trim(0)
