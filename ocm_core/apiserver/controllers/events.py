"""The event feed the in-server controllers share: every committed change, resynced on overflow."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ocm_core.apiserver.storage import StoredEvent
from ocm_core.apiserver.watch import ALL_RESOURCES, WatchHub


async def batches(hub: WatchHub) -> AsyncIterator[list[StoredEvent] | None]:
    """Yield lists of pending events; ``None`` means "state was missed, resync everything".

    Starts with ``None`` so the consumer builds its initial view from storage.
    """
    while True:
        watcher = hub.watch(ALL_RESOURCES, since=hub.last_resource_version)
        yield None
        while True:
            event = await watcher.next(None)
            if event is None:
                break
            batch = [event]
            while (more := await watcher.next(0)) is not None:
                batch.append(more)
            yield batch
        if not watcher.overflowed:
            return
