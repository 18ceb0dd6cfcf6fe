"""CPU time a path's own processes spend per unit of a row's work.

Read from /proc before and after each measurement, over the process trees of the path's
server side and agent side (sshd forks a process per session). The load generator and the
target services are not counted, so the figures compare the tunnels themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from tunnelbench.catalog import AGENT_CPU_KEY, SERVER_CPU_KEY
from tunnelbench.paths import BenchPath
from tunnelbench.processes import tree_cpu_seconds

MICROSECONDS_PER_SECOND = 1e6


@dataclass(frozen=True)
class CpuSnapshot:
    server_s: float
    agent_s: float


def snapshot(path: BenchPath) -> CpuSnapshot | None:
    """The path's CPU seconds so far; None for a path without processes of its own."""
    if not path.server_pids and not path.agent_pids:
        return None
    return CpuSnapshot(
        server_s=sum(tree_cpu_seconds(pid) for pid in path.server_pids),
        agent_s=sum(tree_cpu_seconds(pid) for pid in path.agent_pids),
    )


def per_work(
    before: CpuSnapshot | None, after: CpuSnapshot | None, work: float | None
) -> dict[str, float | None]:
    """CPU microseconds per unit of work, server and agent side; empty when not measurable."""
    if before is None or after is None or not work:
        return {}
    return {
        SERVER_CPU_KEY: (after.server_s - before.server_s) * MICROSECONDS_PER_SECOND / work,
        AGENT_CPU_KEY: (after.agent_s - before.agent_s) * MICROSECONDS_PER_SECOND / work,
    }
