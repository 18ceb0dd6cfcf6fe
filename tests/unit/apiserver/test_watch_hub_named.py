"""WatchHub: watchers pinned to one object name by their field selector (one per cluster agent)
hear that object's events and nothing else, alongside ordinary watchers."""

from __future__ import annotations

from typing import Any

from ocm_core.apiserver.selectors import ObjectSelector, parse_field_selector
from ocm_core.apiserver.storage import MemoryStorage
from ocm_core.apiserver.watch import ALL_RESOURCES, Watcher, WatchHub

CM = "core/configmaps"


def cm(name: str, namespace: str = "ns") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}}


def pinned(hub: WatchHub, fields: str) -> Watcher:
    return hub.watch(CM, since=0, selector=ObjectSelector(fields=parse_field_selector(fields)))


async def drain(watcher: Watcher) -> list[tuple[str, str]]:
    seen = []
    while (event := await watcher.next(0)) is not None:
        seen.append((event.type.value, f"{event.namespace}/{event.name}"))
    return seen


async def test_named_watchers_hear_only_their_object() -> None:
    store, hub = MemoryStorage(), WatchHub()
    await hub.prime(store)
    mine = pinned(hub, "metadata.name=a")
    narrowed = pinned(hub, "metadata.name=a,metadata.namespace=ns")
    negated = pinned(hub, "metadata.name!=a")
    everything = hub.watch(CM, since=0)
    every_kind = hub.watch(ALL_RESOURCES, since=0)
    await store.create(CM, cm("a"))
    await store.create(CM, cm("b"))
    await store.create(CM, cm("a", namespace="other"))
    await store.delete(CM, "ns", "a")
    assert await drain(mine) == [
        ("ADDED", "ns/a"),
        ("ADDED", "other/a"),
        ("DELETED", "ns/a"),
    ]
    assert await drain(narrowed) == [("ADDED", "ns/a"), ("DELETED", "ns/a")]
    assert await drain(negated) == [("ADDED", "ns/b")]
    assert len(await drain(everything)) == 4
    assert len(await drain(every_kind)) == 4
    assert hub.watcher_count == 5
    for watcher in (mine, narrowed, negated, everything, every_kind):
        watcher.close()
    assert hub.watcher_count == 0
