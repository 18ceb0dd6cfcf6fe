"""The contract every Storage backend must pass (parametrised over memory and SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from ocm_core.apiserver.selectors import ObjectSelector, parse_field_selector, parse_label_selector
from ocm_core.apiserver.storage import (
    AlreadyExistsError,
    ConflictError,
    EventType,
    ExpiredError,
    MemoryStorage,
    NotFoundError,
    Removal,
    SQLiteStorage,
    Storage,
    StoredEvent,
)

CM = "core/configmaps"
Factory = Callable[..., Storage]


def configmap(name: str, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"k": "v"},
    }


@pytest.fixture(params=["memory", "sqlite"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    def make(**kwargs: Any) -> Storage:
        if request.param == "memory":
            return MemoryStorage(**kwargs)
        return SQLiteStorage(tmp_path / "store.db", **kwargs)

    return make


@pytest.fixture
async def store(factory: Factory) -> AsyncIterator[Storage]:
    storage = factory()
    yield storage
    await storage.close()


async def test_create_assigns_increasing_resource_versions(store: Storage) -> None:
    first = await store.create(CM, configmap("a"))
    second = await store.create(CM, configmap("b"))
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert store.current_resource_version() == int(second["metadata"]["resourceVersion"])


async def test_create_existing_key_fails_and_changes_nothing(store: Storage) -> None:
    await store.create(CM, configmap("a"))
    rv = store.current_resource_version()
    with pytest.raises(AlreadyExistsError):
        await store.create(CM, configmap("a"))
    assert store.current_resource_version() == rv


async def test_get_missing_raises_not_found(store: Storage) -> None:
    with pytest.raises(NotFoundError):
        await store.get(CM, "default", "nope")


async def test_returned_objects_are_private_copies(store: Storage) -> None:
    created = await store.create(CM, configmap("a"))
    created["data"]["k"] = "changed"
    assert (await store.get(CM, "default", "a"))["data"]["k"] == "v"


async def test_update_with_stale_precondition_conflicts(store: Storage) -> None:
    created = await store.create(CM, configmap("a"))
    stale = created["metadata"]["resourceVersion"]

    def bump(obj: dict[str, Any]) -> dict[str, Any]:
        obj["data"]["k"] = obj["data"]["k"] + "!"
        return obj

    await store.guaranteed_update(CM, "default", "a", bump, precondition_rv=stale)
    with pytest.raises(ConflictError):
        await store.guaranteed_update(CM, "default", "a", bump, precondition_rv=stale)
    assert (await store.get(CM, "default", "a"))["data"]["k"] == "v!"


async def test_noop_update_keeps_resource_version(store: Storage) -> None:
    created = await store.create(CM, configmap("a"))
    same = await store.guaranteed_update(CM, "default", "a", lambda obj: obj)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_update_returning_removal_deletes(store: Storage) -> None:
    await store.create(CM, configmap("a"))
    await store.guaranteed_update(CM, "default", "a", Removal)
    with pytest.raises(NotFoundError):
        await store.get(CM, "default", "a")


async def test_delete_checks_uid_precondition(store: Storage) -> None:
    await store.create(CM, configmap("a"))
    with pytest.raises(ConflictError):
        await store.delete(CM, "default", "a", precondition_uid="other")
    deleted = await store.delete(CM, "default", "a")
    assert deleted["metadata"]["name"] == "a"
    with pytest.raises(NotFoundError):
        await store.delete(CM, "default", "a")


async def test_list_filters_by_namespace_and_selectors(store: Storage) -> None:
    await store.create(CM, configmap("a", app="x"))
    await store.create(CM, configmap("b", app="y"))
    await store.create(CM, configmap("c", "other", app="x"))
    await store.create("core/secrets", {"metadata": {"name": "a", "namespace": "default"}})
    everything = await store.list(CM)
    assert [o["metadata"]["name"] for o in everything.items] == ["a", "b", "c"]
    in_default = await store.list(CM, namespace="default")
    assert [o["metadata"]["name"] for o in in_default.items] == ["a", "b"]
    by_label = await store.list(CM, selector=ObjectSelector(labels=parse_label_selector("app=x")))
    assert [o["metadata"]["name"] for o in by_label.items] == ["a", "c"]
    by_name = await store.list(
        CM, selector=ObjectSelector(fields=parse_field_selector("metadata.name=b"))
    )
    assert [o["metadata"]["name"] for o in by_name.items] == ["b"]


async def test_list_pages_with_limit_and_continue(store: Storage) -> None:
    for n in range(5):
        await store.create(CM, configmap(f"cm{n}"))
    page = await store.list(CM, limit=2)
    names = [o["metadata"]["name"] for o in page.items]
    assert page.remaining == 3
    while page.continue_token:
        page = await store.list(CM, limit=2, continue_token=page.continue_token)
        names += [o["metadata"]["name"] for o in page.items]
    assert names == [f"cm{n}" for n in range(5)]


async def test_listeners_hear_commits_in_order(store: Storage) -> None:
    heard: list[StoredEvent] = []
    store.add_listener(heard.append)
    await store.create(CM, configmap("a"))
    await store.guaranteed_update(CM, "default", "a", lambda o: {**o, "data": {"k": "2"}})
    await store.delete(CM, "default", "a")
    assert [e.type for e in heard] == [EventType.ADDED, EventType.MODIFIED, EventType.DELETED]
    rvs = [e.resource_version for e in heard]
    assert rvs == sorted(rvs)
    assert len(set(rvs)) == 3


async def test_event_log_is_bounded_and_expires_old_versions(factory: Factory) -> None:
    store = factory(event_window=300)
    for n in range(600):
        await store.create(CM, configmap(f"cm{n}"))
    with pytest.raises(ExpiredError):
        await store.events_since(1)
    recent = await store.events_since(store.current_resource_version() - 10)
    assert len(recent) == 10
    await store.close()


async def test_sqlite_data_and_events_survive_restart(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStorage(path)
    await store.create(CM, configmap("a"))
    rv = store.current_resource_version()
    await store.create(CM, configmap("b"))
    await store.close()
    reopened = SQLiteStorage(path)
    assert (await reopened.get(CM, "default", "a"))["data"] == {"k": "v"}
    assert reopened.current_resource_version() == rv + 1
    assert [e.name for e in await reopened.events_since(rv)] == ["b"]
    await reopened.close()


async def test_sqlite_resource_version_survives_pruning_and_deleting_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStorage(path, event_window=1)
    for n in range(300):  # more than one pruning round
        await store.create(CM, configmap(f"cm{n}"))
    for n in range(300):
        await store.delete(CM, "default", f"cm{n}")
    last = store.current_resource_version()
    assert last == 600
    await store.close()
    reopened = SQLiteStorage(path, event_window=1)
    assert reopened.current_resource_version() == last
    created = await reopened.create(CM, configmap("again"))
    assert created["metadata"]["resourceVersion"] == str(last + 1)
    await reopened.close()
