"""The placement and ManifestWorkReplicaSet controllers against a real embedded API server."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from typing import Any

from ocm_core.api import gvr
from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.api.placement import PLACEMENT_LABEL
from ocm_core.kube.client import ApiClient
from ocm_core.placement import controller as placement_controller
from ocm_core.work.hub import manifestworkreplicaset
from tests.support.apiserver_process import ApiServerProcess
from tests.support.ocm_hub import ensure_namespaces, hub_client, items, running_controllers
from tests.support.wait import eventually

PROD_ONLY = [{"requiredClusterSelector": {"labelSelector": {"matchLabels": {"env": "prod"}}}}]


def cluster(name: str, clusterset: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": gvr.MANAGED_CLUSTERS.api_version,
        "kind": "ManagedCluster",
        "metadata": {"name": name, "labels": {CLUSTER_SET_LABEL: clusterset, **labels}},
        "spec": {"hubAcceptsClient": True},
    }


async def bound_set(api: ApiClient, name: str, namespace: str) -> None:
    await ensure_namespaces(api, namespace)
    await api.create(
        gvr.MANAGED_CLUSTER_SETS,
        {
            "apiVersion": gvr.MANAGED_CLUSTER_SETS.api_version,
            "kind": "ManagedClusterSet",
            "metadata": {"name": name},
            "spec": {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}},
        },
    )
    await api.create(
        gvr.MANAGED_CLUSTER_SET_BINDINGS,
        {
            "apiVersion": gvr.MANAGED_CLUSTER_SET_BINDINGS.api_version,
            "kind": "ManagedClusterSetBinding",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterSet": name},
        },
    )


async def create_placement(api: ApiClient, name: str, namespace: str, **spec: Any) -> None:
    body = {
        "apiVersion": gvr.PLACEMENTS.api_version,
        "kind": "Placement",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    await api.create(gvr.PLACEMENTS, body)


async def decided(api: ApiClient, name: str, namespace: str) -> list[str]:
    listing = await api.list(gvr.PLACEMENT_DECISIONS, namespace=namespace)
    return sorted(
        d["clusterName"]
        for pd in items(listing)
        if pd["metadata"]["labels"].get(PLACEMENT_LABEL) == name
        for d in (pd.get("status") or {}).get("decisions") or []
    )


async def relabel(api: ApiClient, cluster_name: str, **labels: str) -> None:
    await api.patch(gvr.MANAGED_CLUSTERS, cluster_name, {"metadata": {"labels": labels}})


async def test_a_placement_follows_cluster_label_changes(hub: ApiServerProcess) -> None:
    async with hub_client(hub) as api:
        await bound_set(api, "labels", "labels-ns")
        await api.create(gvr.MANAGED_CLUSTERS, cluster("l1", "labels", env="prod"))
        await api.create(gvr.MANAGED_CLUSTERS, cluster("l2", "labels", env="dev"))
        await create_placement(api, "prod", "labels-ns", predicates=PROD_ONLY)
        async with running_controllers(api, placement_controller.build) as manager:

            async def decided_are(*names: str) -> bool:
                return await decided(api, "prod", "labels-ns") == list(names)

            await eventually(lambda: decided_are("l1"), what="l1 decided")
            await relabel(api, "l2", env="prod")
            await eventually(lambda: decided_are("l1", "l2"), what="l2 relabelled in")
            await relabel(api, "l1", env="dev")
            await eventually(lambda: decided_are("l2"), what="l1 relabelled out")
            placement = await api.get(gvr.PLACEMENTS, "prod", namespace="labels-ns")
            assert placement["status"]["numberOfSelectedClusters"] == 1
            before = await versions(api, "labels-ns")
            (controller,) = manager.controllers
            controller.enqueue("labels-ns/prod")
            await eventually(
                lambda: (
                    len(controller.queue) == 0
                    and not controller.queue.is_processing("labels-ns/prod")
                ),
                what="idle",
            )
            assert await versions(api, "labels-ns") == before  # an unchanged hub: no writes


async def versions(api: ApiClient, namespace: str) -> dict[str, str]:
    """resourceVersion of every Placement and PlacementDecision in `namespace`."""
    found = {}
    for resource in (gvr.PLACEMENTS, gvr.PLACEMENT_DECISIONS):
        for obj in items(await api.list(resource, namespace=namespace)):
            found[f"{resource.kind}/{obj['metadata']['name']}"] = obj["metadata"]["resourceVersion"]
    return found


async def test_get_placement_wide_says_why_clusters_were_left_out(
    hub: ApiServerProcess,
) -> None:
    async with hub_client(hub) as api:
        await bound_set(api, "cli", "cli-ns")
        await api.create(gvr.MANAGED_CLUSTERS, cluster("k1", "cli", env="prod"))
        await api.create(gvr.MANAGED_CLUSTERS, cluster("k2", "cli", env="dev"))
        await api.create(gvr.MANAGED_CLUSTERS, cluster("k3", "unbound", env="prod"))
        await create_placement(api, "prod", "cli-ns", predicates=PROD_ONLY)
        async with running_controllers(api, placement_controller.build):

            async def k1_decided() -> bool:
                return await decided(api, "prod", "cli-ns") == ["k1"]

            await eventually(k1_decided, what="k1 decided")
    wide = await ocm(hub, "get", "placement", "prod", "-n", "cli-ns", "-o", "wide")
    assert wide.returncode == 0, wide.stderr
    rows = {line.split()[0]: line for line in wide.stdout.splitlines() if line.strip()}
    assert "prod-decision-1" in rows["k1"]
    assert "<none>" in rows["k2"]
    assert "Predicate" in rows["k2"]
    assert "ClusterSet" in rows["k3"]
    listing = await ocm(hub, "get", "placements", "-n", "cli-ns")
    assert listing.returncode == 0, listing.stderr
    assert "AllDecisionsScheduled" in listing.stdout
    missing = await ocm(hub, "get", "placement", "nope", "-n", "cli-ns")
    assert missing.returncode == 1
    assert "not found in namespace 'cli-ns'" in missing.stderr


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def ocm(hub: ApiServerProcess, *args: str) -> Completed:
    """Run the `ocm` CLI against the hub."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocm_core.cli",
        *args,
        env={**os.environ, "KUBECONFIG": str(hub.kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())


WORK_TEMPLATE = {
    "workload": {
        "manifests": [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "rolled", "namespace": "default"},
                "data": {"k": "v"},
            }
        ]
    }
}


