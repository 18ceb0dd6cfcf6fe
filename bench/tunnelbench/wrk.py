"""Running wrk against a plain 127.0.0.1 port and reading its report.

wrk (Debian package `wrk`) is a C load generator: where a path exposes a plain port it shows
what the path can do when the client is not Python. Its text report is parsed here.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_P99 = re.compile(r"^\s+99(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_TO_MS: Final = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkReport:
    requests_per_second: float
    p99_ms: float


def parse_report(text: str) -> WrkReport:
    """Requests/sec and the 99% latency (from `--latency`) of a wrk report."""
    rate = _RATE.search(text)
    p99 = _P99.search(text)
    if rate is None or p99 is None:
        raise ValueError(f"unrecognised wrk output:\n{text}")
    return WrkReport(float(rate.group(1)), float(p99.group(1)) * _TO_MS[p99.group(2)])


async def run(wrk: Path, *, port: int, connections: int, seconds: float) -> WrkReport:
    argv = [
        str(wrk),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        f"http://127.0.0.1:{port}/",
    ]
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), seconds + 15)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {output.decode(errors='replace')}")
    return parse_report(output.decode(errors="replace"))
