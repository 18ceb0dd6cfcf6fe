"""WatchHub: fans committed storage events out to watchers, with a bounded history for resume.

Fed only by the storage listener, so events arrive in resourceVersion order. A watch starting
at RV ``n`` first replays retained events after ``n`` and then receives live ones; registering
happens in the same synchronous step as the replay, so nothing falls in between. Asking for an
``n`` older than the retained history raises ``ExpiredError`` (the handler answers 410). After a
restart :meth:`WatchHub.prime` reloads the history from the storage event log, so clients
resume across restarts without loss or duplicates.

A watcher that falls more than ``max_pending`` events behind is closed (kube does the same);
its client re-watches from the last RV it saw.

Watchers whose field selector pins ``metadata.name`` (each cluster agent watching its own
ManagedCluster, say) are filed under that name too, so an event is offered only to them and to
the unnamed watchers, not to a thousand agents' watches that would each turn it down.

An in-server watcher may pass ``accept``, a test run at publish time: events it refuses never
queue, so a controller is not woken by writes it has no interest in (the namespace controller
by every ConfigMap create, say).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from ocm_core.apiserver.selectors import EVERYTHING, ObjectSelector
from ocm_core.apiserver.storage import EventType, ExpiredError, Storage, StoredEvent

DEFAULT_HISTORY: Final = 10_000
#: Watchers registered under this key hear every resource (the in-server controllers).
ALL_RESOURCES: Final = "*"
DEFAULT_MAX_PENDING: Final = 10_000
NAME_FIELD: Final = "metadata.name"

_WatcherKey = tuple[str, str | None]
"""(resource, the name the watcher's field selector pins or None)."""

EventFilter = Callable[[StoredEvent], bool]


class Watcher:
    """One subscriber. Iterate with :meth:`next`; always :meth:`close` when done."""

    def __init__(
        self,
        hub: WatchHub,
        resource: str,
        namespace: str | None,
        selector: ObjectSelector,
        max_pending: int,
        accept: EventFilter | None = None,
    ) -> None:
        self.resource = resource
        pinned = selector.fields.exact(NAME_FIELD) if resource != ALL_RESOURCES else None
        self.key: _WatcherKey = (resource, pinned)
        self._hub = hub
        self._namespace = namespace
        self._selector = selector
        self._accept = accept
        self._pending: deque[StoredEvent] = deque()
        self._wakeup = asyncio.Event()
        self._max_pending = max_pending
        self.overflowed = False
        self.closed = False

    def translate(self, event: StoredEvent) -> StoredEvent | None:
        """The event as this watcher sees it, or None when it is filtered out.

        With a selector, an object that starts matching arrives as ADDED and one that stops
        matching as DELETED (kube semantics informers rely on).
        """
        if self._namespace is not None and event.namespace != self._namespace:
            return None
        if self._accept is not None and not self._accept(event):
            return None
        now = self._selector.matches(event.object)
        if event.type is EventType.MODIFIED and event.previous is not None:
            before = self._selector.matches(event.previous)
            if now and not before:
                return replace(event, type=EventType.ADDED)
            if before and not now:
                return replace(event, type=EventType.DELETED)
        return event if now else None

    def offer(self, event: StoredEvent) -> None:
        if self.closed:
            return
        seen = self.translate(event)
        if seen is None:
            return
        if len(self._pending) >= self._max_pending:
            self.overflowed = True
            self.close()
            return
        self._pending.append(seen)
        self._wakeup.set()

    @property
    def idle(self) -> bool:
        """True when every event published so far has been taken by the consumer."""
        return not self._pending

    async def next(self, max_wait: float | None) -> StoredEvent | None:
        """The next event, or None on timeout or when the watcher was closed."""
        while not self._pending:
            if self.closed:
                return None
            self._wakeup.clear()
            if max_wait is None:
                await self._wakeup.wait()
                continue
            try:
                async with asyncio.timeout(max_wait):
                    await self._wakeup.wait()
            except TimeoutError:
                return None
        return self._pending.popleft()

    def take_pending(self) -> list[StoredEvent]:
        """Every event queued so far, without waiting."""
        taken = list(self._pending)
        self._pending.clear()
        return taken

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._hub.unsubscribe(self)
            self._wakeup.set()


class WatchHub:
    def __init__(
        self, *, history: int = DEFAULT_HISTORY, max_pending: int = DEFAULT_MAX_PENDING
    ) -> None:
        self._history: deque[StoredEvent] = deque()
        self._history_size = history
        self._max_pending = max_pending
        #: Every event with an RV above this is in ``_history``.
        self._floor = 0
        self.last_resource_version = 0
        self._watchers: dict[_WatcherKey, set[Watcher]] = {}
        self._listeners: list[Callable[[StoredEvent], None]] = []

    async def prime(self, storage: Storage) -> None:
        """Load retained history from storage and start listening to its commits."""
        self._floor = storage.compacted_resource_version()
        self.last_resource_version = storage.current_resource_version()
        for event in await storage.events_since(self._floor):
            self._remember(event)
        storage.add_listener(self.publish)

    def add_listener(self, listener: Callable[[StoredEvent], None]) -> None:
        """Call ``listener`` synchronously with every published event (in-server caches that
        must be current as soon as a write returns, such as the RBAC cache)."""
        self._listeners.append(listener)

    def _remember(self, event: StoredEvent) -> None:
        self._history.append(event)
        while len(self._history) > self._history_size:
            self._floor = self._history.popleft().resource_version

    def publish(self, event: StoredEvent) -> None:
        self._remember(event)
        self.last_resource_version = event.resource_version
        for listener in self._listeners:
            listener(event)
        for key in ((event.resource, None), (event.resource, event.name), (ALL_RESOURCES, None)):
            for watcher in list(self._watchers.get(key, ())):
                watcher.offer(event)

    def watch(
        self,
        resource: str,
        *,
        since: int,
        namespace: str | None = None,
        selector: ObjectSelector = EVERYTHING,
        accept: EventFilter | None = None,
    ) -> Watcher:
        """Events of ``resource`` (or ALL_RESOURCES) after RV ``since``; ExpiredError if too old."""
        if since < self._floor:
            raise ExpiredError(f"too old resource version: {since} ({self._floor})")
        watcher = Watcher(self, resource, namespace, selector, self._max_pending, accept)
        # Walk back from the newest event: most watches start near the head of history.
        newer: list[StoredEvent] = []
        for event in reversed(self._history):
            if event.resource_version <= since:
                break
            newer.append(event)
        for event in reversed(newer):
            if resource in (event.resource, ALL_RESOURCES):
                watcher.offer(event)
        self._watchers.setdefault(watcher.key, set()).add(watcher)
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        with contextlib.suppress(KeyError):
            self._watchers[watcher.key].remove(watcher)

    def close_all(self) -> None:
        for watchers in list(self._watchers.values()):
            for watcher in list(watchers):
                watcher.close()

    @property
    def watcher_count(self) -> int:
        return sum(len(w) for w in self._watchers.values())
