"""Row 8: many lightweight agents on one server (only our tunnel can take part).

The agents come from `tunnelbench.fleet` processes (AGENTS_PER_PROCESS each). The server's
RSS is taken once they are all connected, then dials go through the path's frontend to
agents picked across the fleet by host name (`destHost` routing), each timed to its first
echoed byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Final

from tunnelbench import fleet, processes
from tunnelbench.paths import BenchPath, FleetAccess
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.stats import percentile
from tunnelbench.streams import receive_exactly
from tunnelbench.targetproc import child_env

NEEDS_TUNNEL: Final = "n/a (needs the tunnel's agent protocol)"
AGENTS_PER_PROCESS: Final = 250
FLEET_READY_TIMEOUT_S: Final = 120.0
SETTLE_S: Final = 1.0
PREFIX: Final = "fleet"
STRIDE: Final = 7919
"""A prime, so successive dials land on agents spread over the whole fleet."""


@contextlib.asynccontextmanager
async def running_fleet(access: FleetAccess, count: int, ctx: RowContext) -> AsyncIterator[int]:
    """Start the fleet processes; yield how many agents connected."""
    children: list[processes.ChildProcess] = []
    try:
        for first in range(0, count, AGENTS_PER_PROCESS):
            argv = [
                sys.executable, "-m", "tunnelbench.fleet",
                "--server", access.agent_server, "--prefix", PREFIX,
                "--ca", str(access.certs.ca),
                "--cert", str(access.certs.fleet.cert), "--key", str(access.certs.fleet.key),
                "--first", str(first), "--count", str(min(AGENTS_PER_PROCESS, count - first)),
            ]  # fmt: skip
            children.append(
                await processes.start("fleet", argv, env=child_env(), capture_stdout=True)
            )
        connected = 0
        async with asyncio.timeout(FLEET_READY_TIMEOUT_S):
            for child in children:
                assert child.process.stdout is not None
                line = await child.process.stdout.readline()
                connected += json.loads(line)["connected"] if line else 0
        ctx.progress(f"  {connected} of {count} agents connected")
        yield connected
    finally:
        await asyncio.gather(*(child.stop() for child in children))


def _server_rss(path: BenchPath) -> int:
    return sum(processes.tree_rss_bytes(pid) for pid in path.server_pids)


async def _timed_dial(access: FleetAccess, address: str) -> float:
    started = time.perf_counter()
    stream = await access.open_address(address)
    try:
        await stream.send(b"a")
        await receive_exactly(stream, 1)
        return (time.perf_counter() - started) * 1e3
    finally:
        await stream.close()


async def many_agents(path: BenchPath, ctx: RowContext) -> PathResult:
    access = path.fleet
    if access is None:
        return PathResult(path.name, note=NEEDS_TUNNEL)
    count = ctx.workload.agents
    before = _server_rss(path)
    async with running_fleet(access, count, ctx) as connected:
        await asyncio.sleep(SETTLE_S)
        after = _server_rss(path)
        samples: list[float] = []
        failures = 0
        for k in range(ctx.workload.agent_dials):
            name = fleet.agent_id(PREFIX, (k * STRIDE) % count)
            try:
                samples.append(await _timed_dial(access, f"{name}:{access.echo_port}"))
            except (OSError, EOFError):
                failures += 1
    values: dict[str, float | None] = {
        "server_rss_mb": after / 1e6,
        "dial_p99_ms": percentile(samples, 0.99) if samples else None,
    }
    note = (
        f"{connected}/{count} agents connected; server RSS {before / 1e6:.0f} -> "
        f"{after / 1e6:.0f} MB; {failures} of {ctx.workload.agent_dials} dials failed"
    )
    return PathResult(path.name, values, note)