async def works_in(api: ApiClient, clusters: list[str]) -> list[str]:
    listing = await api.list(gvr.MANIFEST_WORKS)
    return sorted(
        w["metadata"]["namespace"] for w in items(listing) if w["metadata"]["namespace"] in clusters
    )


async def report_success(api: ApiClient, cluster_name: str, work_name: str) -> None:
    """Write Applied and Available on the work, as a spoke work agent would."""
    work = await api.get(gvr.MANIFEST_WORKS, work_name, namespace=cluster_name)
    conditions = [
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": "",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
            "observedGeneration": work["metadata"]["generation"],
        }
        for kind, reason in (
            ("Applied", "AppliedManifestWorkComplete"),
            ("Available", "ResourcesAvailable"),
        )
    ]
    await api.patch(
        gvr.MANIFEST_WORKS,
        work_name,
        {"status": {"conditions": conditions}},
        namespace=cluster_name,
        subresource="status",
    )


async def test_a_replica_set_rolls_out_progressively(hub: ApiServerProcess) -> None:
    clusters = ["r1", "r2", "r3"]
    async with hub_client(hub) as api:
        await bound_set(api, "rollout", "rollout-ns")
        await ensure_namespaces(api, *clusters)
        for name in clusters:
            await api.create(gvr.MANAGED_CLUSTERS, cluster(name, "rollout"))
        await create_placement(api, "all", "rollout-ns")
        await api.create(
            gvr.MANIFEST_WORK_REPLICA_SETS,
            {
                "apiVersion": gvr.MANIFEST_WORK_REPLICA_SETS.api_version,
                "kind": "ManifestWorkReplicaSet",
                "metadata": {"name": "web", "namespace": "rollout-ns"},
                "spec": {
                    "manifestWorkTemplate": WORK_TEMPLATE,
                    "placementRefs": [
                        {
                            "name": "all",
                            "rolloutStrategy": {
                                "type": "Progressive",
                                "progressive": {"maxConcurrency": 1},
                            },
                        }
                    ],
                },
            },
        )
        async with running_controllers(
            api, placement_controller.build, manifestworkreplicaset.build
        ):

            async def works_are(*names: str) -> bool:
                return await works_in(api, clusters) == list(names)

            await eventually(lambda: works_are("r1"), what="first work")
            await report_success(api, "r1", "web")
            await eventually(lambda: works_are("r1", "r2"), what="second work")
            await report_success(api, "r2", "web")
            await eventually(lambda: works_are("r1", "r2", "r3"), what="third work")
            await report_success(api, "r3", "web")

            async def rolled_out() -> bool:
                mwrs = await api.get(gvr.MANIFEST_WORK_REPLICA_SETS, "web", namespace="rollout-ns")
                conditions = {
                    c["type"]: c["reason"]
                    for c in (mwrs.get("status") or {}).get("conditions") or []
                }
                return conditions.get("PlacementRolledOut") == "Complete" and (
                    mwrs["status"]["summary"]["applied"] == 3
                )

            await eventually(rolled_out, what="rollout complete")
            await api.delete(gvr.MANIFEST_WORK_REPLICA_SETS, "web", namespace="rollout-ns")
            await eventually(lambda: works_are(), what="works cleaned up")
