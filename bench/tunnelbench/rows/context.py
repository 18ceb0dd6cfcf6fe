"""What every row measurement receives besides the path: sizes, tools and a progress line."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tunnelbench.config import Workload


@dataclass(frozen=True)
class RowContext:
    workload: Workload
    wrk: Path | None
    """The wrk binary when available; row 5 then also reports wrk figures for plain ports."""
    started: float

    def progress(self, message: str) -> None:
        """One timestamped progress line, so a long run shows it is alive."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)
