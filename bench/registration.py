"""Benchmark registration: N lightweight simulated klusterlets join one embedded hub.

Starts ``ocm apiserver`` (memory storage) and ``ocm hub`` (auto-approving the bootstrap user) as
subprocesses, then runs N registration agents in this process, each with its own hub client and
an in-memory spoke (no spoke API servers). Reports:

- join: the time until every ManagedCluster is Available, and p50/p99 of each cluster's own
  time (from the moment all agents were started), the CPU each process used meanwhile and the
  hub API requests per joined cluster (from the API server's ``/metrics``);
- steady state: with every agent renewing its lease at the upstream default interval
  (``leaseDurationSeconds`` 60), hub CPU (CPU seconds per wall second of the API server and of
  the hub controllers) and the request rate, over a bounded window;
- RSS of the API server, the hub controllers and the agents' process.

    .venv/bin/python bench/registration.py                 # 200 clusters
    .venv/bin/python bench/registration.py --clusters 1000
    .venv/bin/python bench/registration.py --clusters 20 --steady-window 0   # join only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import uvloop

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import AlreadyExistsError, KubeError, NotFoundError
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.runtime import EventHandler, Informer, patching

READY_TIMEOUT: Final = 60.0
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
REQUEST_METRIC: Final = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
METRIC_LABEL: Final = re.compile(r'(\w+)="([^"]*)"')
TOP_REQUEST_KINDS: Final = 12


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


# -- measuring ------------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def parse_request_counts(metrics_text: str) -> Counter[str]:
    """``apiserver_request_total`` as ``"<verb> <resource> <code>" → count``."""
    counts: Counter[str] = Counter()
    for line in metrics_text.splitlines():
        match = REQUEST_METRIC.match(line)
        if match:
            labels = dict(METRIC_LABEL.findall(match["labels"]))
            kind = f"{labels.get('verb')} {labels.get('resource')} {labels.get('code')}"
            counts[kind] += int(float(match["value"]))
    return counts


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: always a value that was observed."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds per process and API request counts at one instant."""

    at: float
    cpu: Mapping[str, float]
    requests: Counter[str]

    @classmethod
    async def take(cls, hub: ApiClient, pids: Mapping[str, int]) -> Snapshot:
        requests = parse_request_counts(await hub.get_text("/metrics"))
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        return cls(time.perf_counter(), cpu, requests)

    def since(self, earlier: Snapshot) -> tuple[float, dict[str, float], Counter[str]]:
        cpu = {name: self.cpu[name] - earlier.cpu[name] for name in self.cpu}
        return self.at - earlier.at, cpu, self.requests - earlier.requests


class AvailabilityTracker:
    """Watches ManagedClusters and notes when each first turns Available."""

    def __init__(self, hub: ApiClient, started: float) -> None:
        self.informer = Informer(hub, gvr.MANAGED_CLUSTERS)
        self.started = started
        self.available_after: dict[str, float] = {}
        self.informer.add_handler(EventHandler(on_add=self._seen, on_update=self._changed))

    def _changed(self, _old: dict[str, Any], new: dict[str, Any]) -> None:
        self._seen(new)

    def _seen(self, cluster: dict[str, Any]) -> None:
        name = cluster["metadata"]["name"]
        conditions = (cluster.get("status") or {}).get("conditions")
        if name not in self.available_after and patching.is_condition_true(
            conditions, cluster_api.CONDITION_AVAILABLE
        ):
            self.available_after[name] = time.perf_counter() - self.started


# -- running --------------------------------------------------------------------------------------


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


async def wait_until_served(hub: ApiClient) -> None:
    """The hub controller installs the CRDs on start."""
    while True:
        try:
            await hub.list(gvr.MANAGED_CLUSTERS, limit=1)
            return
        except KubeError:
            await asyncio.sleep(0.1)


def start_agents(
    args: argparse.Namespace, workdir: Path, kubeconfig: Path
) -> list[asyncio.Task[None]]:
    agents = []
    for index in range(args.clusters):
        options = AgentOptions(
            data_dir=workdir / f"agent{index}",
            bootstrap_kubeconfig=kubeconfig,
            cluster_name=f"cluster{index:04d}",
            status_period=args.status_period,
        )
        spoke: Any = SimulatedSpoke()  # duck-typed: only the verbs the agent uses
        agents.append(asyncio.create_task(RegistrationAgent(spoke, options).run()))
    return agents


