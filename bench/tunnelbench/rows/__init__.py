"""The measurements behind each row, and the one-line description of each row's workload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from tunnelbench.config import GIB, MIB, Workload
from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.agents import many_agents
from tunnelbench.rows.context import RowContext
from tunnelbench.rows.head_of_line import stalled_neighbour
from tunnelbench.rows.http_load import keep_alive_load
from tunnelbench.rows.idle import idle_connections
from tunnelbench.rows.latency import dial_setup, echo_round_trips
from tunnelbench.rows.throughput import parallel_connections, single_connection

__all__ = ["MEASUREMENTS", "RowContext", "describe_workload"]

Measurement = Callable[[BenchPath, RowContext], Awaitable[PathResult]]

MEASUREMENTS: Final[dict[int, Measurement]] = {
    1: single_connection,
    2: parallel_connections,
    3: echo_round_trips,
    4: dial_setup,
    5: keep_alive_load,
    6: stalled_neighbour,
    7: idle_connections,
    8: many_agents,
}


def format_bytes(count: int) -> str:
    if count >= GIB and count % GIB == 0:
        return f"{count // GIB} GiB"
    if count >= MIB:
        return f"{count / MIB:g} MiB"
    return f"{count} B"


def describe_workload(row: int, workload: Workload, *, wrk: bool) -> str:
    """The workload of `row` in words, printed in the row's heading."""
    match row:
        case 1:
            return f"{format_bytes(workload.single_bytes)} each way"
        case 2:
            return (
                f"{workload.parallel_connections} x {format_bytes(workload.parallel_bytes_each)}"
                " each way"
            )
        case 3:
            return f"{workload.echo_round_trips} x {workload.echo_size} B, sequential"
        case 4:
            return f"{workload.dials} sequential dials"
        case 5:
            generator = "asyncio generator" + (", plus wrk on plain ports" if wrk else "")
            return f"{workload.http_connections} conns, {workload.http_seconds:g} s; {generator}"
        case 6:
            return (
                f"neighbour pulls {format_bytes(workload.hol_bytes)}, "
                f"cut off at {workload.hol_timeout_s:g} s"
            )
        case 7:
            return f"{workload.idle_connections} connections"
        case 8:
            return f"{workload.agents} agents, {workload.agent_dials} dials"
    raise ValueError(f"no row {row}")
