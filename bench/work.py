"""Benchmark the work agent: ``--works`` ManifestWorks of ``--manifests`` ConfigMaps each, spread
over ``--clusters`` managed clusters.

Starts a hub and one spoke ``ocm apiserver`` (memory storage) and ``--agent-processes``
processes running the clusters' work agents (simulated clusters: every agent applies into its
own namespaces of the one spoke). Then measures:

1. the time from the first create until every work is Applied and Available on the hub;
2. one-change fan-out: one field of the first manifest is changed in ``--changes`` works at
   once; for each, the delay from the hub write's response until the spoke's watch shows the
   changed object (p50, p99, max).

    .venv/bin/python bench/work.py --works 500 --manifests 5 --clusters 10 --agent-processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop
import yaml

from ocm_core.api import gvr, work
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.kube.protocol import Object
from ocm_core.work.spoke import run_work_agent

ROOT = Path(__file__).resolve().parents[1]
CRD_DIR = ROOT / "charts" / "ocm-hub" / "crds"
POLL = 0.05
READY_LINE = "agents ready"


def start_apiserver(data_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    data_dir.mkdir(parents=True)
    port_file = data_dir / "port"
    process = subprocess.Popen(
        [sys.executable, "-m", "ocm_core.cli", "apiserver", "--data-dir", str(data_dir),
         "--port", "0", "--port-file", str(port_file), "--storage", "memory"],
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text()):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"apiserver in {data_dir} did not start")
        time.sleep(POLL)
    return process, data_dir / "admin.kubeconfig"


async def install_crd(api: ApiClient, file_name: str) -> None:
    crd = yaml.safe_load((CRD_DIR / file_name).read_text())
    with contextlib.suppress(errors.AlreadyExistsError):
        await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, crd)


def cluster_names(count: int) -> list[str]:
    return [f"cluster{i}" for i in range(count)]


def configmap(name: str, namespace: str, revision: int) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"revision": str(revision)},
    }


def build_work(cluster: str, index: int, manifests: int, revision: int = 0) -> Object:
    name = f"{cluster}-w{index}"
    return {
        "apiVersion": gvr.MANIFEST_WORKS.api_version,
        "kind": gvr.MANIFEST_WORKS.kind,
        "metadata": {"name": name, "namespace": cluster},
        "spec": {
            "workload": {
                "manifests": [
                    configmap(f"{name}-{m}", cluster, revision if m == 0 else 0)
                    for m in range(manifests)
                ]
            }
        },
    }


def is_done(obj: Object) -> bool:
    conditions = {
        c.get("type"): c.get("status") for c in obj.get("status", {}).get("conditions", [])
    }
    return conditions.get(work.CONDITION_APPLIED) == "True" and (
        conditions.get(work.CONDITION_AVAILABLE) == "True"
    )


async def wait_all_done(hub: ApiClient, expected: int) -> None:
    """Watch every ManifestWork until ``expected`` of them are Applied and Available."""
    done: set[str] = set()
    listing = await hub.list(gvr.MANIFEST_WORKS)
    for item in listing["items"]:
        if is_done(item):
            done.add(f"{item['metadata']['namespace']}/{item['metadata']['name']}")
    version = listing["metadata"]["resourceVersion"]
    while len(done) < expected:
        async with contextlib.aclosing(
            hub.watch(gvr.MANIFEST_WORKS, resource_version=version, timeout_seconds=60)
        ) as events:
            async for event in events:
                obj = event.object
                version = obj["metadata"].get("resourceVersion", version)
                if event.type != "BOOKMARK" and is_done(obj):
                    done.add(f"{obj['metadata']['namespace']}/{obj['metadata']['name']}")
                    if len(done) >= expected:
                        return


async def create_all(hub: ApiClient, works: list[Object], concurrency: int = 16) -> None:
    pending = iter(works)

    async def worker() -> None:
        for body in pending:
            await hub.create(gvr.MANIFEST_WORKS, body)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def fan_out(
    hub: ApiClient, spoke: ApiClient, works: list[Object], revision: int
) -> list[float]:
    """Change the first manifest of every work in ``works``; seconds until each shows on the
    spoke."""
    wanted = {w["spec"]["workload"]["manifests"][0]["metadata"]["name"] for w in works}
    seen: dict[str, float] = {}
    start_rv = (await spoke.list(gvr.CONFIGMAPS, limit=1))["metadata"]["resourceVersion"]
    all_seen = asyncio.Event()

    async def watch() -> None:
        async with contextlib.aclosing(
            spoke.watch(gvr.CONFIGMAPS, resource_version=start_rv, timeout_seconds=300)
        ) as events:
            async for event in events:
                name = event.object.get("metadata", {}).get("name")
                data = event.object.get("data") or {}
                if name in wanted and data.get("revision") == str(revision) and name not in seen:
                    seen[name] = time.perf_counter()
                    if len(seen) == len(wanted):
                        all_seen.set()
                        return

    sent: dict[str, float] = {}

    async def change(body: Object) -> None:
        current = await hub.get(
            gvr.MANIFEST_WORKS, body["metadata"]["name"], namespace=body["metadata"]["namespace"]
        )
        first = current["spec"]["workload"]["manifests"][0]
        first["data"]["revision"] = str(revision)
        await hub.replace(gvr.MANIFEST_WORKS, current)
        sent[first["metadata"]["name"]] = time.perf_counter()

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.2)  # let the watch open before the first change can land
    await asyncio.gather(*(change(w) for w in works))
    async with asyncio.timeout(300):
        await all_seen.wait()
    watcher.cancel()
    return [seen[name] - sent[name] for name in sent]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def run_agents(hub_kubeconfig: Path, spoke_kubeconfig: Path, clusters: list[str]) -> None:
    """Run the agents of ``clusters`` until SIGTERM, then stop them cleanly."""
    hub_config = KubeConfig.from_kubeconfig(hub_kubeconfig)
    spoke_config = KubeConfig.from_kubeconfig(spoke_kubeconfig)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    readiness = [asyncio.Event() for _ in clusters]
    async with asyncio.TaskGroup() as group:
        agents = [
            group.create_task(
                run_work_agent(
                    hub_config, spoke_config, cluster, status_sync_interval=120.0, ready=ready
                )
            )
            for cluster, ready in zip(clusters, readiness, strict=True)
        ]
        for ready in readiness:
            await ready.wait()
        print(READY_LINE, flush=True)
        await stop.wait()
        for agent in agents:
            agent.cancel()


def start_agent_processes(
    hub: Path, spoke: Path, clusters: list[str], processes: int
) -> list[subprocess.Popen[bytes]]:
    started = []
    for index in range(processes):
        mine = clusters[index::processes]
        if mine:
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "agents",
                        "--hub",
                        str(hub),
                        "--spoke",
                        str(spoke),
                        "--clusters",
                        ",".join(mine),
                    ],
                    stdout=subprocess.PIPE,
                )
            )
    return started


def wait_agents_ready(started: list[subprocess.Popen[bytes]]) -> None:
    for process in started:
        assert process.stdout is not None
        if process.stdout.readline().decode().strip() != READY_LINE:
            raise RuntimeError("an agent process failed to start")


async def bench(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    hub_proc, hub_kubeconfig = start_apiserver(root / "hub")
    spoke_proc, spoke_kubeconfig = start_apiserver(root / "spoke")
    processes = [hub_proc, spoke_proc]
    clusters = cluster_names(args.clusters)
    try:
        async with (
            ApiClient(KubeConfig.from_kubeconfig(hub_kubeconfig)) as hub,
            ApiClient(KubeConfig.from_kubeconfig(spoke_kubeconfig)) as spoke,
        ):
            await install_crd(hub, "manifestworks.work.open-cluster-management.io.yaml")
            await install_crd(spoke, "appliedmanifestworks.work.open-cluster-management.io.yaml")
            for cluster in clusters:
                await hub.create(gvr.NAMESPACES, {"metadata": {"name": cluster}})
                await spoke.create(gvr.NAMESPACES, {"metadata": {"name": cluster}})
            agents = start_agent_processes(
                hub_kubeconfig, spoke_kubeconfig, clusters, args.agent_processes
            )
            processes += agents
            await asyncio.to_thread(wait_agents_ready, agents)
            works = [
                build_work(clusters[i % len(clusters)], i, args.manifests)
                for i in range(args.works)
            ]
            started = time.perf_counter()
            await create_all(hub, works)
            created = time.perf_counter() - started
            await wait_all_done(hub, len(works))
            all_done = time.perf_counter() - started
            changed = works[: args.changes]
            latencies = await fan_out(hub, spoke, changed, revision=1)
    finally:
        # Agents first: an agent outliving the hub would only log failed requests.
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return {
        "works": args.works,
        "manifests_per_work": args.manifests,
        "clusters": args.clusters,
        "agent_processes": args.agent_processes,
        "create_seconds": round(created, 2),
        "all_applied_and_available_seconds": round(all_done, 2),
        "fan_out_changes": len(latencies),
        "fan_out_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "fan_out_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "fan_out_max_ms": round(max(latencies) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")
    agents = sub.add_parser("agents", help="(internal) run some clusters' agents")
    agents.add_argument("--hub", type=Path, required=True)
    agents.add_argument("--spoke", type=Path, required=True)
    agents.add_argument("--clusters", required=True)
    parser.add_argument("--works", type=int, default=500)
    parser.add_argument("--manifests", type=int, default=5)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--agent-processes", type=int, default=2)
    parser.add_argument("--changes", type=int, default=50, help="works changed in the fan-out")
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        if args.mode == "agents":
            runner.run(run_agents(args.hub, args.spoke, args.clusters.split(",")))
            return 0
        if min(args.works, args.manifests, args.clusters, args.agent_processes) < 1:
            parser.error("--works, --manifests, --clusters and --agent-processes must be >= 1")
        args.changes = min(args.changes, args.works)
        with tempfile.TemporaryDirectory(prefix="bench-work-") as root:
            result = runner.run(bench(args, Path(root)))
    for key, value in result.items():
        print(f"{key:36} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
