"""Benchmark: placement controller round trip on the embedded API server.

Starts ``ocm apiserver --storage memory``, installs the hub CRDs, creates ``--clusters``
ManagedClusters in one bound set and a Placement selecting ``env=prod``, runs the placement
controller in this process, then measures once:

- initial: Placement created → its PlacementDecisions list every matching cluster;
- round trip: one cluster relabelled into the predicate → the PlacementDecision holding it
  observed by a separate watch (API write, informer event, scheduling pass over all clusters,
  decision status patch, watch event).

    .venv/bin/python bench/placement_roundtrip.py [--clusters 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from ocm_core.api import gvr
from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError
from ocm_core.placement import controller as placement_controller
from ocm_core.registration.hub.install import install_hub
from ocm_core.runtime.clock import RealClock
from ocm_core.runtime.manager import Manager

NAMESPACE = "bench"
CONCURRENCY = 16
PROD = {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"env": "prod"}}}}


def start_server(data_dir: Path) -> subprocess.Popen[bytes]:
    port_file = data_dir / "port"
    args = [
        sys.executable, "-m", "ocm_core.cli", "apiserver", "--storage", "memory",
        "--data-dir", str(data_dir), "--port", "0", "--port-file", str(port_file),
    ]  # fmt: skip
    return subprocess.Popen(args)


async def wait_ready(data_dir: Path) -> ApiClient:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (data_dir / "admin.kubeconfig").exists() and (data_dir / "port").exists():
            api = ApiClient(KubeConfig.load(data_dir / "admin.kubeconfig"))
            try:
                await api.get_text("/readyz")
                return api
            except KubeError:
                await api.close()
        await asyncio.sleep(0.1)
    raise SystemExit("the API server did not become ready within 60s")


async def install(api: ApiClient, clusters: int) -> None:
    await install_hub(api, RealClock())
    await api.create(gvr.NAMESPACES, {"metadata": {"name": NAMESPACE}})
    await api.create(
        gvr.MANAGED_CLUSTER_SETS,
        {"metadata": {"name": "default"}, "spec": {"clusterSelector": {}}},
    )
    await api.create(
        gvr.MANAGED_CLUSTER_SET_BINDINGS,
        {
            "metadata": {"name": "default", "namespace": NAMESPACE},
            "spec": {"clusterSet": "default"},
        },
    )
    await concurrently(clusters, lambda i: api.create(gvr.MANAGED_CLUSTERS, cluster(i)))


def cluster(i: int) -> dict[str, Any]:
    env = "dev" if i == 0 else "prod"
    labels = {CLUSTER_SET_LABEL: "default", "env": env}
    return {"metadata": {"name": f"cluster-{i:05d}", "labels": labels}, "spec": {}}


async def concurrently(count: int, job: Callable[[int], Awaitable[Any]]) -> None:
    numbers = iter(range(count))

    async def worker() -> None:
        for n in numbers:
            await job(n)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def wait_for_decisions(api: ApiClient, version: str, done: Callable[[set[str]], bool]) -> str:
    """Watch PlacementDecisions from `version` until `done(decided clusters)`; returns the
    resourceVersion reached."""
    by_decision: dict[str, set[str]] = {}
    stream = api.watch(gvr.PLACEMENT_DECISIONS, namespace=NAMESPACE, resource_version=version)
    async for event in stream:
        metadata = event.object.get("metadata") or {}
        version = str(metadata.get("resourceVersion") or version)
        status = event.object.get("status") or {}
        by_decision[metadata.get("name", "")] = {
            d["clusterName"] for d in status.get("decisions") or []
        }
        if done(set().union(*by_decision.values())):
            break
    await stream.aclose()
    return version


async def measure(api: ApiClient, clusters: int) -> tuple[float, float]:
    version = (await api.list(gvr.PLACEMENT_DECISIONS, namespace=NAMESPACE))["metadata"][
        "resourceVersion"
    ]
    started = time.perf_counter()
    await api.create(
        gvr.PLACEMENTS,
        {"metadata": {"name": "p", "namespace": NAMESPACE}, "spec": {"predicates": [PROD]}},
    )
    version = await wait_for_decisions(api, version, lambda names: len(names) == clusters - 1)
    initial = time.perf_counter() - started
    started = time.perf_counter()
    await api.patch(
        gvr.MANAGED_CLUSTERS, "cluster-00000", {"metadata": {"labels": {"env": "prod"}}}
    )
    await wait_for_decisions(api, version, lambda names: "cluster-00000" in names)
    return initial, time.perf_counter() - started


async def main(clusters: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            api = await wait_ready(Path(tmp))
            async with api:
                started = time.perf_counter()
                await install(api, clusters)
                print(f"created {clusters} clusters in {time.perf_counter() - started:.1f}s")
                manager = Manager(api)
                for built in placement_controller.build(manager):
                    manager.add(built)
                task = asyncio.create_task(manager.run())
                await manager.wait_ready()
                initial, round_trip = await measure(api, clusters)
                print(f"initial schedule of {clusters - 1} clusters: {initial * 1000:.0f} ms")
                print(f"label change -> decision updated: {round_trip * 1000:.0f} ms")
                manager.stop()
                await task
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    uvloop.run(main(parser.parse_args().clusters))
