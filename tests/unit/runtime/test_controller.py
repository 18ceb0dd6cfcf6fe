"""Controller: key flow, requeues, error handling paths, no concurrent reconciles of one key."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest

from ocm_core.api import gvr
from ocm_core.runtime import keys
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.controller import Controller, Result, Source, generation_changed
from ocm_core.runtime.errors import PermanentError, TemporaryError
from ocm_core.runtime.informer import Informer
from ocm_core.runtime.queue import RateLimit
from tests.support.fake_kube import FakeKubeApi, eventually


def cluster(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "spec": {"hubAcceptsClient": True}}


class ScriptedReconciler:
    """Records keys; ``behaviour(key, attempt)`` returns a Result/None or raises."""

    def __init__(self, behaviour: Callable[[str, int], Result | None] | None = None) -> None:
        self.keys: list[str] = []
        self.behaviour = behaviour

    async def reconcile(self, key: str) -> Result | None:
        self.keys.append(key)
        if self.behaviour is None:
            return None
        return self.behaviour(key, self.keys.count(key))


@asynccontextmanager
async def running(
    api: FakeKubeApi, controller: Controller, *informers: Informer
) -> AsyncIterator[Controller]:
    tasks = [asyncio.create_task(i.run()) for i in informers]
    tasks.append(asyncio.create_task(controller.run()))
    try:
        await asyncio.wait_for(controller.wait_ready(), 5)
        yield controller
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


def setup(
    reconciler: ScriptedReconciler, **kwargs: Any
) -> tuple[FakeKubeApi, FakeClock, Informer, Controller]:
    api, clock = FakeKubeApi(), FakeClock()
    informer = Informer(api, gvr.MANAGED_CLUSTERS, clock=clock, rng=random.Random(0))
    source_kwargs = kwargs.pop("source", {})
    controller = Controller(
        "test",
        reconciler,
        [Source(informer, **source_kwargs)],
        clock=clock,
        rate_limit=RateLimit(base_delay=1, max_delay=60),
        **kwargs,
    )
    return api, clock, informer, controller


async def test_existing_and_changed_objects_are_reconciled() -> None:
    reconciler = ScriptedReconciler()
    api, _, informer, controller = setup(reconciler)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: reconciler.keys == ["c1"])
        await api.create(gvr.MANAGED_CLUSTERS, cluster("c2"))
        await eventually(lambda: reconciler.keys == ["c1", "c2"])
        await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"hubAcceptsClient": False}})
        await eventually(lambda: reconciler.keys == ["c1", "c2", "c1"])
        await api.delete(gvr.MANAGED_CLUSTERS, "c2")
        await eventually(lambda: reconciler.keys == ["c1", "c2", "c1", "c2"])


async def test_result_requeue_after_reconciles_again_at_the_deadline() -> None:
    reconciler = ScriptedReconciler(lambda key, n: Result(requeue_after=30))
    api, clock, informer, controller = setup(reconciler)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: len(reconciler.keys) == 1)
        await clock.advance(29)
        assert len(reconciler.keys) == 1
        await clock.advance(1)
        await eventually(lambda: len(reconciler.keys) == 2)


async def test_temporary_error_retries_after_its_delay() -> None:
    def behaviour(key: str, attempt: int) -> Result | None:
        if attempt == 1:
            raise TemporaryError("namespace not there yet", delay=10)
        return None

    reconciler = ScriptedReconciler(behaviour)
    api, clock, informer, controller = setup(reconciler)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: len(reconciler.keys) == 1)
        await clock.advance(9.5)
        assert len(reconciler.keys) == 1
        await clock.advance(0.5)
        await eventually(lambda: len(reconciler.keys) == 2)
        await clock.advance(1000)
        assert len(reconciler.keys) == 2
    assert controller.queue.num_requeues("c1") == 0


async def test_permanent_error_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    def behaviour(key: str, attempt: int) -> Result | None:
        raise PermanentError("spec.name is not a valid namespace name")

    reconciler = ScriptedReconciler(behaviour)
    api, clock, informer, controller = setup(reconciler)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: len(reconciler.keys) == 1)
        await clock.advance(3600)
        assert len(reconciler.keys) == 1
        # ... but a change to the object brings it back.
        await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"x": 1}})
        await eventually(lambda: len(reconciler.keys) == 2)
    assert "giving up until the object changes" in caplog.text


async def test_unexpected_errors_back_off_and_log_the_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def behaviour(key: str, attempt: int) -> Result | None:
        if attempt <= 4:
            raise RuntimeError("bug")
        return None

    reconciler = ScriptedReconciler(behaviour)
    api, clock, informer, controller = setup(reconciler)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    caplog.set_level(logging.DEBUG, logger="ocm_core.runtime.controller")
    async with running(api, controller, informer):
        for attempt, delay in enumerate([1, 2, 4, 8], start=1):
            await eventually(lambda a=attempt: len(reconciler.keys) == a)  # type: ignore[misc]
            assert controller.queue.is_waiting("c1")
            await clock.advance(delay - 0.1)
            assert len(reconciler.keys) == attempt, "retried before its backoff"
            await clock.advance(0.1)
        await eventually(lambda: len(reconciler.keys) == 5)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    assert controller.queue.num_requeues("c1") == 0, "success forgets the failures"


async def test_one_key_is_never_reconciled_concurrently() -> None:
    release = asyncio.Event()
    in_flight: list[str] = []
    overlaps: list[str] = []
    done: list[str] = []

    class Slow:
        async def reconcile(self, key: str) -> Result | None:
            if key in in_flight:
                overlaps.append(key)
            in_flight.append(key)
            await release.wait()
            in_flight.remove(key)
            done.append(key)
            return None

    api, clock = FakeKubeApi(), FakeClock()
    informer = Informer(api, gvr.MANAGED_CLUSTERS, clock=clock)
    controller = Controller("slow", Slow(), [Source(informer)], workers=4, clock=clock)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: in_flight == ["c1"])
        for value in range(3):  # three changes while c1 is in flight
            await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"v": value}})
        await eventually(lambda: api.verbs().count("patch") == 3)
        await asyncio.sleep(0)
        assert in_flight == ["c1"]
        release.set()
        await eventually(lambda: len(done) == 2)
    assert overlaps == []
    assert done == ["c1", "c1"], "the parked changes collapse into one more reconcile"


async def test_cancellation_stops_in_flight_reconcile_and_detaches() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    class Blocking:
        async def reconcile(self, key: str) -> Result | None:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(key)
                raise
            return None

    api, clock = FakeKubeApi(), FakeClock()
    informer = Informer(api, gvr.MANAGED_CLUSTERS, clock=clock)
    controller = Controller("blocking", Blocking(), [Source(informer)], clock=clock)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    informer_task = asyncio.create_task(informer.run())
    controller_task = asyncio.create_task(controller.run())
    await asyncio.wait_for(started.wait(), 5)
    controller_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await controller_task
    assert cancelled == ["c1"]
    assert not controller.ready
    assert controller.queue.shutting_down
    informer_task.cancel()
    with suppress(asyncio.CancelledError):
        await informer_task


async def test_shutdown_lets_in_flight_reconcile_finish() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    class Slow:
        async def reconcile(self, key: str) -> Result | None:
            await release.wait()
            finished.append(key)
            return None

    api, clock = FakeKubeApi(), FakeClock()
    informer = Informer(api, gvr.MANAGED_CLUSTERS, clock=clock)
    controller = Controller("slow", Slow(), [Source(informer)], clock=clock, resync=60)
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    async with running(api, controller, informer):
        await eventually(lambda: controller.queue.is_processing("c1"))
        controller.shutdown()
        release.set()
        await eventually(lambda: finished == ["c1"])


async def test_predicate_and_update_filter() -> None:
    reconciler = ScriptedReconciler()
    api, _, informer, controller = setup(
        reconciler,
        source={
            "predicate": lambda o: o["metadata"]["labels"].get("managed") == "yes",
            "update_filter": generation_changed,
        },
    )
    api.seed(gvr.MANAGED_CLUSTERS, cluster("ignored"))
    api.seed(gvr.MANAGED_CLUSTERS, cluster("c1", managed="yes"))
    async with running(api, controller, informer):
        await eventually(lambda: reconciler.keys == ["c1"])
        await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"status": {"x": 1}}, subresource="status")
        await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"x": 1}})
        await eventually(lambda: reconciler.keys == ["c1", "c1"])
        await api.patch(gvr.MANAGED_CLUSTERS, "ignored", {"spec": {"x": 1}})
        await eventually(lambda: informer.resource_version == str(api._current_rv))
    assert reconciler.keys == ["c1", "c1"], "status-only and filtered changes are dropped"


async def test_key_fn_maps_to_other_keys_and_resync_requeues() -> None:
    reconciler = ScriptedReconciler()
    api, clock = FakeKubeApi(), FakeClock()
    leases = Informer(api, gvr.LEASES, clock=clock)
    controller = Controller(
        "lease", reconciler, [Source(leases, key_fn=keys.by_namespace)], clock=clock, resync=300
    )
    api.seed(gvr.LEASES, {"metadata": {"name": "managed-cluster-lease", "namespace": "c1"}})
    async with running(api, controller, leases):
        await eventually(lambda: reconciler.keys == ["c1"])
        await clock.advance(300)
        await eventually(lambda: reconciler.keys == ["c1", "c1"])


def test_workers_must_be_positive() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    informer = Informer(api, gvr.LEASES, clock=clock)
    with pytest.raises(ValueError, match="at least one worker"):
        Controller("x", ScriptedReconciler(), [Source(informer)], workers=0)
