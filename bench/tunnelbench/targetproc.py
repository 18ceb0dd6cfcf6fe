"""The target services' process: started once per run, shared by every path."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from tunnelbench import processes

BENCH_DIR: Final = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S: Final = 15.0


def child_env() -> dict[str, str]:
    """The environment for Python children: tunnelbench importable, output unbuffered."""
    pythonpath = os.pathsep.join(p for p in (str(BENCH_DIR), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}


@contextlib.asynccontextmanager
async def target_services(workdir: Path) -> AsyncIterator[dict[str, int]]:
    """Start `python -m tunnelbench.services`; yield its service -> port map."""
    child = await processes.start(
        "targets",
        [sys.executable, "-m", "tunnelbench.services"],
        env=child_env(),
        log_path=workdir / "targets.log",
        capture_stdout=True,
    )
    try:
        assert child.process.stdout is not None
        line = await asyncio.wait_for(child.process.stdout.readline(), READY_TIMEOUT_S)
        if not line:
            raise RuntimeError(f"target services exited; see {workdir / 'targets.log'}")
        ports: dict[str, int] = json.loads(line)
        yield ports
    finally:
        await child.stop()
