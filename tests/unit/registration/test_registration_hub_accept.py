"""ManagedClusterAcceptController: namespace, RBAC limited to the cluster, condition, deny."""

from __future__ import annotations

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.registration import names
from ocm_core.registration.hub.accept import ManagedClusterAcceptController
from ocm_core.runtime import EventRecorder, FakeClock, patching
from tests.support.registration_fakes import (
    Informers,
    RegistrationFakeApi,
    managed_cluster,
    owned_objects,
)


def _controller(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> ManagedClusterAcceptController:
    return ManagedClusterAcceptController(
        api, informers[gvr.MANAGED_CLUSTERS], owned_objects(informers), clock, events
    )


async def _settle(controller: ManagedClusterAcceptController, informers: Informers) -> None:
    for _ in range(3):
        informers.sync()
        await controller.reconcile("c1")


def _accepted_condition(api: RegistrationFakeApi) -> dict[str, str] | None:
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    found = patching.find_condition(
        (cluster.get("status") or {}).get("conditions"), cluster_api.CONDITION_HUB_ACCEPTED
    )
    return dict(found) if found else None


async def test_not_accepted_cluster_gets_nothing(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    await _settle(_controller(api, informers, clock, events), informers)
    assert api.find(gvr.NAMESPACES, "c1") is None
    assert api.find(gvr.CLUSTER_ROLES, names.cluster_role_name("c1")) is None
    assert _accepted_condition(api) is None


async def test_accept_creates_namespace_rbac_and_condition(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True))
    await _settle(_controller(api, informers, clock, events), informers)

    namespace = api.find(gvr.NAMESPACES, "c1")
    assert namespace is not None
    assert namespace["metadata"]["labels"] == {names.CLUSTER_NAME_LABEL: "c1"}
    role = api.find(gvr.CLUSTER_ROLES, "open-cluster-management:managedcluster:c1")
    assert role is not None
    cluster_rules = [r for r in role["rules"] if r["apiGroups"] == [gvr.CLUSTER_GROUP]]
    assert cluster_rules
    assert all(r["resourceNames"] == ["c1"] for r in cluster_rules)
    binding = api.find(gvr.CLUSTER_ROLE_BINDINGS, "open-cluster-management:managedcluster:c1")
    assert binding is not None
    assert {s["name"] for s in binding["subjects"]} == {
        "system:open-cluster-management:c1",
        "open-cluster-management:c1",
    }
    registration = api.find(
        gvr.ROLE_BINDINGS, "open-cluster-management:managedcluster:c1:registration", "c1"
    )
    assert registration is not None
    assert registration["roleRef"]["name"] == "open-cluster-management:managedcluster:registration"
    work = api.find(gvr.ROLE_BINDINGS, "open-cluster-management:managedcluster:c1:work", "c1")
    assert work is not None
    assert work["metadata"]["finalizers"] == [names.WORK_CLEANUP_FINALIZER]
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    assert names.RBAC_CLEANUP_FINALIZER in cluster["metadata"]["finalizers"]
    condition = _accepted_condition(api)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("True", "HubClusterAdminAccepted")


async def test_deny_after_accept_revokes(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True))
    controller = _controller(api, informers, clock, events)
    await _settle(controller, informers)
    await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"hubAcceptsClient": False}})
    await _settle(controller, informers)

    role = api.find(gvr.CLUSTER_ROLES, names.cluster_role_name("c1"))
    assert role is not None
    assert [r["verbs"] for r in role["rules"]] == [["get", "list", "watch"]]
    assert api.find(gvr.ROLE_BINDINGS, names.registration_binding_name("c1"), "c1") is None
    work = api.find(gvr.ROLE_BINDINGS, names.work_binding_name("c1"), "c1")
    assert work is not None
    assert work["metadata"].get("deletionTimestamp")
    condition = _accepted_condition(api)
    assert condition is not None
    assert (condition["status"], condition["reason"]) == ("False", "HubClusterAdminDenied")


async def test_an_accepted_cluster_costs_no_request_and_lost_objects_come_back(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True))
    controller = _controller(api, informers, clock, events)
    await _settle(controller, informers)
    api.calls.clear()
    await _settle(controller, informers)
    assert api.calls == []  # everything is read from the caches
    await api.delete(gvr.ROLE_BINDINGS, names.registration_binding_name("c1"), namespace="c1")
    api.calls.clear()
    await _settle(controller, informers)
    assert [(c.verb, c.resource) for c in api.calls] == [("create", gvr.ROLE_BINDINGS)]
    assert api.find(gvr.ROLE_BINDINGS, names.registration_binding_name("c1"), "c1") is not None


def test_a_cluster_object_brings_its_cluster_back(informers: Informers) -> None:
    binding = {
        "metadata": {"name": "b", "namespace": "c1", "labels": {names.CLUSTER_NAME_LABEL: "c1"}}
    }
    for source in owned_objects(informers).sources():
        assert list(source.key_fn(binding)) == ["c1"]
