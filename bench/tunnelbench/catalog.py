"""The benchmark's rows and their metrics: titles, units and targets from the issue.

Pure data. Row numbers match issue 3; metric keys are the JSON keys of the results file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from tunnelbench.targets import AtLeast, AtLeastTimesSsh, AtMost, Target


@dataclass(frozen=True)
class MetricSpec:
    """One figure a row reports per path."""

    key: str
    label: str
    unit: str
    target: Target | None = None
    yes_no: bool = False
    """Printed as yes/no (1.0/0.0) rather than as a number."""
    optional: bool = False
    """Left out of the table for paths that cannot produce it (wrk needs a plain port)."""


@dataclass(frozen=True)
class RowSpec:
    """One row of the table: a title and the metrics it reports."""

    number: int
    title: str
    metrics: tuple[MetricSpec, ...] = field(default_factory=tuple)
    work_unit: str = ""
    """The unit of work CPU time is given per (MB, round trip, ...); empty for rows without."""


SERVER_CPU_KEY: Final = "server_cpu_us"
AGENT_CPU_KEY: Final = "agent_cpu_us"


def cpu_metrics(unit: str) -> tuple[MetricSpec, ...]:
    """CPU microseconds per unit of work of the path's server side and agent side.

    Wall-clock figures swing with the load of a shared machine; these do not, so they are
    what before/after comparisons should read. Paths without processes of their own
    (direct) leave them out.
    """
    return (
        MetricSpec(SERVER_CPU_KEY, "server CPU", f"us/{unit}", optional=True),
        MetricSpec(AGENT_CPU_KEY, "agent CPU", f"us/{unit}", optional=True),
    )


def _row(number: int, title: str, metrics: tuple[MetricSpec, ...], work_unit: str = "") -> RowSpec:
    if work_unit:
        metrics += cpu_metrics(work_unit)
    return RowSpec(number, title, metrics, work_unit)


ROWS: Final[dict[int, RowSpec]] = {
    1: _row(
        1,
        "single-connection throughput",
        (
            MetricSpec("up_mbps", "up", "MB/s", AtLeastTimesSsh(1.0)),
            MetricSpec("down_mbps", "down", "MB/s", AtLeastTimesSsh(1.0)),
        ),
        "MB",
    ),
    2: _row(
        2,
        "8 parallel connections, aggregate",
        (
            MetricSpec("up_mbps", "up", "MB/s"),
            MetricSpec("down_mbps", "down", "MB/s"),
        ),
        "MB",
    ),
    3: _row(
        3,
        "100-byte echo round trips",
        (
            MetricSpec("p50_us", "p50", "us", AtMost(400)),
            MetricSpec("p99_us", "p99", "us", AtMost(800)),
            MetricSpec("max_us", "max", "us"),
        ),
        "round trip",
    ),
    4: _row(
        4,
        "dial setup (connect + first echoed byte)",
        (
            MetricSpec("p50_ms", "p50", "ms", AtMost(3.0)),
            MetricSpec("p99_ms", "p99", "ms"),
        ),
        "dial",
    ),
    5: _row(
        5,
        "HTTP/1.1 keep-alive, 50 connections",
        (
            MetricSpec("req_per_s", "rate", "req/s", AtLeast(15_000)),
            MetricSpec("p99_ms", "p99", "ms", AtMost(8.0)),
            MetricSpec("wrk_req_per_s", "wrk rate", "req/s", AtLeast(15_000), optional=True),
            MetricSpec("wrk_p99_ms", "wrk p99", "ms", AtMost(8.0), optional=True),
        ),
        "request",
    ),
    6: _row(
        6,
        "head-of-line: neighbour of a stalled reader",
        (
            MetricSpec("alone_mbps", "alone", "MB/s"),
            MetricSpec("stalled_mbps", "with stalled", "MB/s"),
            MetricSpec("kept_pct", "kept", "%", AtLeast(90)),
        ),
    ),
    7: _row(
        7,
        "idle connections",
        (
            MetricSpec("failed", "failed", "conns", AtMost(0)),
            MetricSpec("kib_per_conn", "server+agent", "KiB/conn", AtMost(25)),
            MetricSpec("released", "released <= 2 s", "", AtLeast(1), yes_no=True),
            MetricSpec("left_pct", "growth left after close", "%", optional=True),
        ),
    ),
    8: _row(
        8,
        "many agents on one server",
        (
            MetricSpec("server_rss_mb", "server RSS", "MB", AtMost(300)),
            MetricSpec("dial_p99_ms", "dial p99", "ms", AtMost(10)),
        ),
    ),
}
