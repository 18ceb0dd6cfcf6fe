"""Processes that stand in for pods: start, probe readiness, restart with backoff, stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Final

import aiohttp

from ocm_core.localruntime.podspec import ProcessPlan

logger = logging.getLogger(__name__)

#: CrashLoopBackOff-like: 1 s doubling to 30 s; reset after a process ran this long.
BACKOFF_START: Final = 1.0
BACKOFF_CAP: Final = 30.0
STABLE_AFTER: Final = 60.0
#: Without a readiness probe, a process counts as ready once it has run this long.
READY_WITHOUT_PROBE: Final = 1.0
PROBE_INTERVAL: Final = 1.0
STOP_GRACE: Final = 10.0


class ManagedProcess:
    """One container of one replica, kept running until `stop()`."""

    def __init__(
        self,
        plan: ProcessPlan,
        log_path: Path,
        on_change: Callable[[], None],
        *,
        grace: float = STOP_GRACE,
    ) -> None:
        self.plan = plan
        self.grace = grace
        self.log_path = log_path
        self._on_change = on_change
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0
        self.ready = False
        self.last_error = ""

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._keep_running())

    async def _keep_running(self) -> None:
        delay = BACKOFF_START
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            code = await self._run_once()
            if self._stopping:
                return
            ran_for = loop.time() - started
            self.restarts += 1
            self.last_error = f"{self.plan.container} exited with code {code}"
            logger.warning(
                "%s; restarting in %.0fs (log: %s)", self.last_error, delay, self.log_path
            )
            self._set_ready(False)
            delay = BACKOFF_START if ran_for > STABLE_AFTER else delay
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_CAP)

    async def _run_once(self) -> int:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self.plan.argv,
                stdout=log,
                stderr=log,
                stdin=asyncio.subprocess.DEVNULL,
                env={**os.environ, **self.plan.env},
                start_new_session=True,
            )
        prober = asyncio.ensure_future(self._probe())
        try:
            return await self._process.wait()
        finally:
            prober.cancel()

    async def _probe(self) -> None:
        probe = self.plan.readiness
        if probe is None:
            await asyncio.sleep(READY_WITHOUT_PROBE)
            self._set_ready(True)
            return
        url = f"http://127.0.0.1:{probe.port}{probe.path}"
        timeout = aiohttp.ClientTimeout(total=PROBE_INTERVAL)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    async with session.get(url) as response:
                        self._set_ready(response.status < 400)
                except (aiohttp.ClientError, TimeoutError):
                    self._set_ready(False)
                await asyncio.sleep(PROBE_INTERVAL)

    def _set_ready(self, ready: bool) -> None:
        if ready != self.ready:
            self.ready = ready
            self._on_change()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period, as a kubelet does."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(self.grace):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.ready = False
