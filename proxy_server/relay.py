"""The relay: the switchboard plus the outbound queue of every stream it joins.

Transports feed packets in (`from_agent`, `from_frontend`; `feed_agent`, `feed_frontend` return
what to await only when the reader must wait, so the common case makes no coroutine), drain
their `Link` (or attach a sink to it), and report each DATA packet their writer sent
(`agent_wrote`, `frontend_wrote`); the relay carries out the switchboard's `Outgoing`
instructions, runs the dial and stalled-connection timers and keeps the metrics.

Head-of-line rule: pushing onto a link never blocks, and the reader of an agent stream that
negotiated `credit` never waits: each connection's window bounds what it can hold. A frontend's
reader waits only for its own connection. A plain (ANP) agent cannot be paused per connection,
so its reader waits while one of its connections is stalled (ANP's behaviour), but at most
`stalled_timeout` seconds: then that connection is closed with an error, and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Hashable, Set
from dataclasses import dataclass
from typing import Any

from protos._gen.client_pb2 import DialResponse, Packet
from protos.tunnel import (
    EndFrontend,
    Outgoing,
    PauseFrontend,
    ResumeFrontend,
    Stalled,
    Switchboard,
    ToAgent,
    ToFrontend,
    packets,
)
from protos.tunnel.flow import DEFAULT_WINDOW
from protos.tunnel.switchboard import STALLED, FrontendId
from proxy_server.backends import Backend, BackendRegistry
from proxy_server.memory import HeapTrimmer
from proxy_server.metrics import ServerMetrics

logger = logging.getLogger(__name__)

SHUTTING_DOWN = "proxy server is shutting down; retry on another replica"


class Link:
    """Packets bound for one stream; `None` means 'end the stream'.

    Each packet is queued with its DATA payload size, which the queue's byte count and the
    writer's report (`get_batch`) use: reading it back from the packet would copy the
    payload (protobuf's upb backend hands out a new bytes object on every read).

    `push` never blocks. A producer that can pause its own source awaits `wait_room()`, which
    returns while fewer than `high_water` payload bytes are queued. A transport that writes
    without waiting (a socket's protocol) `attach`es a sink instead: packets then go to it as
    they are pushed, with no queue and no task between.

    There is a link per connection and most connections sit idle, so the link keeps no
    `asyncio.Event`s (~0.8 KB each with their waiter deques): its one reader waits on a future
    made for that wait, producers that wait for room share an event made when first needed.
    """

    __slots__ = (
        "_aborted",
        "_high_water",
        "_packets",
        "_readable",
        "_room",
        "_sink",
        "abort_reason",
        "closed",
        "queued_bytes",
    )

    def __init__(self, high_water: int) -> None:
        self._packets: deque[tuple[Packet | None, int]] = deque()
        self._readable: asyncio.Future[None] | None = None
        self._room: asyncio.Event | None = None
        self._aborted: asyncio.Future[None] | None = None
        self._sink: Callable[[Packet | None, int], None] | None = None
        self._high_water = high_water
        self.queued_bytes = 0
        self.closed = False
        #: Set when the stream must end now, dropping what is queued (see `when_aborted`).
        self.abort_reason = ""

    def push(self, packet: Packet | None, size: int | None = None) -> None:
        """Queue `packet`; `size`: its DATA payload bytes when the caller knows them."""
        if self.closed:
            return
        if size is None:
            size = _payload_size(packet)
        if self._sink is not None:
            self._sink(packet, size)
            return
        self._packets.append((packet, size))
        _wake(self._readable)
        self.queued_bytes += size

    def attach(self, sink: Callable[[Packet | None, int], None]) -> None:
        """Hand every packet, with its DATA payload size, to `sink` from now on, starting with
        those queued."""
        while self._packets:
            sink(*self._pop())
        self._sink = sink

    async def get(self) -> Packet | None:
        """The next packet, waiting for one; None once the stream is to end."""
        return (await self._get_sized())[0]

    async def _get_sized(self) -> tuple[Packet | None, int]:
        while not self._packets:
            # A new future per wait: a reader cancelled while waiting cancels its future.
            self._readable = asyncio.get_running_loop().create_future()
            await self._readable
        return self._pop()

    async def get_batch(self, settle: int = 0) -> list[tuple[Packet | None, int]]:
        """Everything queued (at least one packet), each with its DATA payload size (0 for
        other packets), waiting until there is some; lets a writer hand several packets to
        its stream before one drain. `settle`: event-loop iterations to let pass after the
        first packet, so packets other sockets are about to queue join the batch (see
        `batching.SETTLE_ITERATIONS`)."""
        batch = [await self._get_sized()]
        if batch[-1][0] is not None:
            for _ in range(settle):
                await asyncio.sleep(0)
        while self._packets and batch[-1][0] is not None:
            batch.append(self._pop())
        return batch

    def _pop(self) -> tuple[Packet | None, int]:
        entry = self._packets.popleft()
        if entry[1]:
            self.queued_bytes -= entry[1]
            if self.queued_bytes < self._high_water and self._room is not None:
                self._room.set()
        return entry

    @property
    def full(self) -> bool:
        return self.queued_bytes >= self._high_water

    async def wait_room(self) -> None:
        if self.queued_bytes < self._high_water:
            return
        if self._room is None:
            self._room = asyncio.Event()
        self._room.clear()
        await self._room.wait()

    def when_aborted(self) -> asyncio.Future[None]:
        """Done once the link is aborted: wait on it with `asyncio.wait`, no task needed."""
        if self._aborted is None or self._aborted.cancelled():
            self._aborted = asyncio.get_running_loop().create_future()
            if self.abort_reason:
                self._aborted.set_result(None)
        return self._aborted

    def close(self) -> None:
        """Stop accepting packets, drop the queue, end the writer, release waiting producers."""
        self._packets.clear()
        if self._sink is not None and not self.closed:
            self._sink(None, 0)
        else:
            self._packets.append((None, 0))
        _wake(self._readable)
        self.queued_bytes = 0
        if self._room is not None:
            self._room.set()
        self.closed = True

    def abort(self, reason: str) -> None:
        self.close()
        self.abort_reason = reason
        _wake(self._aborted)


def _payload_size(packet: Packet | None) -> int:
    """DATA payload bytes of `packet` (0 for other packets); copies the payload to count it."""
    return len(packet.data.data) if packet is not None and packet.type == packets.DATA else 0


async def _wait_frontend(side: _FrontendSide | None, links: list[Link]) -> None:
    if side is not None:
        await side.wait_resumed()
    for link in links:
        await link.wait_room()


def _wake(waiter: asyncio.Future[None] | None) -> None:
    """Release whoever awaits `waiter` (a wait that was cancelled has nobody to release)."""
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


@dataclass(eq=False, slots=True)
class _FrontendSide:
    link: Link
    #: Cleared while the frontend's reader must wait (its bytes wait for the agent); made
    #: when the frontend is first paused, as most never are.
    resumed: asyncio.Event | None = None

    def pause(self) -> None:
        if self.resumed is None:
            self.resumed = asyncio.Event()
        self.resumed.clear()

    def resume(self) -> None:
        if self.resumed is not None:
            self.resumed.set()

    @property
    def paused(self) -> bool:
        return self.resumed is not None and not self.resumed.is_set()

    async def wait_resumed(self) -> None:
        if self.resumed is not None:
            await self.resumed.wait()


class Relay:
    def __init__(
        self,
        registry: BackendRegistry,
        metrics: ServerMetrics,
        *,
        dial_timeout: float = 0.0,
        window: int = DEFAULT_WINDOW,
        stalled_timeout: float = 30.0,
        trimmer: HeapTrimmer | None = None,
    ) -> None:
        """`window`: bytes per connection and direction held at most (see Switchboard);
        `stalled_timeout`: seconds a plain agent's connection may stay stalled (0: no limit);
        `trimmer`: told when a frontend leaves, to give its memory back to the OS."""
        self.registry = registry
        self.metrics = metrics
        self.switchboard = Switchboard(self._choose, window=window)
        self.accepting = True
        self._window = window
        self._dial_timeout = dial_timeout
        self._stalled_timeout = stalled_timeout
        self._trimmer = trimmer
        self._agents: dict[Hashable, Link] = {}
        self._frontends: dict[FrontendId, _FrontendSide] = {}
        self._dial_started: dict[int, float] = {}
        #: Outcomes produced while `_dispatch` runs (a sink reporting a write as it is handed a
        #: packet), carried out after the ones before them, in order.
        self._dispatching = False
        self._deferred: list[Outgoing] = []
        #: Set whenever a stalled connection may have drained (writes, departures).
        self._progress = asyncio.Event()
        metrics.pending_dials.set_function(lambda: self.switchboard.pending_dials)
        metrics.established.set_function(lambda: self.switchboard.connections)
        metrics.ready_backends.set_function(lambda: len(self.registry))
        metrics.held_bytes.set_function(self.switchboard.held_bytes)

    def _choose(self, address: str, draining: Set[Hashable]) -> Hashable | None:
        if not self.accepting:
            return None
        return self.registry.choose(address, draining)

    # -- membership ----------------------------------------------------------------------------
    def add_agent(
        self, backend: Backend, *, credit: bool = False, half_close: bool = False
    ) -> Link:
        """Register an agent stream; `credit`, `half_close`: the features it negotiated."""
        link = Link(self._window)
        self._agents[backend.key] = link
        self.registry.add(backend)
        self.switchboard.add_backend(backend.key, credit=credit, half_close=half_close)
        return link

    def remove_agent(self, key: Hashable) -> None:
        self._progress.set()
        self.registry.remove(key)
        link = self._agents.pop(key, None)
        if link is not None:
            link.close()
        self._dispatch(self.switchboard.remove_backend(key))

    def add_frontend(
        self, *, single_use: bool = True, credit: bool = False, half_close: bool = False
    ) -> tuple[int, Link]:
        frontend = self.switchboard.add_frontend(
            single_use=single_use, credit=credit, half_close=half_close
        )
        side = _FrontendSide(Link(self._window))
        self._frontends[frontend] = side
        return frontend, side.link

    def remove_frontend(self, frontend: FrontendId) -> None:
        self._progress.set()
        side = self._frontends.pop(frontend, None)
        if side is not None:
            side.link.close()
            side.resume()
        self._dispatch(self.switchboard.remove_frontend(frontend))
        if self._trimmer is not None:
            self._trimmer.connection_closed()

    # -- input ---------------------------------------------------------------------------------
    async def from_frontend(self, frontend: FrontendId, packet: Packet) -> None:
        """Feed a frontend's packet in; waits (pausing only this frontend's reader) while its
        connection's bytes wait for the agent."""
        waiting = self.feed_frontend(frontend, packet)
        if waiting is not None:
            await waiting

    def feed_frontend(
        self, frontend: FrontendId, packet: Packet
    ) -> Coroutine[Any, Any, None] | None:
        """Feed a frontend's packet in without waiting. Returns what to await before reading
        the frontend again when its connection's bytes wait for the agent (None: nothing)."""
        if packet.type == packets.DIAL_REQ and not self.accepting:
            self._refuse_while_draining(frontend, packet.dialRequest.random)
            return None
        outgoing = self.switchboard.frontend_packet(frontend, packet)
        self._dispatch(outgoing)
        if packet.type != packets.DATA:
            return None
        side = self._frontends.get(frontend)
        links = [
            link
            for item in outgoing
            if isinstance(item, ToAgent) and (link := self._agents.get(item.backend)) is not None
        ]
        if (side is None or not side.paused) and all(not link.full for link in links):
            return None
        return _wait_frontend(side, links)

    async def from_agent(self, key: Hashable, packet: Packet) -> None:
        """Feed an agent's packet in. Waits only for a plain agent's stalled connection, and
        at most `stalled_timeout` (then that connection is closed)."""
        waiting = self.feed_agent(key, packet)
        if waiting is not None:
            await waiting

    def refused_agent_packet(self, agent_id: str, packet: Packet, error: Exception) -> None:
        """Count and log a packet an agent sent that the protocol refused; it is dropped, as
        one bad packet must not take the agent's other connections down."""
        self.metrics.errors.labels("agent_protocol").inc()
        logger.warning(
            "dropped packet from agent %s: %s",
            agent_id,
            error,
            extra={"packet": packets.describe(packet)},
        )

    def feed_agent(self, key: Hashable, packet: Packet) -> Coroutine[Any, Any, None] | None:
        """Feed an agent's packet in without waiting. Returns what to await before reading
        the agent's stream again when a plain agent's connection stalled (None: nothing)."""
        outgoing = self.switchboard.backend_packet(key, packet)
        self._dispatch(outgoing)
        stalls = [item for item in outgoing if isinstance(item, Stalled)]
        return self._wait_all_unstalled(stalls) if stalls else None

    async def _wait_all_unstalled(self, stalls: list[Stalled]) -> None:
        for stalled in stalls:
            await self._wait_unstalled(stalled)

    async def _wait_unstalled(self, stalled: Stalled) -> None:
        loop = asyncio.get_running_loop()
        timeout = self._stalled_timeout
        deadline = loop.time() + timeout if timeout > 0 else None
        switchboard = self.switchboard
        while switchboard.is_stalled(stalled.backend, stalled.agent_conn):
            self._progress.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._progress.wait()
            except TimeoutError:
                self._dispatch(switchboard.stall_expired(stalled.backend, stalled.agent_conn))
                return

    def agent_wrote(self, key: Hashable, packet: Packet, size: int | None = None) -> None:
        """The agent stream's writer sent `packet` (credit flows back to its frontend);
        `size`: its DATA payload bytes, as `Link.get_batch` gives them."""
        if packet.type == packets.DATA:
            n = _payload_size(packet) if size is None else size
            self._dispatch(self.switchboard.agent_wrote(key, packet.data.connectID, n))

    def frontend_wrote(self, frontend: FrontendId, packet: Packet, size: int | None = None) -> None:
        """A frontend's writer handed `packet` to its client (credit flows back to the agent);
        `size` as in `agent_wrote`."""
        if packet.type == packets.DATA:
            n = _payload_size(packet) if size is None else size
            self._dispatch(self.switchboard.frontend_wrote(frontend, packet.data.connectID, n))

    def _refuse_while_draining(self, frontend: FrontendId, dial_id: int) -> None:
        side = self._frontends.get(frontend)
        if side is not None:
            self.metrics.dial_failures.labels("shutting_down").inc()
            side.link.push(packets.dial_response(dial_id, error=SHUTTING_DOWN))
            side.link.push(None)

    # -- output --------------------------------------------------------------------------------
    def _dispatch(self, outgoing: list[Outgoing]) -> None:
        if self._dispatching:
            self._deferred += outgoing
            return
        self._dispatching = True
        try:
            while outgoing:
                self._carry_out(outgoing)
                outgoing, self._deferred = self._deferred, []
        finally:
            self._dispatching = False

    def _carry_out(self, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            if isinstance(item, ToAgent):
                self._to_agent(item.backend, item.packet, item.size)
            elif isinstance(item, ToFrontend):
                self._to_frontend(item.frontend, item.packet, item.size)
            elif isinstance(item, EndFrontend):
                self._end_frontend(item)
            elif isinstance(item, PauseFrontend | ResumeFrontend):
                side = self._frontends.get(item.frontend)
                if side is not None:
                    if isinstance(item, PauseFrontend):
                        side.pause()
                    else:
                        side.resume()

    def _to_agent(self, key: Hashable, packet: Packet, size: int | None) -> None:
        link = self._agents.get(key)
        if link is None:
            return
        kind = packet.type
        if size is None:
            size = _payload_size(packet)
        if kind == packets.DATA:
            self.metrics.to_agent_bytes.inc(size)
        elif kind == packets.DIAL_REQ:
            self._start_dial_clock(packet.dialRequest.random)
        elif kind == packets.DIAL_CLS:
            self._dial_started.pop(packet.closeDial.random, None)
        link.push(packet, size)

    def _to_frontend(self, frontend: FrontendId, packet: Packet, size: int | None) -> None:
        kind = packet.type
        if size is None:
            size = _payload_size(packet)
        if kind == packets.DATA:
            self.metrics.to_frontend_bytes.inc(size)
        elif kind == packets.DIAL_RSP:
            self._stop_dial_clock(packet.dialResponse)
        side = self._frontends.get(frontend)
        if side is None:
            return
        side.link.push(packet, size)
        if kind == packets.CLOSE_RSP:
            side.resume()  # the connection is over: nothing to wait for

    def _end_frontend(self, item: EndFrontend) -> None:
        side = self._frontends.get(item.frontend)
        if side is None:
            return
        if not item.abort:
            side.link.push(None)
            return
        self.metrics.stalled_closed.inc()
        logger.warning(
            "closed a stalled connection: its reader kept more than %d bytes unread for %.1fs",
            self._window,
            self._stalled_timeout,
            extra={"frontend": item.frontend},
        )
        side.link.abort(STALLED)
        side.resume()

    # -- timers --------------------------------------------------------------------------------
    def _start_dial_clock(self, dial_id: int) -> None:
        self._dial_started[dial_id] = time.monotonic()
        if self._dial_timeout > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(self._dial_timeout, self._fire_dial_timeout, dial_id)

    def _stop_dial_clock(self, response: DialResponse) -> None:
        started = self._dial_started.pop(response.random, None)
        if response.error:
            self.metrics.dial_failures.labels(_failure_reason(response.error)).inc()
        elif started is not None:
            self.metrics.dial_duration.observe(time.monotonic() - started)

    def _fire_dial_timeout(self, dial_id: int) -> None:
        self._dispatch(self.switchboard.dial_timed_out(dial_id))


def _failure_reason(error: str) -> str:
    """Metric label for a dial error (upstream's dial_failure_count reasons, plus ours)."""
    if error.startswith("No agent available"):
        return "no_agent"
    if "timed out waiting for backend dial" in error:
        return "backend_dial_timeout"
    if "agent disconnected" in error:
        return "backend_close"
    return "error_response"
