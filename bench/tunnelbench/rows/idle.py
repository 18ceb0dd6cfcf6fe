"""Row 7: thousands of idle connections: do they all work, what do they cost, are they freed?

Memory is the RSS of the path's server and agent process trees (for `ssh -R`: sshd and the
ssh client), sampled before opening, after every connection proved itself with a one-byte
echo, and then after closing them all, for up to 2 s, until the growth is given back.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Final

from tunnelbench import processes
from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.streams import Stream, receive_exactly

OPEN_CONCURRENCY: Final = 64
"""Dials in flight at once: enough to be quick, few enough not to overflow accept queues."""
RELEASE_WINDOW_S: Final = 2.0
RELEASED_FRACTION: Final = 0.2
"""Growth left after closing that still counts as released (allocators keep some slack)."""
SETTLE_S: Final = 0.3
POLL_S: Final = 0.1
PROBE: Final = b"i"


def path_rss(path: BenchPath) -> int:
    return sum(processes.tree_rss_bytes(pid) for pid in path.server_pids + path.agent_pids)


async def _open_checked(path: BenchPath, gate: asyncio.Semaphore) -> Stream | None:
    async with gate:
        try:
            stream = await path.open("echo")
        except OSError:
            return None
        try:
            await stream.send(PROBE)
            await receive_exactly(stream, len(PROBE))
        except (OSError, EOFError):
            await stream.close()
            return None
        return stream


async def _growth_left(path: BenchPath, *, baseline: int, grown: int) -> float:
    """The fraction of `grown` still held once it is released, or when the window ends."""
    deadline = time.monotonic() + RELEASE_WINDOW_S
    while True:
        left = (path_rss(path) - baseline) / max(1, grown)
        if left <= RELEASED_FRACTION or time.monotonic() >= deadline:
            return left
        await asyncio.sleep(POLL_S)


async def idle_connections(path: BenchPath, ctx: RowContext) -> PathResult:
    count = ctx.workload.idle_connections
    measured = bool(path.server_pids or path.agent_pids)
    baseline = path_rss(path)
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    opened = await asyncio.gather(*(_open_checked(path, gate) for _ in range(count)))
    streams = [s for s in opened if s is not None]
    await asyncio.sleep(SETTLE_S)
    grown = path_rss(path) - baseline
    await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)
    kept = len(streams)
    # A grpc.aio channel closes its TCP connection only once the channel object is freed:
    # holding the closed streams kept every gRPC connection open on the server.
    del opened, streams
    gc.collect()
    values: dict[str, float | None] = {"failed": float(count - kept)}
    if not measured:
        return PathResult(path.name, values, "no intermediary process to measure")
    left = await _growth_left(path, baseline=baseline, grown=grown)
    values["kib_per_conn"] = grown / max(1, kept) / 1024
    values["released"] = 1.0 if left <= RELEASED_FRACTION else 0.0
    values["left_pct"] = 100 * left
    return PathResult(
        path.name, values, f"RSS {baseline / 1e6:.1f} -> {(baseline + grown) / 1e6:.1f} MB"
    )
