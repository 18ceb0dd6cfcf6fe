"""glibc's allocator knobs, shared by the proxy-server and the proxy-agent.

- `keep_bulk_buffers`: keep the buffers of a bulk transfer in the heap. glibc's default mmap
  threshold (128 KiB, raised only as large blocks are freed) maps every 256 KiB-1 MiB packet
  buffer afresh and faults its pages in: 100-600 page faults per MB moved, ≈ 20 % of the
  agent's CPU (docs/performance.md §5).
- `malloc_trim`: give the heap's free pages back to the OS (the server calls it after a burst
  of closes, `proxy_server.memory`).

Where there is no glibc (musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any, Final

#: `mallopt` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD: Final = -1
M_MMAP_THRESHOLD: Final = -3
#: Allocations up to this size come from the heap (1 MiB DATA packets and their copies).
MMAP_THRESHOLD: Final = 4 * 1024 * 1024
#: Free memory at the top of the heap kept for the next buffers instead of being returned at
#: once (the server's idle-memory trims still return it all).
TRIM_THRESHOLD: Final = 8 * 1024 * 1024

Trim = Callable[[int], object]


def _libc_function(name: str) -> Any | None:
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def keep_bulk_buffers() -> bool:
    """Set glibc's mmap and trim thresholds for bulk transfers; False where there is no glibc."""
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def malloc_trim() -> Trim | None:
    """glibc's `malloc_trim(pad)`, or None where there is none."""
    function = _libc_function("malloc_trim")
    if function is None:
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Trim = function
    return trim
