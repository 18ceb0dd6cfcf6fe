"""Give the heap's free pages back to the OS once a burst of connections has closed.

glibc keeps what a process frees in its arenas, so after thousands of connections close the
server would stay at its peak RSS. `malloc_trim(0)` returns every whole free page, also in the
middle of the heap (measured: most of the growth of 2,000 idle HTTP CONNECT connections,
docs/performance.md "Idle connections: memory"). A trim takes a few milliseconds for a
100 MB heap, so it runs on a worker thread, a little after the first close of a burst; closes
after that schedule the next one.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Final

#: Seconds from a close to the trim: one trim covers the closes of a burst.
TRIM_DELAY: Final = 0.25

Trim = Callable[[int], object]


def malloc_trim() -> Trim | None:
    """glibc's `malloc_trim`, or None where there is none (musl, macOS)."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Trim = function
    return trim


class HeapTrimmer:
    def __init__(self, trim: Trim | None, *, delay: float = TRIM_DELAY) -> None:
        """`trim(pad)`: the function that returns free memory (None: do nothing)."""
        self._trim = trim
        self._delay = delay
        self._scheduled = False

    def connection_closed(self) -> None:
        """A connection's memory was freed: trim soon, once for the whole burst."""
        if self._trim is None or self._scheduled:
            return
        self._scheduled = True
        asyncio.get_running_loop().call_later(self._delay, self._start)

    def _start(self) -> None:
        self._scheduled = False  # closes from now on belong to the next trim
        asyncio.get_running_loop().run_in_executor(None, self._trim_now)

    def _trim_now(self) -> None:
        if self._trim is not None:
            self._trim(0)
