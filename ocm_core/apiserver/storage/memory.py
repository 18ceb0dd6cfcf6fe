"""In-memory storage: dicts, one RV counter, a bounded event log (tests, ``--storage memory``).

Objects handed out are deep copies, so callers may mutate them freely.
"""

from __future__ import annotations

import builtins
import copy
from collections import deque

from ocm_core.apiserver.selectors import EVERYTHING, ObjectSelector
from ocm_core.apiserver.storage.base import (
    DEFAULT_EVENT_WINDOW,
    ContinueToken,
    EventType,
    Listener,
    ListResult,
    Object,
    Removal,
    StoredEvent,
    UpdateFn,
    key_of,
    resource_version_of,
    same_content,
)
from ocm_core.apiserver.storage.errors import (
    AlreadyExistsError,
    ConflictError,
    ExpiredError,
    NotFoundError,
)


class MemoryStorage:
    def __init__(self, *, event_window: int = DEFAULT_EVENT_WINDOW) -> None:
        self._objects: dict[str, dict[tuple[str, str], Object]] = {}
        self._rv = 0
        self._compacted = 0
        self._events: deque[StoredEvent] = deque()
        self._window = event_window
        self._listeners: list[Listener] = []

    # --- reads ------------------------------------------------------------------------------

    async def get(self, resource: str, namespace: str, name: str) -> Object:
        try:
            return copy.deepcopy(self._objects[resource][(namespace, name)])
        except KeyError:
            raise NotFoundError(f"{resource} {namespace}/{name}") from None

    async def list(
        self,
        resource: str,
        *,
        namespace: str | None = None,
        selector: ObjectSelector = EVERYTHING,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        start: tuple[str, str] | None = None
        list_rv = self._rv
        if continue_token:
            token = ContinueToken.decode(continue_token)
            if token.resource_version < self._compacted:
                raise ExpiredError("the continue token has expired")
            start, list_rv = (token.namespace, token.name), token.resource_version
        bucket = self._objects.get(resource, {})
        keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
        if start is not None:
            keys = [k for k in keys if k > start]
        items: list[Object] = []
        for position, key in enumerate(keys):
            obj = bucket[key]
            if not selector.matches(obj):
                continue
            items.append(copy.deepcopy(obj))
            if limit and len(items) == limit:
                rest = keys[position + 1 :]
                if not rest:
                    break
                next_token = ContinueToken(list_rv, *key).encode()
                remaining = len(rest) if selector == EVERYTHING else None
                return ListResult(items, list_rv, next_token, remaining)
        return ListResult(items, list_rv)

    def current_resource_version(self) -> int:
        return self._rv

    def compacted_resource_version(self) -> int:
        return self._compacted

    async def events_since(self, resource_version: int) -> builtins.list[StoredEvent]:
        if resource_version < self._compacted:
            raise ExpiredError(f"too old resource version: {resource_version} ({self._compacted})")
        return [e for e in self._events if e.resource_version > resource_version]

    # --- writes -----------------------------------------------------------------------------

    def _commit(self, event_type: EventType, resource: str, obj: Object) -> StoredEvent:
        self._rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self._rv)
        namespace, name = key_of(obj)
        bucket = self._objects.setdefault(resource, {})
        previous = bucket.get((namespace, name)) if event_type is EventType.MODIFIED else None
        if event_type is EventType.DELETED:
            bucket.pop((namespace, name), None)
        else:
            bucket[(namespace, name)] = obj
        event = StoredEvent(
            event_type, resource, namespace, name, self._rv, copy.deepcopy(obj), previous
        )
        self._events.append(event)
        while len(self._events) > self._window:
            self._compacted = self._events.popleft().resource_version
        for listener in self._listeners:
            listener(event)
        return event

    async def create(self, resource: str, obj: Object) -> Object:
        key = key_of(obj)
        if key in self._objects.get(resource, {}):
            raise AlreadyExistsError(f"{resource} {key[0]}/{key[1]}")
        stored = copy.deepcopy(obj)
        self._commit(EventType.ADDED, resource, stored)
        return copy.deepcopy(stored)

    def _current(self, resource: str, namespace: str, name: str) -> Object:
        try:
            return self._objects[resource][(namespace, name)]
        except KeyError:
            raise NotFoundError(f"{resource} {namespace}/{name}") from None

    async def guaranteed_update(
        self,
        resource: str,
        namespace: str,
        name: str,
        update: UpdateFn,
        *,
        precondition_rv: str | None = None,
    ) -> Object:
        current = self._current(resource, namespace, name)
        if precondition_rv and precondition_rv != resource_version_of(current):
            raise ConflictError(f"{resource} {namespace}/{name}: resourceVersion changed")
        outcome = update(copy.deepcopy(current))
        if isinstance(outcome, Removal):
            final = copy.deepcopy(outcome.final_state)
            self._commit(EventType.DELETED, resource, final)
            return copy.deepcopy(final)
        if same_content(outcome, current):
            return copy.deepcopy(current)
        stored = copy.deepcopy(outcome)
        self._commit(EventType.MODIFIED, resource, stored)
        return copy.deepcopy(stored)

    async def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        precondition_rv: str | None = None,
        precondition_uid: str | None = None,
    ) -> Object:
        current = self._current(resource, namespace, name)
        if precondition_rv and precondition_rv != resource_version_of(current):
            raise ConflictError(f"{resource} {namespace}/{name}: resourceVersion changed")
        if precondition_uid and precondition_uid != current.get("metadata", {}).get("uid"):
            raise ConflictError(f"{resource} {namespace}/{name}: uid changed")
        final = copy.deepcopy(current)
        self._commit(EventType.DELETED, resource, final)
        return copy.deepcopy(final)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def commit_immediately(self, resource: str) -> None:
        """Every write commits at once here already."""

    async def close(self) -> None:
        self._listeners.clear()
