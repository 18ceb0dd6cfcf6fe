"""SQLite group commit: concurrent writes share one COMMIT, and nothing uncommitted leaks."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ocm_core.apiserver import semantics
from ocm_core.apiserver.operations import Operations, PatchType, WriteOptions
from ocm_core.apiserver.registry import Registry
from ocm_core.apiserver.storage import (
    AlreadyExistsError,
    NotFoundError,
    SQLiteStorage,
    StoredEvent,
)
from tests.support.wait import eventually

CM = "core/configmaps"
NAMESPACES = "core/namespaces"
ENV = semantics.Environment(
    now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    new_uid=lambda: "uid-a",
    random_suffix=lambda n: "z" * n,
)


def configmap(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"k": "v"}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / "store.db")
    yield storage
    await storage.close()


class _FailingCommits:
    """Wraps the write connection and refuses COMMIT, as a full disk would."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)


async def test_concurrent_creates_commit_together_in_rv_order(store: SQLiteStorage) -> None:
    heard: list[StoredEvent] = []
    store.add_listener(heard.append)
    created = await asyncio.gather(*(store.create(CM, configmap(f"cm-{n}")) for n in range(5)))
    rvs = [int(obj["metadata"]["resourceVersion"]) for obj in created]
    assert rvs == list(range(rvs[0], rvs[0] + 5))
    assert [e.resource_version for e in heard] == rvs
    assert store.current_resource_version() == rvs[-1]


async def test_pending_write_is_invisible_until_its_batch_commits(store: SQLiteStorage) -> None:
    heard: list[StoredEvent] = []
    store.add_listener(heard.append)
    task = asyncio.create_task(store.create(CM, configmap("a")))
    await asyncio.sleep(0)  # the create has run its INSERT; its COMMIT comes next
    assert not task.done()
    with pytest.raises(NotFoundError):
        await store.get(CM, "default", "a")
    assert (await store.list(CM)).items == []
    assert heard == []
    assert store.current_resource_version() == 0
    created = await task
    assert (await store.get(CM, "default", "a")) == created
    assert [e.name for e in heard] == ["a"]


async def test_same_name_in_one_batch_is_already_exists(store: SQLiteStorage) -> None:
    results = await asyncio.gather(
        store.create(CM, configmap("a")), store.create(CM, configmap("a")), return_exceptions=True
    )
    assert isinstance(results[1], AlreadyExistsError)
    assert isinstance(results[0], dict)
    assert store.current_resource_version() == int(results[0]["metadata"]["resourceVersion"])


async def test_update_sees_a_create_of_the_same_batch(store: SQLiteStorage) -> None:
    def relabel(obj: dict[str, Any]) -> dict[str, Any]:
        obj["data"]["k"] = "updated"
        return obj

    created, updated = await asyncio.gather(
        store.create(CM, configmap("a")), store.guaranteed_update(CM, "default", "a", relabel)
    )
    assert updated["data"]["k"] == "updated"
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])


async def test_failed_commit_fails_every_write_of_the_batch(store: SQLiteStorage) -> None:
    await store.create(CM, configmap("before"))
    rv = store.current_resource_version()
    heard: list[StoredEvent] = []
    store.add_listener(heard.append)
    real = store._db
    store._db = _FailingCommits(real)  # type: ignore[assignment]
    results = await asyncio.gather(
        store.create(CM, configmap("a")), store.create(CM, configmap("b")), return_exceptions=True
    )
    store._db = real
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    assert heard == []
    assert store.current_resource_version() == rv
    created = await store.create(CM, configmap("a"))
    assert int(created["metadata"]["resourceVersion"]) == rv + 1
    assert [o["metadata"]["name"] for o in (await store.list(CM)).items] == ["a", "before"]


async def test_immediate_resources_commit_before_returning(store: SQLiteStorage) -> None:
    store.commit_immediately(NAMESPACES)
    heard: list[str] = []
    store.add_listener(lambda event: heard.append(event.name))
    pending = asyncio.create_task(store.create(CM, configmap("a")))
    await asyncio.sleep(0)  # "a" waits in the open batch
    namespace = await store.create(NAMESPACES, {"metadata": {"name": "team"}})
    # Committed with the batch, in write order, before the namespace create returned.
    assert heard == ["a", "team"]
    assert store.current_resource_version() == int(namespace["metadata"]["resourceVersion"])
    await pending


async def test_apply_racing_a_create_patches_instead_of_conflicting(tmp_path: Path) -> None:
    ops = Operations(Registry.with_builtins(), SQLiteStorage(tmp_path / "store.db"), ENV)
    await ops.start()
    cms = ops.registry.lookup("", "v1", "configmaps")
    assert cms is not None
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {}}
    created, result = await asyncio.gather(
        ops.create(cms, "default", configmap("a")),
        ops.patch(
            cms,
            "default",
            "a",
            PatchType.APPLY,
            {**applied, "data": {"applied": "yes"}},
            options=WriteOptions(field_manager="helm"),
        ),
    )
    assert not result.created  # the create won; apply updated its object
    assert result.object["metadata"]["uid"] == created["metadata"]["uid"]
    assert result.object["data"] == {"k": "v", "applied": "yes"}
    await ops.storage.close()


async def test_wal_is_checkpointed_into_the_database_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    storage = SQLiteStorage(path)
    empty = path.stat().st_size
    for n in range(250):  # one COMMIT each: past the checkpoint interval
        await storage.create(CM, configmap(f"cm-{n}"))
    await eventually(lambda: path.stat().st_size > empty, timeout=10, what="a checkpoint")
    await storage.close()
    reopened = SQLiteStorage(path)
    assert len((await reopened.list(CM)).items) == 250
    await reopened.close()


async def test_failing_listener_does_not_leave_writers_waiting(store: SQLiteStorage) -> None:
    def broken(event: StoredEvent) -> None:
        raise RuntimeError("listener bug")

    store.add_listener(broken)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        created = await asyncio.wait_for(
            asyncio.gather(store.create(CM, configmap("a")), store.create(CM, configmap("b"))),
            timeout=10,
        )
    finally:
        loop.set_exception_handler(None)
    assert [obj["metadata"]["name"] for obj in created] == ["a", "b"]
    assert [str(context["exception"]) for context in reported] == ["listener bug"]
