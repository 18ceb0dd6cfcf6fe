"""Owner-reference garbage collection (background, foreground and orphan propagation).

Keeps an index of every object's uid and of who owns whom. A dependent whose owners are all
gone is deleted; an owner being deleted in the foreground (finalizer ``foregroundDeletion``)
has its dependents deleted and loses the finalizer once none remain; ``orphan`` strips the
owner reference from dependents instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict

from ocm_core.apiserver import errors
from ocm_core.apiserver.controllers.events import batches
from ocm_core.apiserver.operations import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    DeleteOptions,
    Operations,
    PatchType,
)
from ocm_core.apiserver.registry import ResourceInfo
from ocm_core.apiserver.storage import EventType, NotFoundError, Object, StoredEvent
from ocm_core.apiserver.watch import WatchHub

logger = logging.getLogger(__name__)

Key = tuple[str, str, str]  # storage key, namespace, name


def _owner_uids(obj: Object) -> set[str]:
    return {r["uid"] for r in obj.get("metadata", {}).get("ownerReferences") or () if r.get("uid")}


def _finalizers(obj: Object) -> list[str]:
    return list(obj.get("metadata", {}).get("finalizers") or [])


class GarbageCollector:
    def __init__(self, operations: Operations, hub: WatchHub) -> None:
        self._ops = operations
        self._hub = hub
        self._keys: dict[str, Key] = {}
        self._dependents: dict[str, set[Key]] = defaultdict(set)

    async def run(self) -> None:
        async for batch in batches(self._hub):
            if batch is None:
                await self._resync()
                continue
            for event in batch:
                try:
                    await self._handle(event)
                except errors.ApiError as exc:
                    logger.info(
                        "garbage collection step failed",
                        extra={"object": event.name, "error": str(exc)},
                    )

    async def _resync(self) -> None:
        self._keys.clear()
        self._dependents.clear()
        objects: list[tuple[Key, Object]] = []
        for storage_key in {i.storage_key for i in self._ops.registry.all()}:
            for obj in (await self._ops.storage.list(storage_key)).items:
                meta = obj["metadata"]
                objects.append(((storage_key, meta.get("namespace", ""), meta["name"]), obj))
        for key, obj in objects:
            self._index(key, obj)
        for key, obj in objects:
            await self._process(key, obj)

    def _index(self, key: Key, obj: Object) -> None:
        uid = obj.get("metadata", {}).get("uid")
        if uid:
            self._keys[uid] = key
        for owner in _owner_uids(obj):
            self._dependents[owner].add(key)

    def _forget(self, key: Key, obj: Object) -> None:
        self._keys.pop(obj.get("metadata", {}).get("uid", ""), None)
        for owner in _owner_uids(obj):
            self._dependents[owner].discard(key)

    async def _handle(self, event: StoredEvent) -> None:
        key = (event.resource, event.namespace, event.name)
        if event.type is EventType.DELETED:
            self._forget(key, event.object)
            uid = event.object.get("metadata", {}).get("uid", "")
            for dependent in list(self._dependents.pop(uid, ())):
                await self._collect_if_orphaned(dependent)
            for owner in _owner_uids(event.object):
                if owner in self._keys:
                    await self._recheck_owner(self._keys[owner])
            return
        self._index(key, event.object)
        await self._process(key, event.object)

    async def _process(self, key: Key, obj: Object) -> None:
        if _owner_uids(obj) and not any(uid in self._keys for uid in _owner_uids(obj)):
            await self._delete(key)
            return
        if obj.get("metadata", {}).get("deletionTimestamp"):
            await self._recheck_owner(key, obj)

    async def _recheck_owner(self, key: Key, obj: Object | None = None) -> None:
        """Drive an owner's foreground/orphan finalizer."""
        if obj is None:
            obj = await self._get(key)
            if obj is None:
                return
        finalizers = _finalizers(obj)
        uid = obj["metadata"].get("uid", "")
        dependents = list(self._dependents.get(uid, ()))
        if ORPHAN_FINALIZER in finalizers:
            for dependent in dependents:
                await self._drop_owner_reference(dependent, uid)
            await self._remove_finalizer(key, obj, ORPHAN_FINALIZER)
        elif FOREGROUND_FINALIZER in finalizers:
            if dependents:
                for dependent in dependents:
                    await self._delete(dependent)
            else:
                await self._remove_finalizer(key, obj, FOREGROUND_FINALIZER)

    async def _collect_if_orphaned(self, key: Key) -> None:
        obj = await self._get(key)
        if obj is not None and not any(uid in self._keys for uid in _owner_uids(obj)):
            await self._delete(key)

    async def _get(self, key: Key) -> Object | None:
        try:
            return await self._ops.storage.get(*key)
        except NotFoundError:
            return None

    def _info(self, key: Key) -> ResourceInfo | None:
        return self._ops.registry.by_storage_key(key[0])

    async def _delete(self, key: Key) -> None:
        info = self._info(key)
        if info is None:
            return
        with contextlib.suppress(errors.ApiError):
            await self._ops.delete(info, key[1], key[2], DeleteOptions())

    async def _remove_finalizer(self, key: Key, obj: Object, finalizer: str) -> None:
        info = self._info(key)
        if info is None:
            return
        remaining = [f for f in _finalizers(obj) if f != finalizer]
        patch = {
            "metadata": {
                "finalizers": remaining or None,
                "resourceVersion": obj["metadata"].get("resourceVersion"),
            }
        }
        await self._ops.patch(info, key[1], key[2], PatchType.MERGE, patch)

    async def _drop_owner_reference(self, key: Key, owner_uid: str) -> None:
        info, obj = self._info(key), await self._get(key)
        if info is None or obj is None:
            return
        refs = [
            r for r in obj["metadata"].get("ownerReferences") or () if r.get("uid") != owner_uid
        ]
        patch = {
            "metadata": {
                "ownerReferences": refs or None,
                "resourceVersion": obj["metadata"]["resourceVersion"],
            }
        }
        await self._ops.patch(info, key[1], key[2], PatchType.MERGE, patch)
        self._dependents[owner_uid].discard(key)
