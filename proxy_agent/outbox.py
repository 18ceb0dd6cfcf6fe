"""An ordered, bounded-by-waiting outbound packet queue for one gRPC stream.

Appends are synchronous, so packets keep the order in which the protocol machine produced
them even when several tasks produce; producers then `await wait_room()` so a slow stream
pushes back on the sockets feeding it instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from protos._gen.client_pb2 import Packet


class Outbox:
    def __init__(self, high_water: int = 64) -> None:
        self._packets: deque[Packet] = deque()
        self._high_water = high_water
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def __len__(self) -> int:
        return len(self._packets)

    def push(self, packets: Iterable[Packet]) -> None:
        self._packets.extend(packets)
        if self._packets:
            self._readable.set()
            if len(self._packets) >= self._high_water:
                self._room.clear()

    async def wait_room(self) -> None:
        await self._room.wait()

    async def take(self, settle: int = 0) -> list[Packet]:
        """Everything queued (at least one packet), waiting until there is some. `settle`:
        event-loop iterations to let pass first, so packets other tasks are about to queue
        join (see `batching.SETTLE_ITERATIONS`)."""
        await self._readable.wait()
        for _ in range(settle):
            await asyncio.sleep(0)
        batch = list(self._packets)
        self._packets.clear()
        self._readable.clear()
        self._room.set()
        return batch
