"""The namespace controller, woken only by namespaces and by writes in terminating ones."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from ocm_core.apiserver import semantics
from ocm_core.apiserver.controllers.namespace_lifecycle import NamespaceController
from ocm_core.apiserver.errors import ApiError
from ocm_core.apiserver.operations import Operations, PatchType
from ocm_core.apiserver.registry import Registry, ResourceInfo
from ocm_core.apiserver.storage import MemoryStorage
from ocm_core.apiserver.watch import WatchHub
from tests.support.wait import eventually

ENV = semantics.Environment(
    now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    new_uid=lambda: "uid",
    random_suffix=lambda n: "z" * n,
)
HOLD = "example.com/hold"


@dataclass
class Cluster:
    ops: Operations
    namespaces: ResourceInfo
    configmaps: ResourceInfo


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    storage = MemoryStorage()
    hub = WatchHub()
    await hub.prime(storage)
    ops = Operations(Registry.with_builtins(), storage, ENV)
    await ops.start()
    task = asyncio.create_task(NamespaceController(ops, hub).run())
    namespaces = ops.registry.lookup("", "v1", "namespaces")
    configmaps = ops.registry.lookup("", "v1", "configmaps")
    assert namespaces is not None
    assert configmaps is not None
    yield Cluster(ops, namespaces, configmaps)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def gone(cluster: Cluster, info: ResourceInfo, namespace: str, name: str) -> bool:
    try:
        await cluster.ops.get(info, namespace, name)
    except ApiError as exc:
        return exc.code == 404
    return False


async def test_terminating_namespace_waits_for_a_held_object_then_goes(cluster: Cluster) -> None:
    ops = cluster.ops
    await ops.create(cluster.namespaces, "", {"metadata": {"name": "team"}})
    await ops.create(
        cluster.configmaps, "team", {"metadata": {"name": "held", "finalizers": [HOLD]}}
    )
    await ops.delete(cluster.namespaces, "", "team")

    async def held_deleting() -> bool:
        held = await ops.get(cluster.configmaps, "team", "held")
        return semantics.is_deleting(held)

    await eventually(held_deleting)
    assert not await gone(cluster, cluster.namespaces, "", "team")
    await ops.patch(
        cluster.configmaps,
        "team",
        "held",
        PatchType.MERGE,
        {"metadata": {"finalizers": None}},
    )
    await eventually(lambda: gone(cluster, cluster.namespaces, "", "team"))


async def test_writes_before_the_controller_saw_termination_are_swept(cluster: Cluster) -> None:
    ops = cluster.ops
    await ops.create(cluster.namespaces, "", {"metadata": {"name": "team"}})
    await ops.create(cluster.configmaps, "team", {"metadata": {"name": "a"}})
    # No await yields to the controller between these writes: it has not seen "team"
    # terminate when the ConfigMap events are published, so its filter refuses them.
    await ops.delete(cluster.namespaces, "", "team")
    await ops.patch(
        cluster.configmaps, "team", "a", PatchType.MERGE, {"metadata": {"labels": {"x": "1"}}}
    )
    await ops.create(cluster.configmaps, "default", {"metadata": {"name": "elsewhere"}})
    await eventually(lambda: gone(cluster, cluster.namespaces, "", "team"))
    assert await gone(cluster, cluster.configmaps, "team", "a")
    assert not await gone(cluster, cluster.configmaps, "default", "elsewhere")
