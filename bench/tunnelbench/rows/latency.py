"""Rows 3 and 4: echo round trips on one open connection, and dial setup time.

Both are strictly sequential: each sample waits for the previous one, so a stall (such as
the Nagle/delayed-ACK 40 ms one of `ssh -N`) shows up in max and p99 rather than being
averaged away.
"""

from __future__ import annotations

import time
from typing import Final

from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.stats import summarize
from tunnelbench.streams import receive_exactly

ECHO_WARMUP: Final = 50
DIAL_WARMUP: Final = 5
PROBE: Final = b"x"


async def echo_round_trips(path: BenchPath, ctx: RowContext) -> PathResult:
    payload = bytes(range(256))[: ctx.workload.echo_size].ljust(ctx.workload.echo_size, b".")
    stream = await path.open("echo")
    samples: list[float] = []
    try:
        for index in range(ECHO_WARMUP + ctx.workload.echo_round_trips):
            started = time.perf_counter()
            await stream.send(payload)
            if await receive_exactly(stream, len(payload)) != payload:
                raise RuntimeError("echo returned different bytes")
            if index >= ECHO_WARMUP:
                samples.append((time.perf_counter() - started) * 1e6)
    finally:
        await stream.close()
    summary = summarize(samples)
    return PathResult(
        path.name,
        {"p50_us": summary.p50, "p99_us": summary.p99, "max_us": summary.max},
        work=ECHO_WARMUP + ctx.workload.echo_round_trips,
    )


async def _dial_once(path: BenchPath) -> float:
    """Seconds from starting the dial until the first echoed byte is back."""
    started = time.perf_counter()
    stream = await path.open("echo")
    try:
        await stream.send(PROBE)
        await receive_exactly(stream, len(PROBE))
        return time.perf_counter() - started
    finally:
        await stream.close()


async def dial_setup(path: BenchPath, ctx: RowContext) -> PathResult:
    for _ in range(DIAL_WARMUP):
        await _dial_once(path)
    samples = [await _dial_once(path) * 1e3 for _ in range(ctx.workload.dials)]
    summary = summarize(samples)
    return PathResult(
        path.name,
        {"p50_ms": summary.p50, "p99_ms": summary.p99},
        work=DIAL_WARMUP + ctx.workload.dials,
    )
