"""The event feed the in-server controllers share: committed changes, resynced on overflow."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ocm_core.apiserver.storage import StoredEvent
from ocm_core.apiserver.watch import ALL_RESOURCES, EventFilter, WatchHub


async def batches(
    hub: WatchHub, resource: str = ALL_RESOURCES, accept: EventFilter | None = None
) -> AsyncIterator[list[StoredEvent] | None]:
    """Yield lists of pending events of ``resource`` that ``accept`` takes (every one when it
    is None); ``None`` means "state was missed, resync everything".

    Starts with ``None`` so the consumer builds its initial view from storage.
    """
    while True:
        watcher = hub.watch(resource, since=hub.last_resource_version, accept=accept)
        yield None
        while True:
            event = await watcher.next(None)
            if event is None:
                break
            yield [event, *watcher.take_pending()]
        if not watcher.overflowed:
            return
