"""An in-memory `KubeApi` for unit tests: objects, resourceVersions, watches, and fault hooks.

It implements the same protocol as `ocm_core.kube.ApiClient`, so the runtime under test cannot
tell the difference. What it models: one global RV counter; a bounded event history (compacting
it makes older RVs answer 410 Expired, like a real server); watches from an RV (history replay +
live events) or from nothing (synthetic ADDED); finalizers and deletionTimestamp; the status
subresource; JSON merge patches with a resourceVersion precondition; paged lists.

Fault hooks: `fail_next` (the next call of a verb raises), `expire_watches` (active watches get a
410 ERROR), `end_watches` (streams end as at timeoutSeconds), `break_watches` (streams fail).
Every call is recorded in `calls` for action assertions.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import (
    Body,
    EventType,
    Object,
    PatchType,
    Preconditions,
    WatchEvent,
    object_name,
    object_namespace,
)

_END = object()


@dataclass
class Call:
    verb: str
    resource: Resource
    namespace: str | None = None
    name: str | None = None
    body: Any = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Watcher:
    resource: Resource
    namespace: str | None
    labels: dict[str, str]
    queue: asyncio.Queue[object]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_labels(selector: str | None) -> dict[str, str]:
    """Equality-only label selectors (``a=b,c=d``) are all the fake supports."""
    if not selector:
        return {}
    pairs = (part.split("=", 1) for part in selector.split(","))
    return {key.strip(): value.strip() for key, value in pairs}


class FakeKubeApi:
    """See the module docstring."""

    def __init__(self) -> None:
        self.objects: dict[tuple[Resource, str | None, str], Object] = {}
        self.calls: list[Call] = []
        self._rv = itertools.count(1)
        self._current_rv = 0
        self._history: list[tuple[int, Resource, WatchEvent]] = []
        self._compacted_rv = 0
        self._watchers: list[_Watcher] = []
        self._failures: dict[str, list[BaseException]] = {}
        self._uids = itertools.count(1)

    # -- test controls ------------------------------------------------------------------------

    def fail_next(self, verb: str, error: BaseException, *, times: int = 1) -> None:
        self._failures.setdefault(verb, []).extend([error] * times)

    def compact(self) -> None:
        """Forget the event history: watches from any RV seen so far now get 410."""
        self._history.clear()
        self._compacted_rv = self._current_rv

    def expire_watches(self) -> None:
        """Send every active watch a 410 ERROR (and compact, as a real server would have)."""
        self.compact()
        self._broadcast_all(errors.ExpiredError(410, "Expired", "too old resource version"))

    def end_watches(self) -> None:
        self._broadcast_all(_END)

    def break_watches(self, error: BaseException | None = None) -> None:
        self._broadcast_all(error or errors.KubeConnectionError("connection reset"))

    @property
    def active_watches(self) -> int:
        return len(self._watchers)

    def verbs(self, resource: Resource | None = None) -> list[str]:
        return [c.verb for c in self.calls if resource is None or c.resource == resource]

    def seed(self, resource: Resource, body: Object) -> Object:
        """Store an object directly (as if created before the test), emitting ADDED."""
        return self._store(resource, body, create=True)

    # -- KubeApi ------------------------------------------------------------------------------

    async def get(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        self._record("get", resource, namespace, name)
        return copy.deepcopy(self._existing(resource, namespace, name))

    async def list(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        self._record(
            "list", resource, namespace, options={"limit": limit, "continue": continue_token}
        )
        labels = parse_labels(label_selector)
        ordered = sorted(self.objects.items(), key=lambda kv: (kv[0][1] or "", kv[0][2]))
        matching = [
            obj
            for (res, _, _), obj in ordered
            if res == resource and self._matches(obj, namespace, labels)
        ]
        start = int(continue_token or 0)
        end = len(matching) if limit is None else start + limit
        metadata: Object = {"resourceVersion": str(self._current_rv)}
        if end < len(matching):
            metadata["continue"] = str(end)
        page = [copy.deepcopy(obj) for obj in matching[start:end]]
        return {"kind": f"{resource.kind}List", "metadata": metadata, "items": page}

    async def watch(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = True,
    ) -> AsyncGenerator[WatchEvent, None]:
        self._record("watch", resource, namespace, options={"resource_version": resource_version})
        labels = parse_labels(label_selector)
        watcher = _Watcher(resource, namespace, labels, asyncio.Queue())
        self._watchers.append(watcher)
        try:
            if not resource_version or resource_version == "0":
                replay = [
                    WatchEvent(EventType.ADDED, copy.deepcopy(obj))
                    for (res, _, _), obj in self.objects.items()
                    if res == resource and self._matches(obj, namespace, labels)
                ]
                last = self._current_rv
            else:
                since = int(resource_version)
                if since < self._compacted_rv:
                    raise errors.ExpiredError(410, "Expired", f"too old resource version: {since}")
                replay = [
                    event
                    for rv, res, event in self._history
                    if rv > since
                    and res == resource
                    and self._matches(event.object, namespace, labels)
                ]
                last = self._current_rv
            for event in replay:
                yield event
            while True:
                item = await watcher.queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, tuple)
                rv, event = item
                if rv > last:
                    yield event
        finally:
            self._watchers.remove(watcher)

    async def create(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        namespace = namespace or object_namespace(body)
        self._record("create", resource, namespace, (body.get("metadata") or {}).get("name"), body)
        body = copy.deepcopy(body)
        if namespace and resource.namespaced:
            body.setdefault("metadata", {})["namespace"] = namespace
        return copy.deepcopy(self._store(resource, body, create=True))

    async def replace(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        namespace = namespace or object_namespace(body)
        name = object_name(body)
        self._record(
            "replace", resource, namespace, name, body, options={"subresource": subresource}
        )
        current = self._existing(resource, namespace, name)
        self._check_rv(current, (body.get("metadata") or {}).get("resourceVersion"))
        new = copy.deepcopy(body)
        if subresource == "status":
            new = {**current, "status": new.get("status")}
        else:
            new["status"] = current.get("status")
        return copy.deepcopy(self._update(resource, current, new))

    async def patch(
        self,
        resource: Resource,
        name: str,
        body: Body,
        *,
        namespace: str | None = None,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        self._record(
            "patch",
            resource,
            namespace,
            name,
            body,
            options={"subresource": subresource, "patch_type": patch_type},
        )
        if patch_type not in (PatchType.MERGE, PatchType.APPLY) or not isinstance(body, dict):
            raise errors.UnsupportedMediaTypeError(415, "UnsupportedMediaType", str(patch_type))
        current = self._existing(resource, namespace, name)
        self._check_rv(current, (body.get("metadata") or {}).get("resourceVersion"))
        patched = merge_patch(current, body)
        if subresource == "status":
            new = {**current, "status": patched.get("status")}
        else:
            new = {**patched, "status": current.get("status")}
        return copy.deepcopy(self._update(resource, current, new))

    async def delete(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: str | None = None,
        preconditions: Preconditions | None = None,
        grace_period_seconds: int | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        self._record("delete", resource, namespace, name)
        current = self._existing(resource, namespace, name)
        if preconditions is not None:
            if preconditions.uid and preconditions.uid != current["metadata"]["uid"]:
                raise errors.ConflictError(409, "Conflict", "uid precondition failed")
            self._check_rv(current, preconditions.resource_version)
        if current["metadata"].get("finalizers"):
            new = copy.deepcopy(current)
            new["metadata"].setdefault("deletionTimestamp", "2026-01-01T00:00:00Z")
            return copy.deepcopy(self._update(resource, current, new))
        self._remove(resource, current)
        return copy.deepcopy(current)

    # -- storage ------------------------------------------------------------------------------

    def _record(
        self,
        verb: str,
        resource: Resource,
        namespace: str | None,
        name: str | None = None,
        body: Any = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.calls.append(Call(verb, resource, namespace, name, copy.deepcopy(body), options or {}))
        pending = self._failures.get(verb)
        if pending:
            raise pending.pop(0)

    def _key(self, resource: Resource, body: Mapping[str, Any]) -> tuple[Resource, str | None, str]:
        namespace = object_namespace(body) if resource.namespaced else None
        return (resource, namespace, object_name(body))

    def _existing(self, resource: Resource, namespace: str | None, name: str) -> Object:
        obj = self.objects.get((resource, namespace if resource.namespaced else None, name))
        if obj is None:
            raise errors.NotFoundError(404, "NotFound", f'{resource} "{name}" not found')
        return obj

    @staticmethod
    def _check_rv(current: Object, expected: object) -> None:
        if expected is not None and str(expected) != current["metadata"]["resourceVersion"]:
            raise errors.ConflictError(
                409, "Conflict", "the object has been modified; please apply your changes"
            )

    @staticmethod
    def _matches(obj: Object, namespace: str | None, labels: dict[str, str]) -> bool:
        metadata = obj.get("metadata") or {}
        if namespace and metadata.get("namespace") != namespace:
            return False
        have = metadata.get("labels") or {}
        return all(have.get(k) == v for k, v in labels.items())

    def _next_rv(self) -> str:
        self._current_rv = next(self._rv)
        return str(self._current_rv)

    def _store(self, resource: Resource, body: Object, *, create: bool) -> Object:
        body = copy.deepcopy(body)
        metadata = body.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = f"{metadata['generateName']}{next(self._uids):05d}"
        key = self._key(resource, body)
        if create and key in self.objects:
            raise errors.AlreadyExistsError(
                409, "AlreadyExists", f'{resource} "{key[2]}" already exists'
            )
        body.setdefault("apiVersion", resource.api_version)
        body.setdefault("kind", resource.kind)
        metadata.setdefault("uid", f"uid-{next(self._uids)}")
        metadata.setdefault("generation", 1)
        metadata.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        metadata["resourceVersion"] = self._next_rv()
        self.objects[key] = body
        self._emit(resource, EventType.ADDED, body)
        return body

    def _update(self, resource: Resource, current: Object, new: Object) -> Object:
        new = copy.deepcopy(new)
        if {k: v for k, v in new.items() if k not in ("metadata", "status")} != {
            k: v for k, v in current.items() if k not in ("metadata", "status")
        }:
            new["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        if new == current:
            return current  # a no-op write keeps the RV, as a real server does
        new["metadata"]["resourceVersion"] = self._next_rv()
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self._remove(resource, new)
            return new
        self.objects[self._key(resource, new)] = new
        self._emit(resource, EventType.MODIFIED, new)
        return new

    def _remove(self, resource: Resource, obj: Object) -> None:
        del self.objects[self._key(resource, obj)]
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._next_rv()
        self._emit(resource, EventType.DELETED, gone)

    def _emit(self, resource: Resource, kind: EventType, obj: Object) -> None:
        rv = self._current_rv
        event = WatchEvent(kind, copy.deepcopy(obj))
        self._history.append((rv, resource, event))
        for watcher in list(self._watchers):
            if watcher.resource == resource and self._matches(
                obj, watcher.namespace, watcher.labels
            ):
                watcher.queue.put_nowait((rv, WatchEvent(kind, copy.deepcopy(obj))))

    def _broadcast_all(self, item: object) -> None:
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(item)


async def eventually(predicate: Callable[[], bool], *, within: float = 5.0) -> None:
    """Poll ``predicate`` (letting the loop run) until it holds; fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.001)
