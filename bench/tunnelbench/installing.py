"""Installing the Debian packages the benchmark needs (openssh-server, wrk), loudly.

apt-get's own output is echoed, indented, so that whoever runs `make bench` sees exactly
what changed on their machine. Nothing is installed when the tool is already there or when
the run was started with --no-install.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Final

APT_ENV: Final = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def find_tool(name: str, *, extra_dirs: tuple[str, ...] = ("/usr/sbin", "/sbin")) -> Path | None:
    """The tool on PATH or in the sbin directories a non-login PATH may lack."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for directory in extra_dirs:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


async def _run_echoed(argv: list[str]) -> int:
    print(f"  $ {' '.join(argv)}", flush=True)
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=APT_ENV,
    )
    assert process.stdout is not None
    async for line in process.stdout:
        print(f"    {line.decode(errors='replace').rstrip()}", flush=True)
    return await process.wait()


async def ensure_tool(tool: str, package: str, *, allow_install: bool) -> Path | None:
    """Find `tool`, installing Debian `package` first when allowed; None when unavailable."""
    found = find_tool(tool)
    if found or not allow_install:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"[setup] {tool} missing and apt-get as root is not available here", flush=True)
        return None
    print(f"[setup] {tool} missing: installing Debian package {package}", flush=True)
    command = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if await _run_echoed(command) != 0:
        # A fresh machine may have no package lists yet: refresh once and retry.
        await _run_echoed(["apt-get", "update"])
        if await _run_echoed(command) != 0:
            print(f"[setup] installing {package} failed", flush=True)
            return None
    return find_tool(tool)
