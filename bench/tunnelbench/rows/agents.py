"""Row 8: many lightweight agents on one server (only our tunnel can take part)."""

from __future__ import annotations

from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext

NEEDS_TUNNEL = "n/a (needs the tunnel's agent protocol)"


async def many_agents(path: BenchPath, ctx: RowContext) -> PathResult:
    if path.many_agents is None:
        return PathResult(path.name, note=NEEDS_TUNNEL)
    values = await path.many_agents(ctx.workload.agents, ctx.workload.agent_dials)
    return PathResult(path.name, values, f"{ctx.workload.agents} agents")
