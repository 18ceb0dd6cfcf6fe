"""`EventRecorder`: posts core/v1 Events about objects, aggregating repeats.

The first occurrence of ``(object, type, reason, message)`` creates an Event; repeats PATCH its
``count`` and ``lastTimestamp`` instead of creating new ones (client-go's event correlator, in
small). Recording is best effort: a failure is logged at DEBUG and never reaches the caller,
because an Event must not be the reason a reconcile fails.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.api import gvr
from ocm_core.kube.errors import KubeError, NotFoundError
from ocm_core.kube.protocol import KubeApi, PatchType
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.patching import format_time

logger = logging.getLogger(__name__)

NORMAL: Final = "Normal"
WARNING: Final = "Warning"
CLUSTER_SCOPED_EVENT_NAMESPACE: Final = "default"
"""Where Events about cluster-scoped objects go (as client-go does)."""


@dataclass(slots=True)
class _Seen:
    namespace: str
    name: str
    count: int


class EventRecorder:
    """Records Events as ``component`` (and ``instance``, e.g. the pod or host name)."""

    def __init__(
        self,
        api: KubeApi,
        *,
        component: str,
        instance: str = "",
        clock: Clock | None = None,
        remembered: int = 4096,
    ) -> None:
        self._api = api
        self._component = component
        self._instance = instance
        self._clock = clock or RealClock()
        self._remembered = remembered
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()
        self._last_suffix = 0

    async def normal(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        await self.record(obj, type=NORMAL, reason=reason, message=message)

    async def warning(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        await self.record(obj, type=WARNING, reason=reason, message=message)

    async def record(
        self,
        obj: Mapping[str, Any],
        *,
        type: str,  # shadows the builtin on purpose: it is the Event field name
        reason: str,
        message: str,
        action: str | None = None,
    ) -> None:
        """Post (or bump) the Event; never raises `KubeError`."""
        involved = _involved_object(obj)
        key = (
            involved.get("uid") or "",
            involved["kind"],
            involved.get("namespace") or "",
            involved["name"],
            type,
            reason,
            message,
        )
        now = format_time(self._clock.wall())
        try:
            seen = self._seen.get(key)
            if seen is not None and await self._bump(seen, now):
                self._seen.move_to_end(key)
                return
            self._remember(key, await self._create(involved, type, reason, message, action, now))
        except KubeError as exc:
            logger.debug(
                "could not record event %s on %s/%s: %s",
                reason,
                involved["kind"],
                involved["name"],
                exc,
            )

    async def _bump(self, seen: _Seen, now: str) -> bool:
        try:
            await self._api.patch(
                gvr.EVENTS,
                seen.name,
                {"count": seen.count + 1, "lastTimestamp": now},
                namespace=seen.namespace,
                patch_type=PatchType.MERGE,
            )
        except NotFoundError:
            return False  # the Event expired on the server; start a new one
        seen.count += 1
        return True

    async def _create(
        self,
        involved: dict[str, Any],
        type: str,  # shadows the builtin on purpose: it is the Event field name
        reason: str,
        message: str,
        action: str | None,
        now: str,
    ) -> _Seen:
        namespace = involved.get("namespace") or CLUSTER_SCOPED_EVENT_NAMESPACE
        # client-go's naming: the object's name plus a hex suffix from the clock, bumped when
        # two Events fall on the same instant (a fake clock, or a coarse system clock).
        self._last_suffix = max(int(self._clock.wall().timestamp() * 1e9), self._last_suffix + 1)
        suffix = format(self._last_suffix, "x")
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{involved['name']}.{suffix}", "namespace": namespace},
            "involvedObject": involved,
            "type": type,
            "reason": reason,
            "message": message,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": self._component, "host": self._instance},
            "reportingComponent": self._component,
            "reportingInstance": self._instance,
        }
        if action:
            body["action"] = action
        created = await self._api.create(gvr.EVENTS, body, namespace=namespace)
        name = str((created.get("metadata") or {}).get("name") or body["metadata"]["name"])
        return _Seen(namespace, name, 1)

    def _remember(self, key: tuple[str, ...], seen: _Seen) -> None:
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > self._remembered:
            self._seen.popitem(last=False)


def _involved_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata") or {}
    involved = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": metadata.get("name", ""),
        "namespace": metadata.get("namespace"),
        "uid": metadata.get("uid"),
        "resourceVersion": metadata.get("resourceVersion"),
    }
    return {k: v for k, v in involved.items() if v is not None}
