"""Run the project's programs as real subprocesses on 127.0.0.1 for integration tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp


class Proc:
    def __init__(self, name: str, args: list[str], workdir: Path) -> None:
        self.name = name
        self.args = args
        self.workdir = workdir
        self.ports_file = workdir / f"{name}.ports.json"
        self.log_path = workdir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> dict[str, int]:
        self.ports_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            "--ports-file",
            str(self.ports_file),
            stdout=log,
            stderr=log,
            env=env,
        )
        log.close()
        return await self._wait_ports()

    async def _wait_ports(self, timeout: float = 20.0) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}:\n{self.log()}")
            if self.ports_file.exists() and self.ports_file.stat().st_size:
                ports: dict[str, int] = json.loads(self.ports_file.read_text())
                return ports
            await asyncio.sleep(0.02)
        raise AssertionError(f"{self.name} did not start within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process is None:
            return 0
        if self.process.returncode is not None:
            return self.process.returncode
        self.process.send_signal(sig)
        try:
            async with asyncio.timeout(timeout):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


async def get_json_or_text(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()
