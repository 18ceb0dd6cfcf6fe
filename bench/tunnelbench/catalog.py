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


ROWS: Final[dict[int, RowSpec]] = {
    1: RowSpec(
        1,
        "single-connection throughput",
        (
            MetricSpec("up_mbps", "up", "MB/s", AtLeastTimesSsh(1.0)),
            MetricSpec("down_mbps", "down", "MB/s", AtLeastTimesSsh(1.0)),
        ),
    ),
    2: RowSpec(
        2,
        "8 parallel connections, aggregate",
        (
            MetricSpec("up_mbps", "up", "MB/s"),
            MetricSpec("down_mbps", "down", "MB/s"),
        ),
    ),
    3: RowSpec(
        3,
        "100-byte echo round trips",
        (
            MetricSpec("p50_us", "p50", "us", AtMost(400)),
            MetricSpec("p99_us", "p99", "us", AtMost(800)),
            MetricSpec("max_us", "max", "us"),
        ),
    ),
    4: RowSpec(
        4,
        "dial setup (connect + first echoed byte)",
        (
            MetricSpec("p50_ms", "p50", "ms", AtMost(3.0)),
            MetricSpec("p99_ms", "p99", "ms"),
        ),
    ),
    5: RowSpec(
        5,
        "HTTP/1.1 keep-alive, 50 connections",
        (
            MetricSpec("req_per_s", "rate", "req/s", AtLeast(15_000)),
            MetricSpec("p99_ms", "p99", "ms", AtMost(8.0)),
            MetricSpec("wrk_req_per_s", "wrk rate", "req/s", AtLeast(15_000), optional=True),
            MetricSpec("wrk_p99_ms", "wrk p99", "ms", AtMost(8.0), optional=True),
        ),
    ),
    6: RowSpec(
        6,
        "head-of-line: neighbour of a stalled reader",
        (
            MetricSpec("alone_mbps", "alone", "MB/s"),
            MetricSpec("stalled_mbps", "with stalled", "MB/s"),
            MetricSpec("kept_pct", "kept", "%", AtLeast(90)),
        ),
    ),
    7: RowSpec(
        7,
        "idle connections",
        (
            MetricSpec("failed", "failed", "conns", AtMost(0)),
            MetricSpec("kib_per_conn", "server+agent", "KiB/conn", AtMost(25)),
            MetricSpec("released", "released <= 2 s", "", AtLeast(1), yes_no=True),
        ),
    ),
    8: RowSpec(
        8,
        "many agents on one server",
        (
            MetricSpec("server_rss_mb", "server RSS", "MB", AtMost(300)),
            MetricSpec("dial_p99_ms", "dial p99", "ms", AtMost(10)),
        ),
    ),
}
