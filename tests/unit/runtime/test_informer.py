"""Informer: list → watch, handler calls, relist on 410, reconnect backoff, inactivity."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest

from ocm_core.api import gvr
from ocm_core.kube import errors
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.informer import EventHandler, Informer, InformerSettings
from tests.support.fake_kube import FakeKubeApi, eventually

NO_JITTER = InformerSettings(backoff_base=1.0, backoff_max=8.0, backoff_jitter=0.0)


def configmap(name: str, namespace: str = "ns", **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels}, "data": {}}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def handler(self) -> EventHandler:
        return EventHandler(
            on_add=lambda o: self.seen.append(("add", o["metadata"]["name"])),
            on_update=lambda old, new: self.seen.append(("update", new["metadata"]["name"])),
            on_delete=lambda o: self.seen.append(("delete", o["metadata"]["name"])),
        )


@asynccontextmanager
async def running(informer: Informer) -> AsyncIterator[Informer]:
    task = asyncio.create_task(informer.run())
    try:
        yield informer
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def informer_for(
    api: FakeKubeApi, clock: FakeClock, settings: InformerSettings = NO_JITTER, **kwargs: Any
) -> Informer:
    return Informer(
        api, gvr.CONFIGMAPS, clock=clock, settings=settings, rng=random.Random(0), **kwargs
    )


async def test_list_then_watch_feeds_cache_and_handlers() -> None:
    api, clock, recorder = FakeKubeApi(), FakeClock(), Recorder()
    api.seed(gvr.CONFIGMAPS, configmap("a"))
    api.seed(gvr.CONFIGMAPS, configmap("b"))
    informer = informer_for(api, clock)
    informer.add_handler(recorder.handler())
    async with running(informer):
        await asyncio.wait_for(informer.wait_synced(), 5)
        assert sorted(informer.cache.keys()) == ["ns/a", "ns/b"]
        await eventually(lambda: api.active_watches == 1)
        await api.create(gvr.CONFIGMAPS, configmap("c"))
        await api.patch(gvr.CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="ns")
        await api.delete(gvr.CONFIGMAPS, "b", namespace="ns")
        await eventually(lambda: len(recorder.seen) == 5)
    assert recorder.seen == [
        ("add", "a"),
        ("add", "b"),
        ("add", "c"),
        ("update", "a"),
        ("delete", "b"),
    ]
    cached = informer.cache.get("ns/a")
    assert cached is not None
    assert cached["data"] == {"k": "v"}
    assert cached["kind"] == "ConfigMap", "list items get kind/apiVersion filled in"
    assert informer.cache.get("ns/b") is None


async def test_list_is_paged() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    for i in range(5):
        api.seed(gvr.CONFIGMAPS, configmap(f"cm{i}"))
    informer = informer_for(api, clock, InformerSettings(page_size=2))
    async with running(informer):
        await asyncio.wait_for(informer.wait_synced(), 5)
    assert len(informer.cache) == 5
    assert api.verbs().count("list") == 3


async def test_relists_after_410_and_reports_missed_deletes() -> None:
    api, clock, recorder = FakeKubeApi(), FakeClock(), Recorder()
    api.seed(gvr.CONFIGMAPS, configmap("a"))
    api.seed(gvr.CONFIGMAPS, configmap("b"))
    informer = informer_for(api, clock)
    informer.add_handler(recorder.handler())
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        # "b" vanishes without the informer seeing an event (as if the watch had missed it).
        del api.objects[(gvr.CONFIGMAPS, "ns", "b")]
        api.expire_watches()
        await eventually(lambda: api.verbs().count("list") == 2)
        await eventually(lambda: api.active_watches == 1)
    assert ("delete", "b") in recorder.seen
    assert informer.cache.keys() == ["ns/a"]
    assert clock.now() == 0, "the first relist after a 410 must not wait"


async def test_watch_from_a_compacted_rv_relists() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.CONFIGMAPS, configmap("a"))
    informer = informer_for(api, clock)
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        api.break_watches()
        await eventually(lambda: api.active_watches == 0 and clock.pending == 1)
        # While the informer waits to reconnect, history moves on and is compacted.
        await api.create(gvr.CONFIGMAPS, configmap("b"))
        api.compact()
        await clock.advance(1.0)
        await eventually(lambda: api.verbs().count("list") == 2)
        await eventually(lambda: api.active_watches == 1)
        assert clock.now() == 1.0, "the relist after a 410 must not wait"
    assert sorted(informer.cache.keys()) == ["ns/a", "ns/b"]


async def test_reconnects_with_capped_backoff_from_last_rv() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.CONFIGMAPS, configmap("a"))
    informer = informer_for(api, clock)
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        rv = informer.resource_version
        api.fail_next("watch", errors.KubeConnectionError("refused"), times=5)
        api.break_watches()
        # One delay per consecutive failure: the broken stream, then five refused re-watches.
        for attempt, delay in enumerate([1.0, 2.0, 4.0, 8.0, 8.0, 8.0], start=2):
            await eventually(lambda: api.active_watches == 0 and clock.pending == 1)
            await clock.advance(delay - 0.01)
            assert api.verbs().count("watch") == attempt - 1, f"attempt {attempt} came early"
            await clock.advance(0.01)
            await eventually(lambda a=attempt: api.verbs().count("watch") == a)  # type: ignore[misc]
        await eventually(lambda: api.active_watches == 1)
    assert api.verbs().count("list") == 1, "connection errors re-watch, they do not relist"
    watches = [c for c in api.calls if c.verb == "watch"]
    assert {c.options["resource_version"] for c in watches[1:]} == {rv}


async def test_backoff_resets_after_events_arrive() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    informer = informer_for(api, clock)
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        api.fail_next("watch", errors.ServiceUnavailableError(503, "x", "y"))
        api.break_watches()
        await clock.advance(1.0)  # first failure: 1s; the re-watch then gets a 503
        await eventually(lambda: api.verbs().count("watch") == 2)
        await clock.advance(2.0)  # second consecutive failure: 2s
        await eventually(lambda: api.active_watches == 1)
        await api.create(gvr.CONFIGMAPS, configmap("x"))
        await eventually(lambda: "ns/x" in informer.cache)
        api.break_watches()
        await eventually(lambda: api.active_watches == 0 and clock.pending == 1)
        await clock.advance(1.0)  # events arrived since: a new streak starts at 1s again
        await eventually(lambda: api.active_watches == 1)


async def test_quiet_watch_is_reopened_after_inactivity_timeout() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    settings = InformerSettings(inactivity_timeout=70)
    informer = informer_for(api, clock, settings)
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        await clock.advance(69)
        assert api.verbs().count("watch") == 1
        await clock.advance(1)
        await eventually(lambda: api.verbs().count("watch") == 2)
    assert api.verbs().count("list") == 1


async def test_immediately_closed_watches_back_off() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    informer = informer_for(api, clock)
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        api.end_watches()
        await eventually(lambda: api.active_watches == 0)
        await clock.advance(0)
        assert api.verbs().count("watch") == 1
        await clock.advance(1.0)
        await eventually(lambda: api.verbs().count("watch") == 2)


async def test_list_failure_is_retried() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.fail_next("list", errors.ForbiddenError(403, "Forbidden", "no"))
    informer = informer_for(api, clock)
    async with running(informer):
        await eventually(lambda: api.verbs().count("list") == 1)
        assert not informer.has_synced
        await clock.advance(1.0)
        await asyncio.wait_for(informer.wait_synced(), 5)


async def test_failing_handler_does_not_stop_the_informer(caplog: pytest.LogCaptureFixture) -> None:
    api, clock, recorder = FakeKubeApi(), FakeClock(), Recorder()

    def explode(_: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    informer = informer_for(api, clock)
    informer.add_handler(EventHandler(on_add=explode))
    informer.add_handler(recorder.handler())
    async with running(informer):
        await eventually(lambda: api.active_watches == 1)
        await api.create(gvr.CONFIGMAPS, configmap("a"))
        await eventually(lambda: recorder.seen == [("add", "a")])
    assert "informer handler failed" in caplog.text


async def test_handler_added_after_sync_gets_existing_objects() -> None:
    api, clock, recorder = FakeKubeApi(), FakeClock(), Recorder()
    api.seed(gvr.CONFIGMAPS, configmap("a"))
    informer = informer_for(api, clock)
    async with running(informer):
        await informer.wait_synced()
        remove = informer.add_handler(recorder.handler())
        assert recorder.seen == [("add", "a")]
        remove()
        await api.create(gvr.CONFIGMAPS, configmap("b"))
        await eventually(lambda: "ns/b" in informer.cache)
    assert recorder.seen == [("add", "a")]


async def test_namespace_and_selector_are_sent() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.CONFIGMAPS, configmap("a", "ns1", app="x"))
    api.seed(gvr.CONFIGMAPS, configmap("b", "ns1", app="y"))
    api.seed(gvr.CONFIGMAPS, configmap("c", "ns2", app="x"))
    informer = informer_for(api, clock, namespace="ns1", label_selector="app=x")
    async with running(informer):
        await informer.wait_synced()
    assert informer.cache.keys() == ["ns1/a"]


def test_watch_timeouts_are_spread() -> None:
    settings = InformerSettings(watch_timeout_seconds=300)
    rng = random.Random(1)
    timeouts = {settings.watch_timeout(rng) for _ in range(50)}
    assert min(timeouts) >= 300
    assert max(timeouts) < 600
    assert len(timeouts) > 10


async def test_managed_fields_are_not_cached_by_default() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    body = configmap("a")
    body["metadata"]["managedFields"] = [{"manager": "kubectl", "fieldsV1": {"f:data": {}}}]
    api.seed(gvr.CONFIGMAPS, body)
    informer = informer_for(api, clock)
    async with running(informer):
        await informer.wait_synced()
        await eventually(lambda: api.active_watches == 1)
        await api.patch(gvr.CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="ns")
        await eventually(lambda: (informer.cache.get("ns/a") or {}).get("data") == {"k": "v"})
    cached = informer.cache.get("ns/a")
    assert cached is not None
    assert "managedFields" not in cached["metadata"]
    assert cached["metadata"]["name"] == "a"
