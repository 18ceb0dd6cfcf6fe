"""`bench/transport_floor.py --quick` runs both echo peers and prints every figure.

It asserts no speed (that is what the script reports), only that both transports carried
the packets and the table is complete.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "transport_floor.py"
METRICS = (
    "ping-pong p50",
    "ping-pong p99",
    "echo CPU per round trip",
    "100 B packets echoed",
    "echo CPU per packet",
    "1 MiB packets echoed",
    "echo CPU per MB",
)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_quick_run_prints_every_metric_for_both_transports() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=110, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = {line[:26].strip(): line[26:].split() for line in done.stdout.splitlines()}
    for metric in METRICS:
        _unit, *values, ratio = lines[metric]
        figures = [float(value.replace(",", "")) for value in values]
        assert len(figures) == 2, output
        # CPU counters tick every 10 ms, so a quick run may count none; time and rates may not.
        assert all(f >= 0 if "CPU" in metric else f > 0 for f in figures), output
        assert ratio.endswith("x") or (ratio == "n/a" and figures[0] == 0), output
