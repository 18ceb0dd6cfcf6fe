"""The tunnel plug-in end to end: `bench/tunnel.py` starts `python -m proxy_server` and
`python -m proxy_agent` with mTLS and upstream flags, waits for a byte to echo through,
runs rows on both frontends (row 8 with a small fleet), and tears everything down.

The programs are shims around `bench_standins` (one-hop stand-ins), placed first on the
children's module path, so this proves the harness, not the tunnel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SCRIPT = ROOT / "bench" / "tunnel.py"
SHIM = "import sys\nfrom tests.support.bench_standins import main\nsys.exit(main({role!r}))\n"


def _write_shims(directory: Path) -> None:
    for package, role in (("proxy_server", "server"), ("proxy_agent", "agent")):
        (directory / package).mkdir()
        (directory / package / "__init__.py").write_text("")
        (directory / package / "__main__.py").write_text(SHIM.format(role=role))


def _processes_running_from(directory: Path) -> list[int]:
    """PIDs whose working directory is `directory` (the shims' children all run there)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc / "cwd")) == directory:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_plugin_runs_rows_through_both_frontends_and_the_fleet(tmp_path: Path) -> None:
    _write_shims(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--quick", "--rows", "3,8",
            "--paths", "tunnel-http-connect,tunnel-grpc", "--no-install",
            "--results-dir", str(tmp_path / "results"),
        ],
        # cwd: `python -m` puts it first on sys.path, so the shims beat the real packages.
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=80, check=False,
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
    assert (
        "stand-in"
        not in subprocess.run(
            ["ps", "-eo", "args"], capture_output=True, text=True, check=True
        ).stdout
    )
