"""`ManagedClusterAcceptController`: turns ``spec.hubAcceptsClient`` into hub objects.

Accepted: the RBAC finalizer, the cluster namespace, the cluster's ClusterRole/Binding (own
ManagedCluster only) and its registration and work RoleBindings, then ``HubAcceptedManagedCluster``
True. Denied after having been accepted: the ClusterRole shrinks to read-only on its own
ManagedCluster, both RoleBindings are deleted (the work one lingers on its finalizer until the
cluster's ManifestWorks are gone), and the condition turns False. Deletion is `cleanup`'s job.
"""

from __future__ import annotations

from typing import Any

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.hub import rbac
from ocm_core.registration.hub.ensure import delete_if_present, ensure_object
from ocm_core.runtime import Clock, EventRecorder, Informer, Result, patching


def namespace_for(cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": cluster, "labels": {names.CLUSTER_NAME_LABEL: cluster}},
    }


class ManagedClusterAcceptController:
    def __init__(
        self, api: KubeApi, clusters: Informer, clock: Clock, events: EventRecorder
    ) -> None:
        self.api = api
        self.clusters = clusters
        self.clock = clock
        self.events = events

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None or patching.is_deleting(cluster):
            return None
        if (cluster.get("spec") or {}).get("hubAcceptsClient"):
            await self._accept(key, cluster)
        elif patching.find_condition(_conditions(cluster), cluster_api.CONDITION_HUB_ACCEPTED):
            await self._deny(key, cluster)
        return None

    async def _accept(self, name: str, cluster: dict[str, Any]) -> None:
        if await patching.add_finalizer(
            self.api, gvr.MANAGED_CLUSTERS, cluster, names.RBAC_CLEANUP_FINALIZER
        ):
            return  # our copy is stale now; the update brings the key back
        await ensure_object(self.api, gvr.NAMESPACES, namespace_for(name))
        await ensure_object(self.api, gvr.CLUSTER_ROLES, rbac.cluster_role(name, accepted=True))
        await ensure_object(self.api, gvr.CLUSTER_ROLE_BINDINGS, rbac.cluster_role_binding(name))
        await ensure_object(self.api, gvr.ROLE_BINDINGS, rbac.registration_role_binding(name))
        await ensure_object(self.api, gvr.ROLE_BINDINGS, rbac.work_role_binding(name))
        if await self._set_accepted(cluster, accepted=True):
            await self.events.normal(cluster, "ManagedClusterAccepted", f"{name} was accepted")

    async def _deny(self, name: str, cluster: dict[str, Any]) -> None:
        await ensure_object(self.api, gvr.CLUSTER_ROLES, rbac.cluster_role(name, accepted=False))
        await delete_if_present(
            self.api, gvr.ROLE_BINDINGS, names.registration_binding_name(name), name
        )
        await delete_if_present(self.api, gvr.ROLE_BINDINGS, names.work_binding_name(name), name)
        if await self._set_accepted(cluster, accepted=False):
            await self.events.warning(cluster, "ManagedClusterDenied", f"{name} was denied")

    async def _set_accepted(self, cluster: dict[str, Any], *, accepted: bool) -> bool:
        status = dict(cluster.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=cluster_api.CONDITION_HUB_ACCEPTED,
            status=patching.CONDITION_TRUE if accepted else patching.CONDITION_FALSE,
            reason=names.REASON_ACCEPTED if accepted else names.REASON_DENIED,
            message="Accepted by hub cluster admin" if accepted else "Denied by hub cluster admin",
            clock=self.clock,
        )
        return await patching.patch_status(self.api, gvr.MANAGED_CLUSTERS, cluster, status)


def _conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("status") or {}).get("conditions") or [])
