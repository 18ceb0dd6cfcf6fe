"""Keep the buffers of a bulk transfer in the heap (glibc's allocator), see `keep_bulk_buffers`."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Final

#: `mallopt` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD: Final = -1
M_MMAP_THRESHOLD: Final = -3
#: Allocations up to this size come from the heap. glibc's default (128 KiB, raised only as
#: large blocks are freed) maps every 256 KiB-1 MiB packet buffer afresh and faults its pages
#: in: 100-600 page faults per MB moved, ≈ 20 % of the agent's CPU (docs/performance.md §5).
MMAP_THRESHOLD: Final = 4 * 1024 * 1024
#: Free memory at the top of the heap kept for the next buffers instead of being returned at
#: once.
TRIM_THRESHOLD: Final = 8 * 1024 * 1024


def keep_bulk_buffers() -> bool:
    """Set glibc's mmap and trim thresholds for bulk transfers; False where there is no glibc."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
