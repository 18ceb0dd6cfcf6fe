"""`ManagedClusterAcceptController`: turns ``spec.hubAcceptsClient`` into hub objects.

Accepted: the RBAC finalizer, the cluster namespace, the cluster's ClusterRole/Binding (own
ManagedCluster only) and its registration and work RoleBindings, then ``HubAcceptedManagedCluster``
True. Denied after having been accepted: the ClusterRole shrinks to read-only on its own
ManagedCluster, both RoleBindings are deleted (the work one lingers on its finalizer until the
cluster's ManifestWorks are gone), and the condition turns False. Deletion is `cleanup`'s job.

What it creates is read from informer caches (`OwnedObjects`), never fetched: at a thousand
clusters a reconcile per ManagedCluster update must cost no request when nothing is missing. The
same informers bring the cluster back when one of its objects is edited or deleted. Independent
writes go out together: namespace and cluster-wide RBAC first, then the namespace's bindings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.hub import rbac
from ocm_core.registration.hub.ensure import delete_if_present, ensure_object
from ocm_core.runtime import Clock, EventRecorder, Informer, Result, Source, keys, patching


def namespace_for(cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": cluster, "labels": {names.CLUSTER_NAME_LABEL: cluster}},
    }


@dataclass(frozen=True)
class OwnedObjects:
    """Informers of the kinds accepting a cluster creates (all labelled with its name)."""

    namespaces: Informer
    cluster_roles: Informer
    cluster_role_bindings: Informer
    role_bindings: Informer

    def sources(self) -> list[Source]:
        """A change to a cluster's object brings that cluster back (e.g. a deleted binding)."""
        of_cluster = keys.by_label(names.CLUSTER_NAME_LABEL)
        informers = (
            self.namespaces,
            self.cluster_roles,
            self.cluster_role_bindings,
            self.role_bindings,
        )
        return [Source(informer, key_fn=of_cluster) for informer in informers]


async def _together(*writes: Awaitable[bool]) -> None:
    """Run independent writes concurrently; the first failure is raised once all are done."""
    for outcome in await asyncio.gather(*writes, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


class ManagedClusterAcceptController:
    def __init__(
        self,
        api: KubeApi,
        clusters: Informer,
        owned: OwnedObjects,
        clock: Clock,
        events: EventRecorder,
    ) -> None:
        self.api = api
        self.clusters = clusters
        self.owned = owned
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
        owned = self.owned
        await _together(
            ensure_object(
                self.api, gvr.NAMESPACES, namespace_for(name), cache=owned.namespaces.cache
            ),
            ensure_object(
                self.api,
                gvr.CLUSTER_ROLES,
                rbac.cluster_role(name, accepted=True),
                cache=owned.cluster_roles.cache,
            ),
            ensure_object(
                self.api,
                gvr.CLUSTER_ROLE_BINDINGS,
                rbac.cluster_role_binding(name),
                cache=owned.cluster_role_bindings.cache,
            ),
        )
        bindings = owned.role_bindings.cache
        await _together(  # the namespace exists now
            ensure_object(
                self.api, gvr.ROLE_BINDINGS, rbac.registration_role_binding(name), cache=bindings
            ),
            ensure_object(
                self.api, gvr.ROLE_BINDINGS, rbac.work_role_binding(name), cache=bindings
            ),
        )
        if await self._set_accepted(cluster, accepted=True):
            await self.events.normal(cluster, "ManagedClusterAccepted", f"{name} was accepted")

    async def _deny(self, name: str, cluster: dict[str, Any]) -> None:
        await ensure_object(
            self.api,
            gvr.CLUSTER_ROLES,
            rbac.cluster_role(name, accepted=False),
            cache=self.owned.cluster_roles.cache,
        )
        for binding in (names.registration_binding_name(name), names.work_binding_name(name)):
            await self._revoke_binding(name, binding)
        if await self._set_accepted(cluster, accepted=False):
            await self.events.warning(cluster, "ManagedClusterDenied", f"{name} was denied")

    async def _revoke_binding(self, namespace: str, name: str) -> None:
        """Delete the RoleBinding unless it is gone or already going."""
        current = self.owned.role_bindings.cache.get(keys.make_key(namespace, name))
        if current is not None and not patching.is_deleting(current):
            await delete_if_present(self.api, gvr.ROLE_BINDINGS, name, namespace)

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
