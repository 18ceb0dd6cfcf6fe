"""Pure statistics over latency samples: percentiles and summaries.

Owns nothing but arithmetic; never measures time itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples` (`fraction` in [0, 1]).

    Nearest-rank (not interpolated) so that p99 of 2,000 samples is a sample that was really
    observed, as wrk and hey report it.
    """
    if not samples:
        raise ValueError("percentile of an empty sample set")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencySummary:
    """p50/p99/max/mean of one set of latency samples, in the samples' unit."""

    count: int
    p50: float
    p99: float
    max: float
    mean: float


def summarize(samples: Sequence[float]) -> LatencySummary:
    """Summarise latency samples; raises ValueError on an empty set."""
    if not samples:
        raise ValueError("cannot summarise an empty sample set")
    return LatencySummary(
        count=len(samples),
        p50=percentile(samples, 0.50),
        p99=percentile(samples, 0.99),
        max=max(samples),
        mean=sum(samples) / len(samples),
    )


BYTES_PER_MB: Final = 1e6
"""MB is 10**6 bytes, the unit the performance spec uses."""


def megabytes_per_second(byte_count: int, seconds: float) -> float:
    """Throughput in MB/s."""
    if seconds <= 0:
        raise ValueError(f"elapsed time must be positive, got {seconds}")
    return byte_count / seconds / BYTES_PER_MB
