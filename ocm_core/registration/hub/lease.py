"""`ClusterLeaseController`: creates each accepted cluster's ``managed-cluster-lease`` and marks
the cluster's availability Unknown once the agent stops renewing it.

The lease is expired from ``renewTime + 5 x leaseDurationSeconds`` on (0 or unset means 60 s).
Until then the controller asks to be woken at the exact expiry instant, so no periodic scan is
needed; a renewal re-enqueues the cluster through the Lease informer. Clusters that were never
judged by an admin (no ``HubAcceptedManagedCluster`` condition) are skipped, as upstream does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import AlreadyExistsError, NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.runtime import Clock, EventRecorder, Informer, Result, TemporaryError, keys, patching

Object = dict[str, Any]
NAMESPACE_WAIT_SECONDS = 1.0


def lease_duration(cluster: Object) -> int:
    seconds = (cluster.get("spec") or {}).get("leaseDurationSeconds") or 0
    return int(seconds) if int(seconds) > 0 else names.DEFAULT_LEASE_DURATION_SECONDS


def parse_time(value: str) -> datetime:
    """A metav1.Time / MicroTime string."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_micro_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_lease(cluster: str, now: datetime) -> Object:
    return {
        "apiVersion": gvr.LEASES.api_version,
        "kind": gvr.LEASES.kind,
        "metadata": {
            "name": names.LEASE_NAME,
            "namespace": cluster,
            "labels": {names.CLUSTER_NAME_LABEL: cluster},
        },
        "spec": {"holderIdentity": names.LEASE_NAME, "renewTime": format_micro_time(now)},
    }


def is_cluster_lease(obj: Object) -> bool:
    return (obj.get("metadata") or {}).get("name") == names.LEASE_NAME


class ClusterLeaseController:
    def __init__(
        self,
        api: KubeApi,
        clusters: Informer,
        leases: Informer,
        clock: Clock,
        events: EventRecorder,
    ) -> None:
        self.api = api
        self.clusters = clusters
        self.leases = leases
        self.clock = clock
        self.events = events

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None or patching.is_deleting(cluster):
            return None
        conditions = (cluster.get("status") or {}).get("conditions")
        if patching.find_condition(conditions, cluster_api.CONDITION_HUB_ACCEPTED) is None:
            return None
        lease = self.leases.cache.get(keys.make_key(key, names.LEASE_NAME))
        if lease is None:
            if (cluster.get("spec") or {}).get("hubAcceptsClient"):
                await self._create_lease(key)
            return None
        renewed = parse_time(str((lease.get("spec") or {}).get("renewTime")))
        grace = lease_duration(cluster) * names.LEASE_GRACE_MULTIPLIER
        remaining = renewed.timestamp() + grace - self.clock.wall().timestamp()
        if remaining > 0:
            return Result(requeue_after=remaining)
        await self._mark_unknown(cluster, grace)
        return None

    async def _create_lease(self, cluster: str) -> None:
        try:
            await self.api.create(
                gvr.LEASES, new_lease(cluster, self.clock.wall()), namespace=cluster
            )
        except AlreadyExistsError:
            return
        except NotFoundError as exc:
            raise TemporaryError(
                f"namespace {cluster} is not there yet", delay=NAMESPACE_WAIT_SECONDS
            ) from exc

    async def _mark_unknown(self, cluster: Object, grace: int) -> None:
        status = dict(cluster.get("status") or {})
        current = patching.find_condition(status.get("conditions"), cluster_api.CONDITION_AVAILABLE)
        if current is not None and current.get("status") == patching.CONDITION_UNKNOWN:
            return
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=cluster_api.CONDITION_AVAILABLE,
            status=patching.CONDITION_UNKNOWN,
            reason=names.REASON_LEASE_UPDATE_STOPPED,
            message=f"Registration agent stopped updating its lease within {grace} seconds.",
            clock=self.clock,
        )
        if await patching.patch_status(self.api, gvr.MANAGED_CLUSTERS, cluster, status):
            await self.events.warning(
                cluster,
                names.EVENT_AVAILABLE_UNKNOWN,
                f"The managed cluster {cluster['metadata']['name']} cannot be reached: "
                "its lease has not been renewed",
            )
