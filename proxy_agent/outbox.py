"""An ordered, bounded outbound packet queue for one gRPC stream.

Appends are synchronous, so packets keep the order in which the protocol machine produced
them even when several sockets produce; a socket that finds the queue `full` pauses its
reading and asks to be called back once the writer took the queue (`call_when_room`), so a
slow stream pushes back on the sockets feeding it instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable

from protos._gen.client_pb2 import Packet


class Outbox:
    def __init__(self, high_water: int = 64) -> None:
        self._packets: deque[Packet] = deque()
        self._high_water = high_water
        self._readable = asyncio.Event()
        self._room_waiters: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._packets)

    @property
    def full(self) -> bool:
        return len(self._packets) >= self._high_water

    def push(self, packets: Iterable[Packet]) -> None:
        self._packets.extend(packets)
        if self._packets:
            self._readable.set()

    def call_when_room(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the writer has taken the queue."""
        self._room_waiters.append(callback)

    async def take(self, settle: int = 0) -> list[Packet]:
        """Everything queued (at least one packet), waiting until there is some. `settle`:
        event-loop iterations to let pass first, so packets other sockets are about to queue
        join (see `batching.SETTLE_ITERATIONS`)."""
        await self._readable.wait()
        for _ in range(settle):
            await asyncio.sleep(0)
        batch = list(self._packets)
        self._packets.clear()
        self._readable.clear()
        waiters, self._room_waiters = self._room_waiters, []
        for waiter in waiters:
            waiter()
        return batch
