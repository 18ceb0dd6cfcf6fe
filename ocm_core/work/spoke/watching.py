"""`AppliedObjectWatcher`: watch the objects works applied, so status follows the spoke.

The work controller tells it, after every reconcile, which spoke objects a work covers
(`track`). The first time a resource type is tracked an informer for it is started; any change
of a tracked object enqueues the works that cover it. Feedback and availability then update as
soon as the spoke changes, and the periodic status resync is only a safety net.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ocm_core.api.gvr import Resource
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.informer import EventHandler, Informer, InformerSettings

logger = logging.getLogger(__name__)

Target = tuple[Resource, str | None, str]
"""(resource, namespace or None, name) of one spoke object."""
_TypeKey = tuple[str, str]  # (group, plural): one informer per resource type
_ObjectKey = tuple[str, str, str, str]  # (group, plural, namespace, name)


def _type_key(resource: Resource) -> _TypeKey:
    return (resource.group, resource.plural)


class AppliedObjectWatcher:
    """Maps spoke object changes to the keys of the works covering them."""

    def __init__(
        self,
        spoke: KubeApi,
        enqueue: Callable[[str], None],
        *,
        clock: Clock | None = None,
        settings: InformerSettings | None = None,
    ) -> None:
        self._spoke = spoke
        self._enqueue = enqueue
        self._clock = clock
        self._settings = settings
        self._works_by_object: dict[_ObjectKey, set[str]] = defaultdict(set)
        self._objects_by_work: dict[str, set[_ObjectKey]] = {}
        self._informers: dict[_TypeKey, Informer] = {}
        self._to_start: asyncio.Queue[Informer] = asyncio.Queue()

    @property
    def watched_types(self) -> list[str]:
        return [f"{plural}.{group}" if group else plural for group, plural in self._informers]

    def track(self, work_key: str, targets: Iterable[Target]) -> None:
        """``work_key`` now covers exactly ``targets``."""
        wanted: set[_ObjectKey] = set()
        for resource, namespace, name in targets:
            wanted.add((resource.group, resource.plural, namespace or "", name))
            self._ensure_informer(resource)
        self._untrack(work_key, self._objects_by_work.get(work_key, set()) - wanted)
        for key in wanted:
            self._works_by_object[key].add(work_key)
        self._objects_by_work[work_key] = wanted

    def forget(self, work_key: str) -> None:
        self._untrack(work_key, self._objects_by_work.pop(work_key, set()))

    def _untrack(self, work_key: str, keys: Iterable[_ObjectKey]) -> None:
        for key in keys:
            works = self._works_by_object.get(key)
            if works is not None:
                works.discard(work_key)
                if not works:
                    del self._works_by_object[key]

    def _ensure_informer(self, resource: Resource) -> None:
        type_key = _type_key(resource)
        if type_key in self._informers:
            return
        informer = Informer(self._spoke, resource, clock=self._clock, settings=self._settings)
        handler = EventHandler(
            on_add=lambda obj: self._changed(type_key, obj),
            on_update=lambda _old, new: self._changed(type_key, new),
            on_delete=lambda obj: self._changed(type_key, obj),
        )
        informer.add_handler(handler)
        self._informers[type_key] = informer
        self._to_start.put_nowait(informer)

    def _changed(self, type_key: _TypeKey, obj: Mapping[str, Any]) -> None:
        metadata = obj.get("metadata") or {}
        key = (*type_key, str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
        for work_key in sorted(self._works_by_object.get(key, ())):
            self._enqueue(work_key)

    async def run(self) -> None:
        """Run the informers (started as resource types are first tracked) until cancelled."""
        async with asyncio.TaskGroup() as group:
            while True:
                informer = await self._to_start.get()
                logger.debug("watching applied %s", informer.resource)
                group.create_task(informer.run(), name=f"applied-{informer.resource}")
