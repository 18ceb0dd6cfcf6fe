"""`build_addon_controllers`: the add-on framework's controllers on one runtime `Manager`.

Shared informers: ClusterManagementAddOns, ManagedClusterAddOns, ManagedClusters,
PlacementDecisions, ManifestWorks, CSRs, Leases, and one per supported config resource of the
add-ons. What requeues what:
- install: a CMA, any decision or cluster change -> the CMAs of this manager;
- ManagedClusterAddOn: the MCA itself; its CMA; any config of a supported resource; any
  decision; its cluster; its works;
- CSR: the CSR; a cluster or MCA change re-checks the cluster's pending CSRs;
- lease: the MCA, and the Lease of the same name and namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocm_core.addon.agent import AgentAddon
from ocm_core.addon.catalog import AddonCatalog
from ocm_core.addon.controllers.addon import ManagedClusterAddOnController
from ocm_core.addon.controllers.csr import CLUSTER_NAME_LABEL, AddonCsrController
from ocm_core.addon.controllers.install import AddonInstallController
from ocm_core.addon.controllers.lease import AddonLeaseController
from ocm_core.api import gvr
from ocm_core.runtime import Controller, Manager, Source, keys


@dataclass(frozen=True)
class AddonManagerOptions:
    workers: int = 2
    lease_grace_seconds: float | None = None


@dataclass
class AddonControllers:
    """Handles on what `build_addon_controllers` added, for add-ons that need to poke them."""

    catalog: AddonCatalog
    addon_controller: Controller
    addon_reconciler: ManagedClusterAddOnController

    def rerender(self, addon_name: str) -> None:
        """Re-render every cluster of `addon_name` (e.g. its CA changed outside any config)."""
        for mca in self.addon_reconciler.mcas.cache:
            if mca["metadata"]["name"] == addon_name:
                self.addon_controller.enqueue(keys.key_of(mca))


def build_addon_controllers(
    manager: Manager, addons: Sequence[AgentAddon], options: AddonManagerOptions | None = None
) -> AddonControllers:
    options = options or AddonManagerOptions()
    api, clock = manager.api, manager.clock
    config_resources = {r for a in addons for r in a.supported_configs}
    catalog = AddonCatalog(addons, {r: manager.informer(r) for r in config_resources})
    cmas = manager.informer(gvr.CLUSTER_MANAGEMENT_ADDONS)
    mcas = manager.informer(gvr.MANAGED_CLUSTER_ADDONS)
    clusters = manager.informer(gvr.MANAGED_CLUSTERS)
    decisions = manager.informer(gvr.PLACEMENT_DECISIONS)
    works = manager.informer(gvr.MANIFEST_WORKS)
    csrs = manager.informer(gvr.CERTIFICATE_SIGNING_REQUESTS)
    leases = manager.informer(gvr.LEASES)
    ours = set(catalog.names)

    def is_ours(obj: Mapping[str, Any]) -> bool:
        return (obj.get("metadata") or {}).get("name") in ours

    install = AddonInstallController(
        api, catalog, cmas=cmas, mcas=mcas, clusters=clusters, decisions=decisions
    )
    manager.controller(
        "addon-install",
        install,
        [
            Source(cmas, key_fn=install.owner_cma),
            Source(decisions, key_fn=install.all_cmas),
            Source(clusters, key_fn=install.all_cmas),
            Source(mcas, key_fn=install.owner_cma),
        ],
    )
    reconciler = ManagedClusterAddOnController(
        api,
        catalog,
        mcas=mcas,
        cmas=cmas,
        clusters=clusters,
        decisions=decisions,
        works=works,
        clock=clock,
    )
    sources = [
        Source(mcas, predicate=is_ours),
        Source(cmas, key_fn=reconciler.addons_named),
        Source(decisions, key_fn=reconciler.all_addons),
        Source(clusters, key_fn=reconciler.addons_in_namespace),
        Source(works, key_fn=_work_owner),
        *(
            Source(catalog.config_informers[r], key_fn=reconciler.all_addons)
            for r in config_resources
        ),
    ]
    addon_controller = manager.controller(
        "managedclusteraddon", reconciler, sources, workers=options.workers
    )
    csr = AddonCsrController(api, catalog, csrs=csrs, clusters=clusters, mcas=mcas, clock=clock)

    def csrs_of_cluster(obj: Mapping[str, Any]) -> Iterable[str]:
        metadata = obj.get("metadata") or {}
        cluster = metadata.get("namespace") or metadata.get("name")
        return [
            keys.key_of(c)
            for c in csrs.cache
            if (c["metadata"].get("labels") or {}).get(CLUSTER_NAME_LABEL) == cluster
        ]

    manager.controller(
        "addon-csr",
        csr,
        [
            Source(csrs),
            Source(clusters, key_fn=csrs_of_cluster),
            Source(mcas, key_fn=csrs_of_cluster),
        ],
    )
    lease = AddonLeaseController(
        api,
        catalog,
        mcas=mcas,
        leases=leases,
        clock=clock,
        **({"grace_seconds": options.lease_grace_seconds} if options.lease_grace_seconds else {}),
    )
    manager.controller(
        "addon-lease",
        lease,
        [Source(mcas, predicate=is_ours), Source(leases, predicate=lease.is_addon_lease)],
    )
    return AddonControllers(catalog, addon_controller, reconciler)


def _work_owner(work_obj: Mapping[str, Any]) -> Iterable[str]:
    return keys.by_owner(gvr.MANAGED_CLUSTER_ADDONS.kind)(work_obj)
