"""Cluster deletion on the hub (gate ``ResourceCleanup``, on upstream by default).

`ManagedClusterCleanupController`: every cluster carries the ``resource-cleanup`` finalizer. When
one is deleted, its ManagedClusterAddOns and then its ManifestWorks are deleted (progress in the
``Deleting`` condition); once none remain, its RBAC is revoked, its namespace deleted and both
hub finalizers released.

`WorkRoleBindingCleanupController`: the cluster's work RoleBinding keeps its
``manifest-work-cleanup`` finalizer, and so the agent its right to update works, until the
cluster namespace holds no ManifestWork.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from ocm_core.api import gvr
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.hub.ensure import delete_if_present
from ocm_core.runtime import Clock, Informer, Result, keys, patching

Object = dict[str, Any]
POLL_REMAINING_SECONDS: Final = 1.0
CLEANUP_ORDER: Final = (gvr.MANAGED_CLUSTER_ADDONS, gvr.MANIFEST_WORKS)
HUB_FINALIZERS: Final = (names.RESOURCE_CLEANUP_FINALIZER, names.RBAC_CLEANUP_FINALIZER)


class ManagedClusterCleanupController:
    def __init__(self, api: KubeApi, clusters: Informer, clock: Clock) -> None:
        self.api = api
        self.clusters = clusters
        self.clock = clock

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None:
            return None
        if not patching.is_deleting(cluster):
            await patching.add_finalizer(
                self.api, gvr.MANAGED_CLUSTERS, cluster, names.RESOURCE_CLEANUP_FINALIZER
            )
            return None
        remaining = await self._delete_resources(key)
        if remaining:
            await self._report(cluster, remaining)
            return Result(requeue_after=POLL_REMAINING_SECONDS)
        await self._revoke_rbac(key)
        await delete_if_present(self.api, gvr.NAMESPACES, key)
        await self._release(cluster)
        return None

    async def _delete_resources(self, namespace: str) -> int:
        """Delete the first kind that still has objects; returns how many remain in total."""
        for resource in CLEANUP_ORDER:
            try:
                items = (await self.api.list(resource, namespace=namespace)).get("items") or []
            except NotFoundError:
                continue  # that API is not installed on this hub
            if items:
                for item in items:
                    if not patching.is_deleting(item):
                        await delete_if_present(
                            self.api, resource, item["metadata"]["name"], namespace
                        )
                return len(items)
        return 0

    async def _report(self, cluster: Object, remaining: int) -> None:
        status = dict(cluster.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=names.CONDITION_DELETING,
            status=patching.CONDITION_FALSE,
            reason=names.REASON_RESOURCE_REMAINING,
            message=f"{remaining} resources remain in namespace {cluster['metadata']['name']}",
            clock=self.clock,
        )
        await patching.patch_status(self.api, gvr.MANAGED_CLUSTERS, cluster, status)

    async def _revoke_rbac(self, cluster: str) -> None:
        await delete_if_present(
            self.api, gvr.CLUSTER_ROLE_BINDINGS, names.cluster_role_name(cluster)
        )
        await delete_if_present(self.api, gvr.CLUSTER_ROLES, names.cluster_role_name(cluster))
        for binding in (names.registration_binding_name(cluster), names.work_binding_name(cluster)):
            await delete_if_present(self.api, gvr.ROLE_BINDINGS, binding, cluster)

    async def _release(self, cluster: Object) -> None:
        metadata = cluster["metadata"]
        finalizers = metadata.get("finalizers") or []
        kept = [f for f in finalizers if f not in HUB_FINALIZERS]
        if kept == finalizers:
            return
        body = {"metadata": {"resourceVersion": metadata["resourceVersion"], "finalizers": kept}}
        try:
            await self.api.patch(gvr.MANAGED_CLUSTERS, metadata["name"], body)
        except NotFoundError:
            return


def work_binding_key(work: Mapping[str, Any]) -> Iterable[str]:
    """Key function: a ManifestWork in ``c1`` → the work RoleBinding of ``c1``."""
    namespace = (work.get("metadata") or {}).get("namespace")
    return (keys.make_key(namespace, names.work_binding_name(namespace)),) if namespace else ()


def is_work_binding(binding: Mapping[str, Any]) -> bool:
    metadata = binding.get("metadata") or {}
    namespace = metadata.get("namespace")
    return bool(namespace) and metadata.get("name") == names.work_binding_name(str(namespace))


class WorkRoleBindingCleanupController:
    def __init__(self, api: KubeApi, bindings: Informer, works: Informer) -> None:
        self.api = api
        self.bindings = bindings
        self.works = works

    async def reconcile(self, key: str) -> Result | None:
        binding = self.bindings.cache.get(key)
        if binding is None or not patching.is_deleting(binding):
            return None
        namespace, _ = keys.split_key(key)
        if any(keys.split_key(keys.key_of(w))[0] == namespace for w in self.works.cache):
            return None  # the works' deletion brings the key back
        await patching.remove_finalizer(
            self.api, gvr.ROLE_BINDINGS, binding, names.WORK_CLEANUP_FINALIZER
        )
        return None
