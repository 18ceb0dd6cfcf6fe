"""`Informer`: keeps a `Cache` of one resource (optionally one namespace / selector) in sync with
the API server and tells handlers what changed.

The loop (kopf's list → watch, client-go's reflector)::

    list (paged) ──► replace cache, mark synced ──► watch from the list's resourceVersion
        ▲                                               │ events update cache + call handlers
        │ 410 Expired / Gone                            │ stream ends (timeoutSeconds) or goes
        └───────────────────────────────────────────────┤ quiet (inactivity timeout): re-watch
                                                        │ from the last RV, no delay
                              other errors: capped, jittered exponential backoff, then re-watch
                              from the last RV (or relist if there is none)

Handlers are synchronous and must be quick (they enqueue keys); an exception in one is logged and
does not stop the informer. Objects delivered to handlers are the cache's own: never mutate them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from ocm_core.api.gvr import Resource
from ocm_core.kube.errors import ExpiredError, KubeError
from ocm_core.kube.protocol import EventType, KubeApi, WatchEvent
from ocm_core.runtime.cache import Cache, Object
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.keys import key_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InformerSettings:
    """Timing of list/watch; the defaults suit both the embedded server and kube-apiserver."""

    page_size: int = 500
    """Objects per list page (client-go's default); bounds one response's size."""
    watch_timeout_seconds: int = 300
    """Base ``timeoutSeconds`` asked of the server; each watch asks for a random value between
    this and twice this (client-go: 5-10 min), so many informers never re-watch in lockstep."""
    inactivity_timeout: float = 120.0
    """Seconds without any event (bookmarks included) after which the stream is presumed dead
    and re-opened: catches half-open TCP connections that would otherwise hang forever."""
    request_timeout: float = 60.0
    """Deadline of one list page, in seconds."""
    backoff_base: float = 0.5
    """First retry delay after a failure, in seconds; doubles per consecutive failure."""
    backoff_max: float = 30.0
    """Retry delay cap in seconds: an API server outage is noticed within this much."""
    keep_managed_fields: bool = False
    """Keep ``metadata.managedFields`` in the cache. Off by default: controllers never read
    them and on a real API server they are often the bulk of each object."""
    backoff_jitter: float = 0.25
    """Each delay is shortened by up to this fraction at random, so informers that failed
    together do not reconnect together."""

    def watch_timeout(self, rng: random.Random) -> int:
        return int(self.watch_timeout_seconds * (1 + rng.random()))

    def backoff(self, failures: int, rng: random.Random) -> float:
        exponent = min(max(failures - 1, 0), 32)
        delay = min(self.backoff_base * (2**exponent), self.backoff_max)
        return float(delay * (1 - self.backoff_jitter * rng.random()))


@dataclass(frozen=True, slots=True)
class EventHandler:
    """Callbacks for cache changes; any may be None."""

    on_add: Callable[[Object], None] | None = None
    on_update: Callable[[Object, Object], None] | None = None
    on_delete: Callable[[Object], None] | None = None


class Informer:
    """List+watch of one resource into a `Cache`; run `run` in a task group."""

    def __init__(
        self,
        api: KubeApi,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        clock: Clock | None = None,
        settings: InformerSettings | None = None,
        rng: random.Random | None = None,  # None: seeded from the OS
    ) -> None:
        self.api = api
        self.resource = resource
        self.namespace = namespace if resource.namespaced else None
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.cache = Cache()
        self._clock = clock or RealClock()
        self._settings = settings or InformerSettings()
        self._rng = rng or random.Random()
        self._handlers: list[EventHandler] = []
        self._synced = asyncio.Event()
        self._resource_version: str | None = None
        self._events_seen = 0
        self._log_extra = {"resource": str(resource), "namespace": self.namespace or ""}

    @property
    def has_synced(self) -> bool:
        """True once the first list has been loaded into the cache."""
        return self._synced.is_set()

    @property
    def resource_version(self) -> str | None:
        """The last resourceVersion seen (list, event or bookmark)."""
        return self._resource_version

    async def wait_synced(self) -> None:
        await self._synced.wait()

    def add_handler(self, handler: EventHandler) -> Callable[[], None]:
        """Register ``handler``; returns a function that unregisters it. A handler added after
        the first sync is first told about every cached object through ``on_add``."""
        self._handlers.append(handler)
        if self.has_synced and handler.on_add is not None:
            for obj in self.cache:
                self._call(handler.on_add, obj)

        def remove() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return remove

    async def run(self) -> None:
        """List and watch until cancelled."""
        failures = 0  # consecutive failures without a single event in between
        expirations = 0  # consecutive 410s without a single event in between
        while True:
            events_before = self._events_seen
            try:
                if self._resource_version is None:
                    await self._list()
                started = self._clock.now()
                await self._watch()
                if self._events_seen > events_before or self._clock.now() - started >= 1.0:
                    failures = expirations = 0
                    continue
                # A watch that ends at once without a single event means a sick server or
                # proxy; re-watching in a tight loop would only make it sicker.
                failures += 1
                delay = self._settings.backoff(failures, self._rng)
                logger.debug("watch closed immediately", extra=self._log_extra)
            except ExpiredError as exc:
                # The RV fell out of the server's history: only a fresh list can resync us. The
                # first relist is immediate; a server that keeps answering 410 gets backoff.
                if self._events_seen > events_before:
                    failures = expirations = 0
                expirations += 1
                self._resource_version = None
                delay = 0.0 if expirations == 1 else self._settings.backoff(expirations, self._rng)
                logger.info("relisting after %s", exc, extra=self._log_extra)
            except KubeError as exc:
                failures = 1 if self._events_seen > events_before else failures + 1
                delay = self._settings.backoff(failures, self._rng)
                level = logging.WARNING if failures == 1 else logging.DEBUG
                logger.log(
                    level,
                    "list/watch failed (%s); retrying in %.1fs",
                    exc,
                    delay,
                    extra={**self._log_extra, "failures": failures},
                )
            if delay > 0:
                await self._clock.sleep(delay)

    async def _list(self) -> None:
        items: list[Object] = []
        continue_token: str | None = None
        while True:
            page = await self.api.list(
                self.resource,
                namespace=self.namespace,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                limit=self._settings.page_size,
                continue_token=continue_token,
                request_timeout=self._settings.request_timeout,
            )
            items.extend(self._typed(item) for item in page.get("items") or [])
            metadata = page.get("metadata") or {}
            continue_token = metadata.get("continue") or None
            if continue_token is None:
                break
        self._resource_version = str(metadata.get("resourceVersion") or "") or None
        changes = self.cache.replace(items)
        self._synced.set()
        logger.debug(
            "listed %d objects at rv %s", len(items), self._resource_version, extra=self._log_extra
        )
        for obj in changes.deleted:
            self._dispatch_delete(obj)
        for obj in changes.added:
            self._dispatch_add(obj)
        for old, new in changes.updated:
            self._dispatch_update(old, new)

    async def _watch(self) -> None:
        """Watch from the current RV until the stream ends or goes quiet."""
        stream = self.api.watch(
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            resource_version=self._resource_version,
            timeout_seconds=self._settings.watch_timeout(self._rng),
            allow_bookmarks=True,
        )
        async with aclosing(stream):
            while True:
                try:
                    async with self._clock.timeout(self._settings.inactivity_timeout):
                        event = await anext(stream)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    logger.debug("watch went quiet; re-watching", extra=self._log_extra)
                    return
                self._events_seen += 1
                self._apply(event)

    def _apply(self, event: WatchEvent) -> None:
        obj = event.object
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if event.type is EventType.BOOKMARK:
            if version:
                self._resource_version = str(version)
            return
        obj = self._typed(obj)
        if event.type is EventType.DELETED:
            self.cache.remove(key_of(obj))
            self._dispatch_delete(obj)
        else:
            old = self.cache.upsert(obj)
            if old is None:
                self._dispatch_add(obj)
            else:
                self._dispatch_update(old, obj)
        if version:
            self._resource_version = str(version)

    def _typed(self, obj: Object) -> Object:
        # Lists of built-in kinds omit kind/apiVersion on items; handlers and the event recorder
        # need them, so fill them in once here.
        if not (obj.get("kind") and obj.get("apiVersion")):
            obj = {"apiVersion": self.resource.api_version, "kind": self.resource.kind, **obj}
        metadata = obj.get("metadata")
        if not self._settings.keep_managed_fields and metadata and "managedFields" in metadata:
            obj = {**obj, "metadata": {k: v for k, v in metadata.items() if k != "managedFields"}}
        return obj

    def _dispatch_add(self, obj: Object) -> None:
        for handler in list(self._handlers):
            if handler.on_add is not None:
                self._call(handler.on_add, obj)

    def _dispatch_update(self, old: Object, new: Object) -> None:
        for handler in list(self._handlers):
            if handler.on_update is not None:
                self._call(handler.on_update, old, new)

    def _dispatch_delete(self, obj: Object) -> None:
        for handler in list(self._handlers):
            if handler.on_delete is not None:
                self._call(handler.on_delete, obj)

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("informer handler failed", extra=self._log_extra)
