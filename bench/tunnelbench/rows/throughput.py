"""Rows 1 and 2: bulk throughput to the sink (up) and from the source (down).

The sink and source take a byte count up front, so no half-close is needed (konnectivity has
none). Time runs from the first byte sent until the sink's ack, or until the last byte
arrives from the source; connection setup is not included.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.services import ACK, COUNT_HEADER
from tunnelbench.stats import BYTES_PER_MB, megabytes_per_second
from tunnelbench.streams import Stream, receive_exactly

SEND_CHUNK: Final = 1 << 20
RECEIVE_CHUNK: Final = 1 << 20
_ZEROS: Final = bytes(SEND_CHUNK)


async def _push(stream: Stream, byte_count: int) -> None:
    await stream.send(COUNT_HEADER.pack(byte_count))
    remaining = byte_count
    while remaining:
        size = min(remaining, SEND_CHUNK)
        await stream.send(_ZEROS if size == SEND_CHUNK else _ZEROS[:size])
        remaining -= size
    if await receive_exactly(stream, len(ACK)) != ACK:
        raise RuntimeError("sink answered something other than its ack")


async def pull(stream: Stream, byte_count: int) -> int:
    """Ask the source for `byte_count` bytes and read them all; returns how many arrived."""
    await stream.send(COUNT_HEADER.pack(byte_count))
    received = 0
    while received < byte_count:
        chunk = await stream.receive(RECEIVE_CHUNK)
        if not chunk:
            raise EOFError(f"source closed after {received} of {byte_count} bytes")
        received += len(chunk)
    return received


async def _timed_transfers(path: BenchPath, service: str, sizes: list[int]) -> float:
    """Open one stream per size, then move them all at once; the wall-clock seconds taken."""
    streams = [await path.open(service) for _ in sizes]
    move = _push if service == "sink" else pull
    try:
        started = time.perf_counter()
        await asyncio.gather(*(move(s, n) for s, n in zip(streams, sizes, strict=True)))
        return time.perf_counter() - started
    finally:
        await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)


async def _both_directions(path: BenchPath, sizes: list[int]) -> dict[str, float | None]:
    total = sum(sizes)
    up = megabytes_per_second(total, await _timed_transfers(path, "sink", sizes))
    down = megabytes_per_second(total, await _timed_transfers(path, "source", sizes))
    return {"up_mbps": up, "down_mbps": down}


def _megabytes_both_ways(sizes: list[int]) -> float:
    return 2 * sum(sizes) / BYTES_PER_MB


async def single_connection(path: BenchPath, ctx: RowContext) -> PathResult:
    sizes = [ctx.workload.single_bytes]
    values = await _both_directions(path, sizes)
    return PathResult(path.name, values, work=_megabytes_both_ways(sizes))


async def parallel_connections(path: BenchPath, ctx: RowContext) -> PathResult:
    sizes = [ctx.workload.parallel_bytes_each] * ctx.workload.parallel_connections
    values = await _both_directions(path, sizes)
    return PathResult(path.name, values, work=_megabytes_both_ways(sizes))
