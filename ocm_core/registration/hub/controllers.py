"""`build_hub`: the hub registration controllers on one runtime `Manager`, sharing informers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ocm_core.api import gvr
from ocm_core.registration.conflicts import RetryOnConflict
from ocm_core.registration.hub.accept import ManagedClusterAcceptController, OwnedObjects
from ocm_core.registration.hub.cleanup import (
    ManagedClusterCleanupController,
    WorkRoleBindingCleanupController,
    is_work_binding,
    work_binding_key,
)
from ocm_core.registration.hub.clustersets import (
    WANTED_SELECTORS,
    ClusterSetBindingController,
    ClusterSetLabelController,
    ClusterSetStatusController,
    DefaultClusterSetsController,
    labels_changed,
)
from ocm_core.registration.hub.csr import CsrApprovingController
from ocm_core.registration.hub.lease import ClusterLeaseController, is_cluster_lease
from ocm_core.registration.hub.taints import ManagedClusterTaintController
from ocm_core.runtime import Controller, EventRecorder, Manager, Reconciler, Source, keys

COMPONENT = "registration-controller"


@dataclass(frozen=True)
class HubOptions:
    #: Bootstrap users whose first CSR is approved and cluster accepted without a human.
    auto_approval_users: Collection[str] = field(default_factory=tuple)
    workers: int = 4
    """Workers of each per-cluster controller: a reconcile mostly waits on the API server, so a
    thousand clusters joining at once want several in flight."""


def build_hub(manager: Manager, options: HubOptions) -> None:
    """Add every hub registration controller to ``manager``."""
    api, clock = manager.api, manager.clock
    events = EventRecorder(api, component=COMPONENT, clock=clock)
    clusters = manager.informer(gvr.MANAGED_CLUSTERS)
    csrs = manager.informer(gvr.CERTIFICATE_SIGNING_REQUESTS)
    leases = manager.informer(gvr.LEASES)
    sets = manager.informer(gvr.MANAGED_CLUSTER_SETS)
    bindings = manager.informer(gvr.MANAGED_CLUSTER_SET_BINDINGS)
    role_bindings = manager.informer(gvr.ROLE_BINDINGS)
    owned = OwnedObjects(
        namespaces=manager.informer(gvr.NAMESPACES),
        cluster_roles=manager.informer(gvr.CLUSTER_ROLES),
        cluster_role_bindings=manager.informer(gvr.CLUSTER_ROLE_BINDINGS),
        role_bindings=role_bindings,
    )
    works = manager.informer(gvr.MANIFEST_WORKS)
    workers = options.workers

    def add(
        name: str, reconciler: Reconciler, sources: list[Source], *, workers: int = 1
    ) -> Controller:
        return manager.controller(name, RetryOnConflict(reconciler), sources, workers=workers)

    add(
        "managedcluster-accept",
        ManagedClusterAcceptController(api, clusters, owned, clock, events),
        [Source(clusters), *owned.sources()],
        workers=workers,
    )
    approver = CsrApprovingController(
        api, csrs, clusters, clock, events, auto_approval_users=options.auto_approval_users
    )
    add(
        "csr-approving",
        approver,
        [Source(csrs), Source(clusters, key_fn=approver.pending_csrs_of)],
        workers=workers,
    )
    add(
        "managedcluster-lease",
        ClusterLeaseController(api, clusters, leases, clock, events),
        [Source(clusters), Source(leases, key_fn=keys.by_namespace, predicate=is_cluster_lease)],
        workers=workers,
    )
    add(
        "managedcluster-cleanup",
        ManagedClusterCleanupController(api, clusters, clock),
        [Source(clusters)],
        workers=workers,
    )
    add(
        "work-rolebinding-cleanup",
        WorkRoleBindingCleanupController(api, role_bindings, works),
        [
            Source(role_bindings, predicate=is_work_binding),
            Source(works, key_fn=work_binding_key),
        ],
    )
    add(
        "managedcluster-taint",
        ManagedClusterTaintController(api, clusters, clock),
        [Source(clusters)],
        workers=workers,
    )
    defaults = add("default-clustersets", DefaultClusterSetsController(api, sets), [Source(sets)])
    for name in WANTED_SELECTORS:
        defaults.enqueue(name)
    add("clusterset-label", ClusterSetLabelController(api, clusters), [Source(clusters)])
    set_status = ClusterSetStatusController(api, sets, clusters, clock)
    add(
        "clusterset-status",
        set_status,
        [
            Source(sets),
            Source(clusters, key_fn=set_status.all_sets, update_filter=labels_changed),
        ],
    )
    binding_status = ClusterSetBindingController(api, bindings, sets, clock)
    add(
        "clustersetbinding-status",
        binding_status,
        [Source(bindings), Source(sets, key_fn=binding_status.bindings_of_set)],
    )
