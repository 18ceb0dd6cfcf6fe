"""Cluster deletion: works first, then RBAC and the namespace, then the finalizers."""

from __future__ import annotations

from ocm_core.api import gvr
from ocm_core.registration import names
from ocm_core.registration.hub.accept import ManagedClusterAcceptController
from ocm_core.registration.hub.cleanup import (
    ManagedClusterCleanupController,
    WorkRoleBindingCleanupController,
)
from ocm_core.runtime import EventRecorder, FakeClock
from tests.support.registration_fakes import (
    Informers,
    RegistrationFakeApi,
    managed_cluster,
    owned_objects,
)


async def test_delete_cleans_up_after_works_are_gone(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True))
    accept = ManagedClusterAcceptController(
        api, informers[gvr.MANAGED_CLUSTERS], owned_objects(informers), clock, events
    )
    cleanup = ManagedClusterCleanupController(api, informers[gvr.MANAGED_CLUSTERS], clock)
    work_binding = WorkRoleBindingCleanupController(
        api, informers[gvr.ROLE_BINDINGS], informers[gvr.MANIFEST_WORKS]
    )
    for _ in range(3):
        informers.sync()
        await accept.reconcile("c1")
        informers.sync()
        await cleanup.reconcile("c1")
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    assert set(cluster["metadata"]["finalizers"]) == {
        names.RBAC_CLEANUP_FINALIZER,
        names.RESOURCE_CLEANUP_FINALIZER,
    }
    # A work held by the spoke's finalizer keeps everything in place.
    work = {"metadata": {"name": "w1", "namespace": "c1", "finalizers": ["spoke"]}}
    api.seed(gvr.MANIFEST_WORKS, work)
    await api.delete(gvr.MANAGED_CLUSTERS, "c1")
    informers.sync()
    result = await cleanup.reconcile("c1")
    assert result is not None
    assert result.requeue_after
    assert api.find(gvr.CLUSTER_ROLES, names.cluster_role_name("c1")) is not None
    stuck = api.find(gvr.MANIFEST_WORKS, "w1", "c1")
    assert stuck is not None
    assert stuck["metadata"].get("deletionTimestamp")

    await api.patch(gvr.MANIFEST_WORKS, "w1", {"metadata": {"finalizers": []}}, namespace="c1")
    informers.sync()
    assert await cleanup.reconcile("c1") is None
    assert api.find(gvr.CLUSTER_ROLES, names.cluster_role_name("c1")) is None
    assert api.find(gvr.CLUSTER_ROLE_BINDINGS, names.cluster_role_name("c1")) is None
    assert api.find(gvr.ROLE_BINDINGS, names.registration_binding_name("c1"), "c1") is None
    assert api.find(gvr.MANAGED_CLUSTERS, "c1") is None
    informers.sync()
    await work_binding.reconcile(f"c1/{names.work_binding_name('c1')}")
    assert api.find(gvr.ROLE_BINDINGS, names.work_binding_name("c1"), "c1") is None