async def wait_all_available(
    args: argparse.Namespace, tracker: AvailabilityTracker, agents: list[asyncio.Task[None]]
) -> None:
    while len(tracker.available_after) < args.clusters:
        if time.perf_counter() - tracker.started > args.timeout:
            raise SystemExit(
                f"only {len(tracker.available_after)}/{args.clusters} Available "
                f"after {args.timeout}s"
            )
        for task in agents:
            if task.done() and task.exception():
                raise SystemExit(f"an agent failed: {task.exception()!r}")
        await asyncio.sleep(0.2)


def print_row(label: str, value: str) -> None:
    print(f"{label:<34}{value}")


def print_cpu(cpu: Mapping[str, float], seconds: float, what: str) -> None:
    for name, used in cpu.items():
        print_row(
            f"  {name} CPU", f"{used:.1f} s = {100 * used / seconds:.1f} % of one core {what}"
        )


def print_requests(requests: Counter[str], divisor: float, unit: str) -> None:
    """Totals, the most frequent kinds, and every failed kind (4xx/5xx answers are waste)."""
    total = sum(requests.values())
    failed = {kind: count for kind, count in requests.items() if kind.rsplit(" ", 1)[-1] >= "400"}
    print_row("  hub API requests", f"{total / divisor:.2f} {unit} (watches count when they end)")
    shown = [kind for kind, _ in requests.most_common(TOP_REQUEST_KINDS)]
    shown += [
        kind for kind in sorted(failed, key=failed.__getitem__, reverse=True) if kind not in shown
    ]
    for kind in shown:
        print_row("", f"{requests[kind] / divisor:8.2f}  {kind}")


def report_join(args: argparse.Namespace, tracker: AvailabilityTracker, elapsed: float,
                cpu: Mapping[str, float], requests: Counter[str]) -> None:  # fmt: skip
    times = list(tracker.available_after.values())
    print_row("clusters", str(args.clusters))
    print_row("load average at start", " ".join(f"{x:.2f}" for x in args.load_at_start))
    print("join")
    print_row("  time until all Available", f"{elapsed:.1f} s")
    print_row(
        "  per cluster p50 / p99",
        f"{percentile(times, 0.5):.1f} s / {percentile(times, 0.99):.1f} s",
    )
    print_cpu(cpu, elapsed, "(join)")
    print_requests(requests, args.clusters, "per joined cluster")


def report_steady(seconds: float, cpu: Mapping[str, float], requests: Counter[str]) -> None:
    print(f"steady state ({seconds:.0f} s window, leases renewed every 60-75 s)")
    print_cpu(cpu, seconds, "")
    print_requests(requests, seconds, "per second")


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
    tracking: asyncio.Task[None] | None = None
    try:
        await wait_for(hub_dir / "port")
        kubeconfig = hub_dir / "admin.kubeconfig"
        controller = start(
            ["hub", "--kubeconfig", str(kubeconfig), "--cluster-auto-approval-users", "admin"],
            workdir / "hub.log",
        )
        pids = {"hub apiserver": server.pid, "hub controllers": controller.pid,
                "agents' process": os.getpid()}  # fmt: skip
        hub = ApiClient(KubeConfig.from_kubeconfig(kubeconfig))
        await wait_until_served(hub)
        args.load_at_start = os.getloadavg()
        before = await Snapshot.take(hub, pids)
        tracker = AvailabilityTracker(hub, before.at)
        tracking = asyncio.create_task(tracker.informer.run())
        agents = start_agents(args, workdir, kubeconfig)
        await wait_all_available(args, tracker, agents)
        joined = await Snapshot.take(hub, pids)
        report_join(args, tracker, *joined.since(before))
        if args.steady_window > 0:
            await asyncio.sleep(args.steady_warmup)
            window_start = await Snapshot.take(hub, pids)
            await asyncio.sleep(args.steady_window)
            report_steady(*(await Snapshot.take(hub, pids)).since(window_start))
        print_row("hub apiserver RSS", f"{rss_mib(server.pid):.0f} MiB")
        print_row("hub controllers RSS", f"{rss_mib(controller.pid):.0f} MiB")
        print_row(
            "agents' process RSS", f"{rss_mib(os.getpid()):.0f} MiB (all {args.clusters} agents)"
        )
        print_row("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg()))
        await hub.close()
    finally:
        for task in [*agents, *([tracking] if tracking else [])]:
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
    parser.add_argument(
        "--steady-window", type=float, default=90.0,
        help="seconds of steady state to measure after all are Available (0: skip); one lease "
        "interval with jitter is up to 75 s",
    )  # fmt: skip
    parser.add_argument(
        "--steady-warmup", type=float, default=10.0,
        help="seconds between the last cluster turning Available and the steady-state window",
    )  # fmt: skip
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
