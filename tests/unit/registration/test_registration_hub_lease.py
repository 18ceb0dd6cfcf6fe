"""ClusterLeaseController: lease creation, Unknown after 5 x duration, requeue at expiry."""

from __future__ import annotations

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.registration import names
from ocm_core.registration.hub.lease import ClusterLeaseController, format_micro_time
from ocm_core.registration.hub.taints import ManagedClusterTaintController
from ocm_core.runtime import EventRecorder, FakeClock, patching
from tests.support.registration_fakes import Informers, RegistrationFakeApi, managed_cluster

LEASE_SECONDS = 10


def _accepted_cluster(clock: FakeClock) -> dict[str, object]:
    cluster = managed_cluster("c1", accepted=True, leaseDurationSeconds=LEASE_SECONDS)
    cluster["status"] = {
        "conditions": patching.set_condition(
            [],
            type=cluster_api.CONDITION_HUB_ACCEPTED,
            status="True",
            reason=names.REASON_ACCEPTED,
            message="",
            clock=clock,
        )
    }
    return cluster


def _controller(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> ClusterLeaseController:
    return ClusterLeaseController(
        api, informers[gvr.MANAGED_CLUSTERS], informers[gvr.LEASES], clock, events
    )


def _available(api: RegistrationFakeApi) -> dict[str, object] | None:
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    found = patching.find_condition(
        (cluster.get("status") or {}).get("conditions"), cluster_api.CONDITION_AVAILABLE
    )
    return dict(found) if found else None


async def test_skips_clusters_never_judged(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    informers.sync()
    assert await _controller(api, informers, clock, events).reconcile("c1") is None
    assert api.find(gvr.LEASES, names.LEASE_NAME, "c1") is None


async def test_creates_the_lease_then_waits_for_expiry(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, _accepted_cluster(clock))
    controller = _controller(api, informers, clock, events)
    informers.sync()
    await controller.reconcile("c1")
    lease = api.find(gvr.LEASES, "managed-cluster-lease", "c1")
    assert lease is not None
    assert lease["metadata"]["labels"] == {names.CLUSTER_NAME_LABEL: "c1"}
    informers.sync()
    result = await controller.reconcile("c1")
    assert result is not None
    assert result.requeue_after == 5 * LEASE_SECONDS
    assert _available(api) is None


async def test_unknown_after_grace_then_renewal_clears_requeue(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, _accepted_cluster(clock))
    controller = _controller(api, informers, clock, events)
    informers.sync()
    await controller.reconcile("c1")
    await clock.advance(5 * LEASE_SECONDS - 1)
    informers.sync()
    result = await controller.reconcile("c1")
    assert result is not None
    assert result.requeue_after == 1
    await clock.advance(1)
    informers.sync()
    assert await controller.reconcile("c1") is None
    condition = _available(api)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == (
        "Unknown",
        "ManagedClusterLeaseUpdateStopped",
    )
    assert any(c.resource == gvr.EVENTS for c in api.calls)
    # The agent renews: the controller waits for the next expiry again.
    await api.patch(
        gvr.LEASES,
        "managed-cluster-lease",
        {"spec": {"renewTime": format_micro_time(clock.wall())}},
        namespace="c1",
    )
    informers.sync()
    result = await controller.reconcile("c1")
    assert result is not None
    assert result.requeue_after == 5 * LEASE_SECONDS


async def test_taints_follow_availability(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock
) -> None:
    cluster = managed_cluster("c1", accepted=True)
    cluster["spec"]["taints"] = [{"key": "user/own", "effect": "NoSelect"}]
    api.seed(gvr.MANAGED_CLUSTERS, cluster)
    controller = ManagedClusterTaintController(api, informers[gvr.MANAGED_CLUSTERS], clock)

    async def taints_after(status: str | None) -> list[str]:
        if status is not None:
            current = api.find(gvr.MANAGED_CLUSTERS, "c1") or {}
            conditions = patching.set_condition(
                (current.get("status") or {}).get("conditions"),
                type=cluster_api.CONDITION_AVAILABLE,
                status=status,
                reason="r",
                message="",
                clock=clock,
            )
            await api.patch(
                gvr.MANAGED_CLUSTERS,
                "c1",
                {"status": {"conditions": conditions}},
                subresource="status",
            )
        informers.sync()
        await controller.reconcile("c1")
        found = api.find(gvr.MANAGED_CLUSTERS, "c1") or {}
        return [t["key"] for t in found["spec"]["taints"]]

    assert await taints_after(None) == ["user/own", cluster_api.TAINT_UNREACHABLE]
    assert await taints_after("False") == ["user/own", cluster_api.TAINT_UNAVAILABLE]
    assert await taints_after("True") == ["user/own"]
    assert await taints_after("Unknown") == ["user/own", cluster_api.TAINT_UNREACHABLE]
