"""Benchmark registration: N lightweight simulated klusterlets join one embedded hub.

Starts ``ocm apiserver`` (memory storage) and ``ocm hub`` (auto-approving the bootstrap user) as
subprocesses, then runs N registration agents in this process, each with its own hub client and
an in-memory spoke (no spoke API servers). Reports the time until every ManagedCluster is
Available, the hub API server's and controller's RSS, and the hub request rate at steady state.

    .venv/bin/python bench/registration.py                 # 200 clusters
    .venv/bin/python bench/registration.py --clusters 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import AlreadyExistsError, KubeError, NotFoundError
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.runtime import patching

READY_TIMEOUT = 60.0


class SimulatedSpoke:
    """An in-memory spoke: keeps the agent's Secret and namespace, answers the health and
    version probes, and serves no nodes or claims. Only what the agent calls is implemented."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], dict[str, Any]] = {}

    @staticmethod
    def _key(resource: Any, name: str, namespace: str | None) -> tuple[str, str | None, str]:
        return str(resource), namespace, name

    async def get(self, resource: Any, name: str, *, namespace: str | None = None, **_: Any) -> Any:
        try:
            return self.objects[self._key(resource, name, namespace)]
        except KeyError:
            raise NotFoundError(404, "NotFound", f"{resource} {name} not found") from None

    async def create(
        self, resource: Any, body: dict[str, Any], *, namespace: str | None = None, **_: Any
    ) -> Any:
        key = self._key(resource, body["metadata"]["name"], namespace)
        if key in self.objects:
            raise AlreadyExistsError(409, "AlreadyExists", f"{key} exists")
        self.objects[key] = body
        return body

    async def replace(
        self, resource: Any, body: dict[str, Any], *, namespace: str | None = None, **_: Any
    ) -> Any:
        self.objects[self._key(resource, body["metadata"]["name"], namespace)] = body
        return body

    async def list(self, resource: Any, **_: Any) -> Any:
        raise NotFoundError(404, "NotFound", f"{resource} is not served")

    async def get_text(self, path: str, *, request_timeout: float | None = None) -> str:
        return '{"gitVersion": "v1.31.0-simulated"}' if path == "/version" else "ok"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ocm_core.cli", *args], stdout=out, stderr=out
        )


async def wait_for(path: Path, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(lambda: path.exists() and path.stat().st_size > 0):
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} did not appear within {timeout}s")
        await asyncio.sleep(0.05)


async def count_available(hub: ApiClient) -> tuple[int, int]:
    items = (await hub.list(gvr.MANAGED_CLUSTERS)).get("items") or []
    available = sum(
        1
        for c in items
        if patching.is_condition_true(
            (c.get("status") or {}).get("conditions"), cluster_api.CONDITION_AVAILABLE
        )
    )
    return len(items), available


async def run(args: argparse.Namespace, workdir: Path) -> None:
    hub_dir = workdir / "hub"
    hub_dir.mkdir()
    server = start(
        ["apiserver", "--data-dir", str(hub_dir), "--port", "0", "--port-file",
         str(hub_dir / "port"), "--storage", "memory"],
        workdir / "apiserver.log",
    )  # fmt: skip
    controller: subprocess.Popen[bytes] | None = None
    agents: list[asyncio.Task[None]] = []
    try:
        await wait_for(hub_dir / "port")
        kubeconfig = hub_dir / "admin.kubeconfig"
        controller = start(
            ["hub", "--kubeconfig", str(kubeconfig), "--cluster-auto-approval-users", "admin"],
            workdir / "hub.log",
        )
        hub = ApiClient(KubeConfig.from_kubeconfig(kubeconfig))
        while True:  # the controller installs the CRDs
            try:
                await hub.list(gvr.MANAGED_CLUSTERS, limit=1)
                break
            except KubeError:
                await asyncio.sleep(0.1)
        started = time.perf_counter()
        for index in range(args.clusters):
            options = AgentOptions(
                data_dir=workdir / f"agent{index}",
                bootstrap_kubeconfig=kubeconfig,
                cluster_name=f"cluster{index:04d}",
                status_period=args.status_period,
            )
            spoke: Any = SimulatedSpoke()  # duck-typed: only the verbs the agent uses
            agents.append(asyncio.create_task(RegistrationAgent(spoke, options).run()))
        available = 0
        while available < args.clusters:
            if time.perf_counter() - started > args.timeout:
                raise SystemExit(
                    f"only {available}/{args.clusters} Available after {args.timeout}s"
                )
            for task in agents:
                if task.done() and task.exception():
                    raise SystemExit(f"an agent failed: {task.exception()!r}")
            await asyncio.sleep(0.5)
            _, available = await count_available(hub)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(args.settle)
        print(f"clusters                      {args.clusters}")
        print(f"time until all Available      {elapsed:.1f} s")
        print(f"hub apiserver RSS             {rss_mib(server.pid):.0f} MiB")
        assert controller is not None
        print(f"hub controller RSS            {rss_mib(controller.pid):.0f} MiB")
        agents_rss = rss_mib(os.getpid())
        print(f"agents' process RSS           {agents_rss:.0f} MiB (all {args.clusters} agents)")
        await hub.close()
    finally:
        for task in agents:
            task.cancel()
        for task in agents:
            with contextlib.suppress(BaseException):
                await task
        for process in (controller, server):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--status-period", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before reading RSS")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # agents warn while they wait for acceptance
    with (
        tempfile.TemporaryDirectory(prefix="bench-registration-") as tmp,
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        runner.run(run(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
