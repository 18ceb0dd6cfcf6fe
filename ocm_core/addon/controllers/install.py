"""`AddonInstallController`: ManagedClusterAddOns for a `Placements` install strategy.

For each ClusterManagementAddOn of this manager whose install strategy is `Placements`, every
cluster decided by one of its Placements gets a ManagedClusterAddOn (name = add-on name, in the
cluster namespace, controller owner = the CMA, ManagedCluster annotations prefixed
`addon.open-cluster-management.io` copied on); ManagedClusterAddOns the CMA owns on clusters no
longer decided are deleted. `Manual` add-ons are left to users.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ocm_core.addon import rollout
from ocm_core.addon.catalog import AddonCatalog
from ocm_core.api import addon, gvr
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Informer, Result, patching

logger = logging.getLogger(__name__)
Object = dict[str, Any]
RETRY_MISSING_NAMESPACE_SECONDS = 5.0


class AddonInstallController:
    def __init__(
        self,
        api: KubeApi,
        catalog: AddonCatalog,
        *,
        cmas: Informer,
        mcas: Informer,
        clusters: Informer,
        decisions: Informer,
    ) -> None:
        self.api = api
        self.catalog = catalog
        self.cmas = cmas
        self.mcas = mcas
        self.clusters = clusters
        self.decisions = decisions

    def all_cmas(self, _obj: Mapping[str, Any]) -> Iterable[str]:
        """Decisions and clusters may change any add-on's cluster list."""
        return self.catalog.names

    def owner_cma(self, obj: Mapping[str, Any]) -> Iterable[str]:
        name = (obj.get("metadata") or {}).get("name")
        return [str(name)] if self.catalog.get(str(name)) else []

    async def reconcile(self, key: str) -> Result | None:
        cma = self.cmas.cache.get(key)
        if cma is None or self.catalog.get(key) is None or patching.is_deleting(cma):
            return None
        placements = rollout.install_placements(cma)
        strategy = (cma.get("spec") or {}).get("installStrategy") or {}
        if strategy.get("type", addon.INSTALL_STRATEGY_MANUAL) != addon.INSTALL_STRATEGY_PLACEMENTS:
            return None
        decisions = list(self.decisions.cache)
        wanted: set[str] = set()
        for placement in placements:
            wanted |= rollout.decided_clusters(placement, decisions)
        retry = False
        for cluster_name in sorted(wanted):
            cluster = self.clusters.cache.get(cluster_name)
            if cluster is None or patching.is_deleting(cluster):
                continue
            if self.mcas.cache.get_named(key, cluster_name) is None:
                retry |= not await self._create(cma, cluster)
        await self._remove_undecided(cma, wanted)
        return Result(requeue_after=RETRY_MISSING_NAMESPACE_SECONDS) if retry else None

    async def _create(self, cma: Object, cluster: Object) -> bool:
        name = cma["metadata"]["name"]
        cluster_name = cluster["metadata"]["name"]
        annotations = {
            k: v
            for k, v in ((cluster["metadata"].get("annotations") or {}).items())
            if k.startswith(addon.ANNOTATION_PREFIX)
        }
        body: Object = {
            "apiVersion": gvr.MANAGED_CLUSTER_ADDONS.api_version,
            "kind": gvr.MANAGED_CLUSTER_ADDONS.kind,
            "metadata": {
                "name": name,
                "namespace": cluster_name,
                "annotations": annotations,
                "ownerReferences": [_owner(cma)],
            },
            "spec": {},
        }
        try:
            await self.api.create(gvr.MANAGED_CLUSTER_ADDONS, body, namespace=cluster_name)
        except errors.AlreadyExistsError:
            return True
        except errors.NotFoundError:
            logger.info(
                "cluster namespace does not exist yet",
                extra={"addon": name, "cluster": cluster_name},
            )
            return False
        return True

    async def _remove_undecided(self, cma: Object, wanted: set[str]) -> None:
        uid = cma["metadata"].get("uid")
        for mca in self.mcas.cache:
            owners = mca["metadata"].get("ownerReferences") or []
            owned = any(o.get("uid") == uid and o.get("controller") for o in owners)
            namespace = mca["metadata"]["namespace"]
            if owned and namespace not in wanted and not patching.is_deleting(mca):
                with contextlib.suppress(errors.NotFoundError):
                    await self.api.delete(
                        gvr.MANAGED_CLUSTER_ADDONS, mca["metadata"]["name"], namespace=namespace
                    )


def _owner(cma: Mapping[str, Any]) -> Object:
    return {
        "apiVersion": gvr.CLUSTER_MANAGEMENT_ADDONS.api_version,
        "kind": gvr.CLUSTER_MANAGEMENT_ADDONS.kind,
        "name": cma["metadata"]["name"],
        "uid": cma["metadata"].get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }
