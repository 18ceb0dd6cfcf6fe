"""`--profile`: record what the tunnel's server and agent spend their time on, per row.

While a row runs on a tunnel path, `py-spy record` samples the path's server and agent
processes and writes a speedscope profile to `<results dir>/profiles-<stamp>/`, which is how
a row that misses its target shows what limits it. py-spy (a PyPI package) is installed into
the running interpreter's environment on first use. Sampling costs CPU on a 2-core machine,
so profiled runs are for finding limits, not for the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from tunnelbench import processes
from tunnelbench.paths import BenchPath

SAMPLE_RATE: Final = 200
PY_SPY: Final = "py-spy"


async def ensure_py_spy() -> Path | None:
    """The py-spy binary, pip-installing it beside the running interpreter if missing."""
    local = Path(sys.executable).parent / PY_SPY
    if local.exists():
        return local
    found = shutil.which(PY_SPY)
    if found:
        return Path(found)
    print(f"[setup] --profile: installing {PY_SPY} with pip", flush=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pip", "install", "--quiet", PY_SPY,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await process.wait() != 0 or not local.exists():
        print(f"[setup] --profile: could not install {PY_SPY}; profiling is off", flush=True)
        return None
    return local


@contextlib.asynccontextmanager
async def profiled(
    py_spy: Path | None, path: BenchPath, *, row: int, out_dir: Path
) -> AsyncIterator[list[Path]]:
    """Sample the path's server and agent for the duration of the block; yield output files."""
    roles = [("server", pid) for pid in path.server_pids] + [
        ("agent", pid) for pid in path.agent_pids
    ]
    if py_spy is None or path.name in ("direct", "ssh") or not roles:
        yield []
        return
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    recorders: list[processes.ChildProcess] = []
    outputs: list[Path] = []
    for role, pid in roles:
        output = out_dir / f"row{row}-{path.name}-{role}.speedscope.json"
        argv = [
            str(py_spy), "record", "--pid", str(pid), "--rate", str(SAMPLE_RATE),
            "--format", "speedscope", "--output", str(output), "--nonblocking",
        ]  # fmt: skip
        recorders.append(await processes.start(f"py-spy {role}", argv))
        outputs.append(output)
    try:
        yield outputs
    finally:
        # SIGINT makes py-spy stop sampling and write its file.
        for recorder in recorders:
            with contextlib.suppress(ProcessLookupError):
                recorder.process.send_signal(signal.SIGINT)
        for recorder in recorders:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recorder.process.wait(), processes.STOP_GRACE_S)
            await recorder.stop()
