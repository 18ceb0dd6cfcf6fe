"""Manager: shared informers, readiness, graceful stop."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import pytest

from ocm_core.api import gvr
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.controller import Controller, Result, Source
from ocm_core.runtime.informer import Informer
from ocm_core.runtime.manager import Manager
from tests.support.fake_kube import FakeKubeApi, eventually


class Recording:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def reconcile(self, key: str) -> Result | None:
        self.keys.append(key)
        return None


def test_informers_are_shared_per_view() -> None:
    manager = Manager(FakeKubeApi(), clock=FakeClock())
    a = manager.informer(gvr.MANAGED_CLUSTERS)
    assert manager.informer(gvr.MANAGED_CLUSTERS) is a
    assert manager.informer(gvr.MANAGED_CLUSTERS, namespace="ignored-for-cluster-scope") is a
    assert manager.informer(gvr.LEASES, namespace="c1") is not manager.informer(gvr.LEASES)
    assert manager.informer(gvr.MANAGED_CLUSTERS, label_selector="a=b") is not a


async def test_two_controllers_share_one_watch_and_become_ready() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.MANAGED_CLUSTERS, {"metadata": {"name": "c1"}})
    manager = Manager(api, clock=clock)
    clusters = manager.informer(gvr.MANAGED_CLUSTERS)
    first, second = Recording(), Recording()
    manager.controller("first", first, [Source(clusters)])
    manager.controller("second", second, [Source(clusters)], workers=2)
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(manager.wait_ready(), 5)
    await eventually(lambda: first.keys == ["c1"] and second.keys == ["c1"])
    assert api.verbs().count("list") == 1
    assert api.active_watches == 1
    manager.stop()
    await asyncio.wait_for(task, 5)
    assert not manager.ready
    assert api.active_watches == 0


async def test_stop_waits_for_in_flight_reconciles() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.MANAGED_CLUSTERS, {"metadata": {"name": "c1"}})
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    class Slow:
        async def reconcile(self, key: str) -> Result | None:
            started.set()
            await release.wait()
            finished.append(key)
            return None

    manager = Manager(api, clock=clock, grace_period=30)
    manager.controller("slow", Slow(), [Source(manager.informer(gvr.MANAGED_CLUSTERS))])
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(started.wait(), 5)
    manager.stop()
    await clock.advance(10)
    assert not task.done()
    release.set()
    await asyncio.wait_for(task, 5)
    assert finished == ["c1"]


async def test_stop_gives_up_after_the_grace_period() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.MANAGED_CLUSTERS, {"metadata": {"name": "c1"}})
    started = asyncio.Event()

    class Stuck:
        async def reconcile(self, key: str) -> Result | None:
            started.set()
            await asyncio.Event().wait()
            return None

    manager = Manager(api, clock=clock, grace_period=30)
    manager.controller("stuck", Stuck(), [Source(manager.informer(gvr.MANAGED_CLUSTERS))])
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(started.wait(), 5)
    manager.stop()
    await clock.advance(30)
    await asyncio.wait_for(task, 5)


async def test_foreign_informers_are_adopted_or_refused() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    manager = Manager(api, clock=clock)
    own = Informer(api, gvr.LEASES, namespace="c1", clock=clock)
    manager.add(Controller("a", Recording(), [Source(own)], clock=clock))
    assert manager.informer(gvr.LEASES, namespace="c1") is own
    duplicate = Informer(api, gvr.LEASES, namespace="c1", clock=clock)
    with pytest.raises(ValueError, match=r"use Manager\.informer"):
        manager.add(Controller("b", Recording(), [Source(duplicate)], clock=clock))


async def test_cancelling_run_cancels_everything() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    manager = Manager(api, clock=clock)
    manager.controller("a", Recording(), [Source(manager.informer(gvr.MANAGED_CLUSTERS))])
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(manager.wait_ready(), 5)
    with pytest.raises(RuntimeError, match="before run"):
        manager.informer(gvr.LEASES)
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    assert api.active_watches == 0
