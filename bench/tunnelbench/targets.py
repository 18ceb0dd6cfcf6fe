"""The issue's targets and how a measured figure is judged against them (pure).

A target is either absolute (`AtLeast`, `AtMost`) or relative to OpenSSH's figure in the same
run (`AtLeastTimesSsh`), because absolute throughput on a shared 2-core host swings ±30 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What the table prints next to a figure."""

    PASS = "PASS"
    MISS = "MISS"
    NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class AtLeast:
    """The figure must be >= `bound` (throughput, rates, percentages)."""

    bound: float

    def judge(self, value: float | None, *, ssh_value: float | None = None) -> Verdict:
        if value is None:
            return Verdict.NOT_APPLICABLE
        return Verdict.PASS if value >= self.bound else Verdict.MISS

    def describe(self) -> str:
        return f">= {format_number(self.bound)}"


@dataclass(frozen=True)
class AtMost:
    """The figure must be <= `bound` (latencies, memory)."""

    bound: float

    def judge(self, value: float | None, *, ssh_value: float | None = None) -> Verdict:
        if value is None:
            return Verdict.NOT_APPLICABLE
        return Verdict.PASS if value <= self.bound else Verdict.MISS

    def describe(self) -> str:
        return f"<= {format_number(self.bound)}"


@dataclass(frozen=True)
class AtLeastTimesSsh:
    """The figure must be >= `factor` times OpenSSH's figure measured in the same run."""

    factor: float

    def judge(self, value: float | None, *, ssh_value: float | None = None) -> Verdict:
        if value is None or ssh_value is None or ssh_value <= 0:
            return Verdict.NOT_APPLICABLE
        return Verdict.PASS if value >= self.factor * ssh_value else Verdict.MISS

    def describe(self) -> str:
        return f">= {self.factor:.1f}x ssh"


Target = AtLeast | AtMost | AtLeastTimesSsh


def format_number(value: float) -> str:
    """Human figures: whole numbers as such, thousands separators, 1 decimal below 100 and 2
    below 10."""
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(value: float | None, baseline: float | None) -> str:
    """`value / baseline` as `1.23x`; `-` when either side is missing or the baseline is 0."""
    if value is None or baseline is None or baseline == 0:
        return "-"
    return f"{value / baseline:.2f}x"
