"""EventRecorder: core/v1 Events with count aggregation, best effort."""

from __future__ import annotations

from typing import Any

from ocm_core.api import gvr
from ocm_core.kube.errors import ForbiddenError
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.events import EventRecorder
from tests.support.fake_kube import FakeKubeApi

WORK: dict[str, Any] = {
    "apiVersion": "work.open-cluster-management.io/v1",
    "kind": "ManifestWork",
    "metadata": {"name": "w1", "namespace": "c1", "uid": "u1", "resourceVersion": "7"},
}
CLUSTER: dict[str, Any] = {
    "apiVersion": "cluster.open-cluster-management.io/v1",
    "kind": "ManagedCluster",
    "metadata": {"name": "c1", "uid": "u2"},
}


def events(api: FakeKubeApi) -> list[dict[str, Any]]:
    return [obj for (res, _, _), obj in api.objects.items() if res == gvr.EVENTS]


async def test_first_event_is_created_with_the_involved_object() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    recorder = EventRecorder(api, component="work-agent", instance="pod-1", clock=clock)
    await recorder.normal(WORK, "AppliedManifestWorkComplete", "applied")
    (event,) = events(api)
    assert event["metadata"]["namespace"] == "c1"
    assert event["metadata"]["name"].startswith("w1.")
    assert event["involvedObject"] == {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "name": "w1",
        "namespace": "c1",
        "uid": "u1",
        "resourceVersion": "7",
    }
    assert (event["type"], event["reason"], event["count"]) == (
        "Normal",
        "AppliedManifestWorkComplete",
        1,
    )
    assert event["source"] == {"component": "work-agent", "host": "pod-1"}
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-01-01T00:00:00Z"


async def test_repeats_bump_the_count_instead_of_creating() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    recorder = EventRecorder(api, component="hub", clock=clock)
    await recorder.warning(CLUSTER, "AvailableUnknown", "lease not renewed")
    await clock.advance(30)
    await recorder.warning(CLUSTER, "AvailableUnknown", "lease not renewed")
    await recorder.warning(CLUSTER, "AvailableUnknown", "lease not renewed")
    (event,) = events(api)
    assert event["metadata"]["namespace"] == "default", "cluster-scoped objects → default"
    assert event["count"] == 3
    assert event["lastTimestamp"] == "2026-01-01T00:00:30Z"
    assert event["firstTimestamp"] == "2026-01-01T00:00:00Z"
    await recorder.warning(CLUSTER, "AvailableUnknown", "a different message")
    assert len(events(api)) == 2


async def test_expired_event_is_recreated() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    recorder = EventRecorder(api, component="hub", clock=clock)
    await recorder.normal(CLUSTER, "R", "m")
    for key in [k for k in api.objects if k[0] == gvr.EVENTS]:
        del api.objects[key]
    await clock.advance(1)
    await recorder.normal(CLUSTER, "R", "m")
    (event,) = events(api)
    assert event["count"] == 1


async def test_recording_failures_are_swallowed() -> None:
    api = FakeKubeApi()
    api.fail_next("create", ForbiddenError(403, "Forbidden", "events is forbidden"))
    recorder = EventRecorder(api, component="hub", clock=FakeClock())
    await recorder.normal(CLUSTER, "R", "m")
    assert events(api) == []


async def test_distinct_events_at_the_same_instant_get_distinct_names() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    recorder = EventRecorder(api, component="hub", clock=clock)
    await recorder.normal(CLUSTER, "Joined", "one")
    await recorder.warning(CLUSTER, "Denied", "two")
    assert len({e["metadata"]["name"] for e in events(api)}) == 2
