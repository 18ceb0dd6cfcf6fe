"""CPU time a path's own processes spend per unit of a row's work.

Read from /proc before and after each measurement, over the process trees of the path's
server side and agent side (sshd forks a process per session). The load generator and the
target services are not counted, so the figures compare the tunnels themselves.

`HostTimes` reads the machine's own counters: on a virtual machine the hypervisor may run
other guests on our cores ("steal"), and every figure of a row measured then is slower by
about that share, whichever path it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

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


#: The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal ...
PROC_STAT: Final = Path("/proc/stat")
STEAL_FIELD: Final = 7


@dataclass(frozen=True)
class HostTimes:
    """Clock ticks all CPUs spent in total and with their time stolen by the hypervisor."""

    total: int
    steal: int

    @classmethod
    def parse(cls, proc_stat: str) -> HostTimes | None:
        """From /proc/stat's text; None when its `cpu` line is not there or too short."""
        for line in proc_stat.splitlines():
            fields = line.split()
            if fields and fields[0] == "cpu" and len(fields) > STEAL_FIELD + 1:
                ticks = [int(field) for field in fields[1 : STEAL_FIELD + 2]]
                return cls(total=sum(ticks), steal=ticks[STEAL_FIELD])
        return None

    @classmethod
    def now(cls) -> HostTimes | None:
        """None where there is no /proc/stat (not Linux)."""
        try:
            return cls.parse(PROC_STAT.read_text())
        except OSError:
            return None


def steal_percent(before: HostTimes | None, after: HostTimes | None) -> float | None:
    """Share of the CPU time between two readings that the hypervisor gave to others."""
    if before is None or after is None or after.total <= before.total:
        return None
    return 100.0 * (after.steal - before.steal) / (after.total - before.total)
