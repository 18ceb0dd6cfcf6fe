"""`AddonLeaseController`: Available from the add-on agent's Lease (health mode Lease).

The agent renews a Lease named after the add-on; the hub reads the one in the cluster
namespace (upstream's hub-side fallback; the spoke registration agent may write the same
condition from the spoke lease). Fresh (renewed within 5 x 60 s) -> Available=True
`ManagedClusterAddOnLeaseUpdated`; stale -> False `...LeaseUpdateStopped`; missing -> Unknown
`...LeaseNotFound`. Requeues itself for the moment a fresh lease would go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ocm_core.addon.agent import HealthCheck
from ocm_core.addon.catalog import AddonCatalog
from ocm_core.addon.status import write_status
from ocm_core.api import addon, gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Result, keys, patching

Object = dict[str, Any]


def lease_age(lease: Mapping[str, Any], now: datetime) -> float | None:
    """Seconds since the lease was renewed (None: never renewed)."""
    renew = (lease.get("spec") or {}).get("renewTime")
    if not renew:
        return None
    renewed = datetime.fromisoformat(str(renew).replace("Z", "+00:00"))
    return (now - renewed).total_seconds()


class AddonLeaseController:
    def __init__(
        self,
        api: KubeApi,
        catalog: AddonCatalog,
        *,
        mcas: Informer,
        leases: Informer,
        clock: Clock,
        grace_seconds: float = addon.LEASE_GRACE_SECONDS,
    ) -> None:
        self.api = api
        self.catalog = catalog
        self.mcas = mcas
        self.leases = leases
        self.clock = clock
        self.grace_seconds = grace_seconds

    def is_addon_lease(self, lease: Mapping[str, Any]) -> bool:
        return self.catalog.get(str((lease.get("metadata") or {}).get("name"))) is not None

    def addon_of_lease(self, lease: Mapping[str, Any]) -> Iterable[str]:
        return [keys.key_of(lease)]

    async def reconcile(self, key: str) -> Result | None:
        mca = self.mcas.cache.get(key)
        if mca is None:
            return None
        agent = self.catalog.get(mca["metadata"]["name"])
        if agent is None or agent.health_check is not HealthCheck.LEASE:
            return None
        lease = self.leases.cache.get(key)
        age = None if lease is None else lease_age(lease, self.clock.wall())
        requeue = None
        if age is None:
            state, reason = patching.CONDITION_UNKNOWN, addon.REASON_LEASE_NOT_FOUND
            message = f"The status of {agent.name} add-on is unknown."
        elif age <= self.grace_seconds:
            state, reason = patching.CONDITION_TRUE, addon.REASON_LEASE_UPDATED
            message = f"{agent.name} add-on is available."
            requeue = self.grace_seconds - age + 1
        else:
            state, reason = patching.CONDITION_FALSE, addon.REASON_LEASE_UPDATE_STOPPED
            message = f"{agent.name} add-on is not available."
        status = dict(mca.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=addon.CONDITION_AVAILABLE,
            status=state,
            reason=reason,
            message=message,
            clock=self.clock,
        )
        await write_status(self.api, gvr.MANAGED_CLUSTER_ADDONS, mca, status)
        return Result(requeue_after=requeue) if requeue else None
