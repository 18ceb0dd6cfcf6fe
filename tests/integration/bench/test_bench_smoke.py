"""`bench/tunnel.py --quick --rows 3` end to end on the direct and `ssh -N -R` paths.

Real processes on 127.0.0.1: target services, a throwaway sshd and an ssh client. Skipped
when OpenSSH's server is not installed (the benchmark itself installs it; tests never do).
Asserts that figures were produced, never how fast they are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "tunnel.py"


def _sshd_installed() -> bool:
    return shutil.which("sshd") is not None or os.access("/usr/sbin/sshd", os.X_OK)


@pytest.mark.slow
@pytest.mark.timeout(30)
@pytest.mark.skipif(not _sshd_installed(), reason="openssh-server is not installed")
def test_quick_echo_row_measures_direct_and_ssh(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--quick", "--rows", "3", "--paths", "direct,ssh",
            "--no-install", "--results-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=25, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Row 3: 100-byte echo round trips" in done.stdout
    [results] = tmp_path.glob("tunnel-*.json")
    row = json.loads(results.read_text())["rows"][0]
    figures = {path["path"]: path["values"] for path in row["paths"]}
    assert set(figures) == {"direct", "ssh"}
    for path, values in figures.items():
        assert values["p50_us"] > 0, path
        assert values["p50_us"] <= values["p99_us"] <= values["max_us"], path
    assert row["verdicts"]["ssh"]["p50_us"] in {"PASS", "MISS"}
