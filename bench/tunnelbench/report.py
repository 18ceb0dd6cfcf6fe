"""Results of a run and how they are shown: the stdout table and the JSON document (pure).

Every figure is printed with its ratio to the direct baseline and to OpenSSH in the same
run, and with the issue's target and a PASS/MISS verdict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tunnelbench.catalog import ROWS, MetricSpec
from tunnelbench.config import PATH_DIRECT, PATH_SSH
from tunnelbench.targets import Verdict, format_number, format_ratio


@dataclass
class PathResult:
    """One path's figures for one row; `note` explains n/a figures or adds context."""

    path: str
    values: dict[str, float | None] = field(default_factory=dict)
    note: str = ""
    work: float | None = None
    """How many units of the row's work (its `work_unit`) the measurement did, warm-up
    included, so the CPU its processes spent can be given per unit; None for rows without."""


@dataclass
class RowResult:
    """One row: which workload it ran (`detail`) and every path's figures."""

    number: int
    detail: str
    paths: list[PathResult] = field(default_factory=list)

    def value(self, path: str, key: str) -> float | None:
        for result in self.paths:
            if result.path == path:
                return result.values.get(key)
        return None


def format_value(metric: MetricSpec, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.yes_no:
        return "yes" if value >= 1 else "no"
    return format_number(value)


def judge(metric: MetricSpec, row: RowResult, path: str) -> str:
    """`<target> PASS|MISS`, `<target> n/a`, or empty when the metric has no target."""
    if metric.target is None:
        return ""
    verdict = metric.target.judge(
        row.value(path, metric.key), ssh_value=row.value(PATH_SSH, metric.key)
    )
    wanted = "yes" if metric.yes_no else metric.target.describe()
    return f"{wanted} {verdict}"


_COLUMNS = ("path", "metric", "value", "vs direct", "vs ssh", "target")
_WIDTHS = (21, 26, 12, 10, 8, 0)


def _line(cells: tuple[str, ...]) -> str:
    parts = [
        cell.ljust(width) if width else cell for cell, width in zip(cells, _WIDTHS, strict=True)
    ]
    return ("  " + " ".join(parts)).rstrip()


def render_row(row: RowResult) -> list[str]:
    spec = ROWS[row.number]
    lines = [f"Row {row.number}: {spec.title} ({row.detail})", _line(_COLUMNS)]
    for result in row.paths:
        if all(result.values.get(m.key) is None for m in spec.metrics):
            lines.append(_line((result.path, result.note or "n/a", "", "", "", "")))
            continue
        for metric in spec.metrics:
            value = result.values.get(metric.key)
            if value is None and metric.optional:
                continue
            label = f"{metric.label} {metric.unit}".strip()
            ratios = (
                ("", "")
                if metric.yes_no
                else (
                    format_ratio(value, row.value(PATH_DIRECT, metric.key)),
                    format_ratio(value, row.value(PATH_SSH, metric.key)),
                )
            )
            lines.append(
                _line(
                    (
                        result.path,
                        label,
                        format_value(metric, value),
                        *ratios,
                        judge(metric, row, result.path),
                    )
                )
            )
        if result.note:
            lines.append(_line(("", f"note: {result.note}", "", "", "", "")))
    return lines


def render_table(rows: list[RowResult]) -> str:
    blocks = ["\n".join(render_row(row)) for row in rows]
    return "\n\n".join(blocks)


def verdicts(rows: list[RowResult]) -> dict[str, int]:
    """How many PASS/MISS/n-a verdicts the run produced, for the closing summary."""
    counts = {verdict.value: 0 for verdict in Verdict}
    for row in rows:
        for metric in ROWS[row.number].metrics:
            if metric.target is None:
                continue
            for result in row.paths:
                value = result.values.get(metric.key)
                if value is None and metric.optional:
                    continue
                verdict = metric.target.judge(value, ssh_value=row.value(PATH_SSH, metric.key))
                counts[verdict.value] += 1
    return counts


def to_document(rows: list[RowResult], *, environment: dict[str, Any]) -> dict[str, Any]:
    """The JSON results document: environment facts plus every row with its verdicts."""
    document_rows = []
    for row in rows:
        entry = asdict(row)
        entry["title"] = ROWS[row.number].title
        entry["targets"] = {
            m.key: m.target.describe() for m in ROWS[row.number].metrics if m.target is not None
        }
        entry["verdicts"] = {
            result.path: {
                m.key: m.target.judge(
                    result.values.get(m.key), ssh_value=row.value(PATH_SSH, m.key)
                ).value
                for m in ROWS[row.number].metrics
                if m.target is not None
            }
            for result in row.paths
        }
        document_rows.append(entry)
    return {"environment": environment, "rows": document_rows}
