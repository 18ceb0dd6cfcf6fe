"""WatchHub: replay from an RV, live fan-out, expiry, overflow and priming from storage."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.apiserver.selectors import ObjectSelector, parse_label_selector
from ocm_core.apiserver.storage import ExpiredError, MemoryStorage
from ocm_core.apiserver.watch import ALL_RESOURCES, WatchHub

CM = "core/configmaps"


def cm(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "labels": labels}}


async def hub_with_store(history: int = 100) -> tuple[WatchHub, MemoryStorage]:
    store = MemoryStorage()
    hub = WatchHub(history=history, max_pending=3)
    await hub.prime(store)
    return hub, store


async def test_watch_replays_history_after_rv_then_gets_live_events() -> None:
    hub, store = await hub_with_store()
    await store.create(CM, cm("a"))
    since = store.current_resource_version()
    await store.create(CM, cm("b"))
    watcher = hub.watch(CM, since=since)
    await store.create(CM, cm("c"))
    names = [(await watcher.next(0)), (await watcher.next(0))]
    assert [e.name for e in names if e] == ["b", "c"]
    assert await watcher.next(0) is None
    watcher.close()


async def test_watch_filters_by_resource_namespace_and_labels() -> None:
    hub, store = await hub_with_store()
    watcher = hub.watch(
        CM, since=0, namespace="ns", selector=ObjectSelector(labels=parse_label_selector("x=1"))
    )
    await store.create(CM, cm("no"))
    await store.create(CM, cm("yes", x="1"))
    await store.create("core/secrets", cm("secret", x="1"))
    event = await watcher.next(0)
    assert event is not None
    assert event.name == "yes"
    assert await watcher.next(0) is None


async def test_too_old_resource_version_is_expired() -> None:
    hub, store = await hub_with_store(history=2)
    for n in range(5):
        await store.create(CM, cm(f"c{n}"))
    with pytest.raises(ExpiredError):
        hub.watch(CM, since=1)
    assert hub.watch(CM, since=3).resource == CM


async def test_slow_watcher_is_closed_when_it_overflows() -> None:
    hub, store = await hub_with_store()
    watcher = hub.watch(ALL_RESOURCES, since=0)
    for n in range(5):
        await store.create(CM, cm(f"c{n}"))
    assert watcher.overflowed
    assert watcher.closed
    assert hub.watcher_count == 0


async def test_prime_loads_history_from_storage() -> None:
    store = MemoryStorage()
    await store.create(CM, cm("before"))
    hub = WatchHub()
    await hub.prime(store)
    watcher = hub.watch(CM, since=0)
    event = await watcher.next(0)
    assert event is not None
    assert event.name == "before"


async def test_selector_watch_sees_objects_entering_and_leaving_as_added_and_deleted() -> None:
    hub, store = await hub_with_store()
    await store.create(CM, cm("a"))
    watcher = hub.watch(
        CM,
        since=store.current_resource_version(),
        selector=ObjectSelector(labels=parse_label_selector("x=1")),
    )

    def relabel(value: str) -> Any:
        def update(obj: dict[str, Any]) -> dict[str, Any]:
            obj["metadata"]["labels"] = {"x": value}
            return obj

        return update

    await store.guaranteed_update(CM, "ns", "a", relabel("1"))
    await store.guaranteed_update(CM, "ns", "a", relabel("2"))
    kinds = [(await watcher.next(0)), (await watcher.next(0))]
    assert [e.type.value for e in kinds if e] == ["ADDED", "DELETED"]


async def test_accept_filter_keeps_refused_events_out_of_the_queue() -> None:
    hub, store = await hub_with_store()
    watcher = hub.watch(ALL_RESOURCES, since=0, accept=lambda event: event.resource != CM)
    await store.create(CM, cm("ignored"))
    assert watcher.idle  # nothing queued, so the consumer is not woken
    await store.create("core/secrets", cm("s1"))
    await store.create("core/secrets", cm("s2"))
    assert [e.name for e in watcher.take_pending()] == ["s1", "s2"]
    assert watcher.take_pending() == []
    watcher.close()
