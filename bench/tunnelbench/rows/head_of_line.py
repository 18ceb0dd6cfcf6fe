"""Row 6: does a connection whose reader stopped hold back its neighbour?

The stalled connection asks the source for far more than any buffer holds and then never
reads, so every buffer on its way fills up (socket buffers, the tunnel's queues, the HTTP/2
window). The neighbour then downloads the same amount it moved alone; a neighbour that is
stuck is stopped at the row's timeout and credited with what it moved by then.

On a shared machine one transfer's rate swings by tens of percent, so the row alternates
rounds (alone, then beside a fresh stalled reader) and compares the medians; a neighbour that
is plainly stuck ends the rounds early.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Final

from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.rows.throughput import RECEIVE_CHUNK
from tunnelbench.services import COUNT_HEADER
from tunnelbench.stats import megabytes_per_second
from tunnelbench.streams import Stream

STALL_REQUEST: Final = 1 << 40
"""What the stalled reader asks for: far beyond every buffer on the path."""
FILL_S: Final = 1.0
"""Time given to the source to fill the stalled connection's buffers before measuring."""
ROUNDS: Final = 3
STUCK_FRACTION: Final = 0.1
"""A neighbour kept below this share of its rate alone is stuck: more rounds tell nothing."""


async def _download_until(stream: Stream, byte_count: int, timeout_s: float) -> tuple[int, float]:
    """Bytes received and seconds taken, stopping at `timeout_s` if the stream stalls."""
    await stream.send(COUNT_HEADER.pack(byte_count))
    received = 0
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            while received < byte_count:
                chunk = await stream.receive(RECEIVE_CHUNK)
                if not chunk:
                    raise EOFError(f"source closed after {received} of {byte_count} bytes")
                received += len(chunk)
    except TimeoutError:
        pass
    return received, time.perf_counter() - started


async def _neighbour_mbps(path: BenchPath, ctx: RowContext) -> float:
    stream = await path.open("source")
    try:
        received, seconds = await _download_until(
            stream, ctx.workload.hol_bytes, ctx.workload.hol_timeout_s
        )
    finally:
        await stream.close()
    return megabytes_per_second(received, seconds)


async def _beside_a_stalled_reader(path: BenchPath, ctx: RowContext) -> float:
    stalled = await path.open("source")
    try:
        await stalled.send(COUNT_HEADER.pack(STALL_REQUEST))
        await asyncio.sleep(FILL_S)
        return await _neighbour_mbps(path, ctx)
    finally:
        await stalled.close()


async def stalled_neighbour(path: BenchPath, ctx: RowContext) -> PathResult:
    alone: list[float] = []
    beside: list[float] = []
    for _ in range(ROUNDS):
        alone.append(await _neighbour_mbps(path, ctx))
        beside.append(await _beside_a_stalled_reader(path, ctx))
        if beside[-1] < STUCK_FRACTION * alone[-1]:
            break
    alone_mbps, beside_mbps = statistics.median(alone), statistics.median(beside)
    return PathResult(
        path.name,
        {
            "alone_mbps": alone_mbps,
            "stalled_mbps": beside_mbps,
            "kept_pct": 100.0 * beside_mbps / alone_mbps,
        },
        note=f"medians of {len(alone)} alternating rounds",
    )
