"""Status patches only on change, finalizer helpers, conditions with transition times."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocm_core.api import gvr
from ocm_core.kube.errors import ConflictError
from ocm_core.runtime import patching
from ocm_core.runtime.clock import FakeClock
from tests.support.fake_kube import FakeKubeApi, merge_patch

FINALIZER = "cluster.open-cluster-management.io/api-resource-cleanup"


async def stored_cluster(api: FakeKubeApi, **status: Any) -> dict[str, Any]:
    return copy.deepcopy(
        api.seed(gvr.MANAGED_CLUSTERS, {"metadata": {"name": "c1"}, "status": status})
    )


async def test_status_patch_is_skipped_when_nothing_changed() -> None:
    api = FakeKubeApi()
    obj = await stored_cluster(api, version={"kubernetes": "v1.32"})
    changed = await patching.patch_status(
        api, gvr.MANAGED_CLUSTERS, obj, {"version": {"kubernetes": "v1.32"}}
    )
    assert changed is False
    assert api.verbs() == []


async def test_status_patch_sends_only_the_difference_with_preconditions() -> None:
    api = FakeKubeApi()
    obj = await stored_cluster(api, version={"kubernetes": "v1.31"}, stale="x")
    changed = await patching.patch_status(
        api, gvr.MANAGED_CLUSTERS, obj, {"version": {"kubernetes": "v1.32"}}
    )
    assert changed is True
    (call,) = api.calls
    assert call.options["subresource"] == "status"
    assert call.body["status"] == {"version": {"kubernetes": "v1.32"}, "stale": None}
    assert call.body["metadata"] == {
        "uid": obj["metadata"]["uid"],
        "resourceVersion": obj["metadata"]["resourceVersion"],
    }
    assert api.objects[(gvr.MANAGED_CLUSTERS, None, "c1")]["status"] == {
        "version": {"kubernetes": "v1.32"}
    }


async def test_status_patch_from_a_stale_object_conflicts() -> None:
    api = FakeKubeApi()
    stale = await stored_cluster(api)
    await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"x": 1}})
    with pytest.raises(ConflictError):
        await patching.patch_status(api, gvr.MANAGED_CLUSTERS, stale, {"a": 1})


async def test_finalizers_are_added_and_removed_once() -> None:
    api = FakeKubeApi()
    obj = await stored_cluster(api)
    assert await patching.add_finalizer(api, gvr.MANAGED_CLUSTERS, obj, FINALIZER)
    current = await api.get(gvr.MANAGED_CLUSTERS, "c1")
    assert patching.has_finalizer(current, FINALIZER)
    assert not await patching.add_finalizer(api, gvr.MANAGED_CLUSTERS, current, FINALIZER)
    await api.delete(gvr.MANAGED_CLUSTERS, "c1")
    deleting = await api.get(gvr.MANAGED_CLUSTERS, "c1")
    assert patching.is_deleting(deleting)
    assert await patching.remove_finalizer(api, gvr.MANAGED_CLUSTERS, deleting, FINALIZER)
    assert (gvr.MANAGED_CLUSTERS, None, "c1") not in api.objects
    assert not await patching.remove_finalizer(api, gvr.MANAGED_CLUSTERS, current, "other")
    assert api.verbs().count("patch") == 2


async def test_finalizer_is_not_added_to_a_deleting_object() -> None:
    api = FakeKubeApi()
    obj = await stored_cluster(api)
    obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not await patching.add_finalizer(api, gvr.MANAGED_CLUSTERS, obj, FINALIZER)


async def test_removing_a_finalizer_from_a_vanished_object_is_done() -> None:
    api = FakeKubeApi()
    obj = await stored_cluster(api)
    obj["metadata"]["finalizers"] = [FINALIZER]
    del api.objects[(gvr.MANAGED_CLUSTERS, None, "c1")]
    assert not await patching.remove_finalizer(api, gvr.MANAGED_CLUSTERS, obj, FINALIZER)


async def test_condition_transition_time_moves_only_on_status_change() -> None:
    clock = FakeClock()
    conditions = patching.set_condition(
        None,
        type="HubAcceptedManagedCluster",
        status="True",
        reason="HubClusterAdminAccepted",
        message="Accepted by hub cluster admin",
        observed_generation=1,
        clock=clock,
    )
    first = conditions[0]["lastTransitionTime"]
    assert first == "2026-01-01T00:00:00Z"

    await clock.advance(60)
    same_status = patching.set_condition(
        conditions,
        type="HubAcceptedManagedCluster",
        status="True",
        reason="StillAccepted",
        message="new words",
        observed_generation=2,
        clock=clock,
    )
    assert same_status[0]["lastTransitionTime"] == first
    assert same_status[0]["reason"] == "StillAccepted"
    assert same_status[0]["observedGeneration"] == 2
    assert conditions[0]["reason"] == "HubClusterAdminAccepted", "the input is not modified"

    await clock.advance(60)
    flipped = patching.set_condition(
        same_status,
        type="HubAcceptedManagedCluster",
        status="False",
        reason="HubClusterAdminDenied",
        message="Denied by hub cluster admin",
        clock=clock,
    )
    assert flipped[0]["lastTransitionTime"] == "2026-01-01T00:02:00Z"
    assert not patching.is_condition_true(flipped, "HubAcceptedManagedCluster")
    assert patching.is_condition_true(same_status, "HubAcceptedManagedCluster")


def test_conditions_keep_their_order_and_can_be_removed() -> None:
    clock = FakeClock()
    conditions: list[dict[str, Any]] = []
    for name in ["A", "B", "C"]:
        conditions = patching.set_condition(
            conditions, type=name, status="True", reason="R", message="", clock=clock
        )
    conditions = patching.set_condition(
        conditions, type="B", status="False", reason="R", message="", clock=clock
    )
    assert [c["type"] for c in conditions] == ["A", "B", "C"]
    assert [c["type"] for c in patching.remove_condition(conditions, "B")] == ["A", "C"]
    assert patching.find_condition(conditions, "Z") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=10,
)
# Merge patches cannot express "set this key to null", so objects under test have no nulls.
no_null_objects = st.dictionaries(
    st.text(max_size=3),
    json_values.filter(lambda v: v is not None and "None" not in repr(v)),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(old=no_null_objects, new=no_null_objects)
def test_merge_patch_diff_round_trips(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert merge_patch(old, patching.merge_patch_diff(old, new)) == new
