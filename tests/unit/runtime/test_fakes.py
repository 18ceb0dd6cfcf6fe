"""The fake API behaves like an API server where the runtime depends on it.

These are the semantics the embedded API server must share; when it lands, the same checks run
against it through the real client.
"""

from __future__ import annotations

from contextlib import aclosing

import pytest

from ocm_core.api import gvr
from ocm_core.kube import errors
from ocm_core.kube.protocol import EventType, WatchEvent
from tests.support.fake_kube import FakeKubeApi


async def take(
    api: FakeKubeApi, count: int, *, resource_version: str | None = None
) -> list[WatchEvent]:
    events: list[WatchEvent] = []
    stream = api.watch(gvr.CONFIGMAPS, resource_version=resource_version)
    async with aclosing(stream):
        async for event in stream:
            events.append(event)
            if len(events) == count:
                break
    return events


async def test_watch_from_rv_replays_later_changes_in_order() -> None:
    api = FakeKubeApi()
    first = await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    await api.patch(gvr.CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="ns")
    await api.delete(gvr.CONFIGMAPS, "a", namespace="ns")
    events = await take(api, 2, resource_version=first["metadata"]["resourceVersion"])
    assert [e.type for e in events] == [EventType.MODIFIED, EventType.DELETED]
    versions = [int(e.object["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)


async def test_watch_without_rv_starts_with_synthetic_adds() -> None:
    api = FakeKubeApi()
    await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    (event,) = await take(api, 1)
    assert event.type is EventType.ADDED


async def test_compacted_rv_is_expired() -> None:
    api = FakeKubeApi()
    first = await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "b", "namespace": "ns"}})
    api.compact()
    with pytest.raises(errors.ExpiredError):
        await take(api, 1, resource_version=first["metadata"]["resourceVersion"])


async def test_finalizers_hold_deletion_until_removed() -> None:
    api = FakeKubeApi()
    await api.create(
        gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns", "finalizers": ["x/y"]}}
    )
    held = await api.delete(gvr.CONFIGMAPS, "a", namespace="ns")
    assert held["metadata"]["deletionTimestamp"]
    await api.patch(gvr.CONFIGMAPS, "a", {"metadata": {"finalizers": []}}, namespace="ns")
    with pytest.raises(errors.NotFoundError):
        await api.get(gvr.CONFIGMAPS, "a", namespace="ns")


async def test_status_and_spec_writes_are_separate_and_generation_tracks_spec() -> None:
    api = FakeKubeApi()
    await api.create(gvr.MANAGED_CLUSTERS, {"metadata": {"name": "c1"}, "spec": {"a": 1}})
    await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"a": 2}, "status": {"ignored": True}})
    updated = await api.patch(
        gvr.MANAGED_CLUSTERS, "c1", {"spec": {"a": 3}, "status": {"ok": True}}, subresource="status"
    )
    assert updated["spec"] == {"a": 2}
    assert updated["status"] == {"ok": True}
    assert updated["metadata"]["generation"] == 2


async def test_stale_writes_conflict_and_duplicates_already_exist() -> None:
    api = FakeKubeApi()
    created = await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    await api.patch(gvr.CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="ns")
    with pytest.raises(errors.ConflictError):
        await api.replace(gvr.CONFIGMAPS, created)
    with pytest.raises(errors.AlreadyExistsError):
        await api.create(gvr.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
