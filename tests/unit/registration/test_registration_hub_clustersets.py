"""Cluster sets: default/global sets, membership label, set and binding status."""

from __future__ import annotations

import pytest

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.registration.hub.clustersets import (
    ClusterSetBindingController,
    ClusterSetLabelController,
    ClusterSetStatusController,
    DefaultClusterSetsController,
    labels_changed,
    set_matcher,
)
from ocm_core.runtime import FakeClock, patching
from tests.support.registration_fakes import Informers, RegistrationFakeApi, managed_cluster


def _condition(obj: dict[str, object] | None, kind: str) -> tuple[str, str]:
    assert obj is not None
    found = patching.find_condition((obj.get("status") or {}).get("conditions"), kind)  # type: ignore[attr-defined]
    assert found is not None
    return str(found["status"]), str(found["reason"])


async def test_default_and_global_sets_are_kept(
    api: RegistrationFakeApi, informers: Informers
) -> None:
    controller = DefaultClusterSetsController(api, informers[gvr.MANAGED_CLUSTER_SETS])
    for name in ("default", "global"):
        informers.sync()
        await controller.reconcile(name)
    default = api.find(gvr.MANAGED_CLUSTER_SETS, "default")
    world = api.find(gvr.MANAGED_CLUSTER_SETS, "global")
    assert default is not None
    assert world is not None
    assert default["spec"]["clusterSelector"] == {"selectorType": "ExclusiveClusterSetLabel"}
    assert world["spec"]["clusterSelector"] == {
        "selectorType": "LabelSelector",
        "labelSelector": {},
    }
    edited = {"selectorType": "LabelSelector", "labelSelector": {"matchLabels": {"a": "b"}}}
    await api.patch(gvr.MANAGED_CLUSTER_SETS, "default", {"spec": {"clusterSelector": edited}})
    informers.sync()
    await controller.reconcile("default")
    default = api.find(gvr.MANAGED_CLUSTER_SETS, "default")
    assert default is not None
    assert default["spec"]["clusterSelector"] == {"selectorType": "ExclusiveClusterSetLabel"}


async def test_clusters_without_a_set_join_default(
    api: RegistrationFakeApi, informers: Informers
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    informers.sync()
    await ClusterSetLabelController(api, informers[gvr.MANAGED_CLUSTERS]).reconcile("c1")
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    assert cluster["metadata"]["labels"] == {cluster_api.CLUSTER_SET_LABEL: "default"}


async def test_set_status_counts_selected_clusters(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock
) -> None:
    sets = DefaultClusterSetsController(api, informers[gvr.MANAGED_CLUSTER_SETS])
    for name in ("default", "global"):
        await sets.reconcile(name)
    labelled = managed_cluster("c1")
    labelled["metadata"]["labels"] = {cluster_api.CLUSTER_SET_LABEL: "other"}
    api.seed(gvr.MANAGED_CLUSTERS, labelled)
    informers.sync()
    status = ClusterSetStatusController(
        api, informers[gvr.MANAGED_CLUSTER_SETS], informers[gvr.MANAGED_CLUSTERS], clock
    )
    for name in ("default", "global"):
        await status.reconcile(name)
    assert _condition(api.find(gvr.MANAGED_CLUSTER_SETS, "default"), "ClusterSetEmpty") == (
        "True",
        "NoClusterMatched",
    )
    assert _condition(api.find(gvr.MANAGED_CLUSTER_SETS, "global"), "ClusterSetEmpty") == (
        "False",
        "ClustersSelected",
    )


async def test_binding_bound_only_to_an_existing_set(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock
) -> None:
    binding = {
        "metadata": {"name": "global", "namespace": "team"},
        "spec": {"clusterSet": "global"},
    }
    api.seed(gvr.MANAGED_CLUSTER_SET_BINDINGS, binding)
    controller = ClusterSetBindingController(
        api, informers[gvr.MANAGED_CLUSTER_SET_BINDINGS], informers[gvr.MANAGED_CLUSTER_SETS], clock
    )
    informers.sync()
    await controller.reconcile("team/global")
    found = api.find(gvr.MANAGED_CLUSTER_SET_BINDINGS, "global", "team")
    assert _condition(found, "Bound") == ("False", "ClusterSetNotFound")
    await DefaultClusterSetsController(api, informers[gvr.MANAGED_CLUSTER_SETS]).reconcile("global")
    informers.sync()
    assert list(
        controller.bindings_of_set(informers[gvr.MANAGED_CLUSTER_SETS].cache.get("global") or {})
    ) == ["team/global"]
    await controller.reconcile("team/global")
    found = api.find(gvr.MANAGED_CLUSTER_SET_BINDINGS, "global", "team")
    assert _condition(found, "Bound") == ("True", "ClusterSetBound")


def test_membership_follows_labels_only() -> None:
    old = {"metadata": {"name": "c1", "labels": {"a": "1"}}, "status": {"version": {}}}
    assert not labels_changed(old, {**old, "status": {"conditions": []}})
    assert labels_changed(old, {"metadata": {"name": "c1", "labels": {"a": "2"}}})


@pytest.mark.parametrize(
    ("selector", "labels", "selected"),
    [
        ({"selectorType": "ExclusiveClusterSetLabel"}, {cluster_api.CLUSTER_SET_LABEL: "s1"}, True),
        (
            {"selectorType": "ExclusiveClusterSetLabel"},
            {cluster_api.CLUSTER_SET_LABEL: "s2"},
            False,
        ),
        ({"selectorType": "LabelSelector", "labelSelector": {}}, {}, True),
        (
            {"selectorType": "LabelSelector", "labelSelector": {"matchLabels": {"env": "p"}}},
            {"env": "q"},
            False,
        ),
        (
            {
                "selectorType": "LabelSelector",
                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]},
            },
            {},
            False,
        ),
    ],
)
def test_set_matcher(selector: dict[str, object], labels: dict[str, str], selected: bool) -> None:
    cluster_set = {"metadata": {"name": "s1"}, "spec": {"clusterSelector": selector}}
    assert set_matcher(cluster_set)({"metadata": {"labels": labels}}) is selected
