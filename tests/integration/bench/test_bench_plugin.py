"""The tunnel plug-in end to end with the real programs: `bench/tunnel.py` starts
`python -m proxy_server` and `python -m proxy_agent` with mTLS, waits for a byte to echo
through, runs rows on both frontends (row 8 with a small fleet), and tears everything down.

This proves the harness drives our tunnel; it asserts no speed (that is what the bench reports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "tunnel.py"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_plugin_runs_rows_through_both_frontends_and_the_fleet(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--quick", "--rows", "3,8",
            "--paths", "tunnel-http-connect,tunnel-grpc", "--no-install",
            "--results-dir", str(tmp_path / "results"),
        ],
        cwd=ROOT, env={**os.environ}, capture_output=True, text=True, timeout=140, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    [results] = (tmp_path / "results").glob("tunnel-*.json")
    rows = {row["number"]: row for row in json.loads(results.read_text())["rows"]}
    for path in rows[3]["paths"]:
        assert path["values"].get("p50_us"), (path, output)
    for path in rows[8]["paths"]:
        assert path["values"].get("dial_p99_ms"), (path, output)
        assert path["note"].startswith("100/100 agents connected"), (path, output)
