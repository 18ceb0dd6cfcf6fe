"""`ManagedClusterTaintController`: availability as taints placement understands (effect
``NoSelect``): ``unreachable`` while Available is missing or Unknown, ``unavailable`` while it
is False, neither once it is True (``specs/ocm-apis.md`` §1.5). Other taints are kept."""

from __future__ import annotations

from typing import Any

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Result, patching

Object = dict[str, Any]
OWNED_TAINTS = (cluster_api.TAINT_UNREACHABLE, cluster_api.TAINT_UNAVAILABLE)


def wanted_taint(cluster: Object) -> str | None:
    conditions = (cluster.get("status") or {}).get("conditions")
    available = patching.find_condition(conditions, cluster_api.CONDITION_AVAILABLE)
    status = available.get("status") if available else None
    if status == patching.CONDITION_TRUE:
        return None
    if status == patching.CONDITION_FALSE:
        return cluster_api.TAINT_UNAVAILABLE
    return cluster_api.TAINT_UNREACHABLE


class ManagedClusterTaintController:
    def __init__(self, api: KubeApi, clusters: Informer, clock: Clock) -> None:
        self.api = api
        self.clusters = clusters
        self.clock = clock

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None or patching.is_deleting(cluster):
            return None
        taints = list((cluster.get("spec") or {}).get("taints") or [])
        kept = [t for t in taints if t.get("key") not in OWNED_TAINTS]
        wanted = wanted_taint(cluster)
        current = [t for t in taints if t.get("key") in OWNED_TAINTS]
        if [t.get("key") for t in current] == ([wanted] if wanted else []):
            return None
        if wanted:
            kept.append(
                {
                    "key": wanted,
                    "effect": cluster_api.TAINT_NO_SELECT,
                    "timeAdded": patching.format_time(self.clock.wall()),
                }
            )
        body = {
            "metadata": {"resourceVersion": cluster["metadata"]["resourceVersion"]},
            "spec": {"taints": kept},
        }
        await self.api.patch(gvr.MANAGED_CLUSTERS, key, body)
        return None
