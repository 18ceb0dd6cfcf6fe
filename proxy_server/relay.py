"""The relay: the switchboard plus the outbound queue of every stream it joins.

Transports feed packets in (`from_agent`, `from_frontend`) and drain their `Link`; the relay
carries out the switchboard's `Outgoing` instructions, runs the backend dial timers and keeps
the metrics. Queues are bounded: a producer waits when a consumer falls behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable, Set

from protos._gen.client_pb2 import DialResponse, Packet
from protos.tunnel import EndFrontend, Outgoing, Switchboard, ToAgent, ToFrontend, packets
from protos.tunnel.switchboard import FrontendId
from proxy_server.backends import Backend, BackendRegistry
from proxy_server.metrics import ServerMetrics

logger = logging.getLogger(__name__)

SHUTTING_DOWN = "proxy server is shutting down; retry on another replica"


class Link:
    """Packets bound for one stream; `None` in the queue means 'end the stream'."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Packet | None] = asyncio.Queue(size)
        self.closed = False

    async def put(self, packet: Packet | None) -> None:
        if not self.closed:
            await self.queue.put(packet)

    def close(self) -> None:
        """Stop accepting packets and release any producer waiting on a full queue."""
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()


class Relay:
    def __init__(
        self,
        registry: BackendRegistry,
        metrics: ServerMetrics,
        *,
        channel_size: int = 64,
        dial_timeout: float = 0.0,
    ) -> None:
        self.registry = registry
        self.metrics = metrics
        self.switchboard = Switchboard(self._choose)
        self.accepting = True
        self._channel_size = channel_size
        self._dial_timeout = dial_timeout
        self._agents: dict[Hashable, Link] = {}
        self._frontends: dict[FrontendId, Link] = {}
        self._dial_started: dict[int, float] = {}
        self._timers: set[asyncio.Task[None]] = set()
        metrics.pending_dials.set_function(lambda: self.switchboard.pending_dials)
        metrics.established.set_function(lambda: self.switchboard.connections)
        metrics.ready_backends.set_function(lambda: len(self.registry))

    def _choose(self, address: str, draining: Set[Hashable]) -> Hashable | None:
        if not self.accepting:
            return None
        return self.registry.choose(address, draining)

    # -- membership ----------------------------------------------------------------------------
    def add_agent(self, backend: Backend) -> Link:
        link = Link(self._channel_size)
        self._agents[backend.key] = link
        self.registry.add(backend)
        self.switchboard.add_backend(backend.key)
        return link

    async def remove_agent(self, key: Hashable) -> None:
        self.registry.remove(key)
        link = self._agents.pop(key, None)
        if link is not None:
            link.close()
        await self._dispatch(self.switchboard.remove_backend(key))

    def add_frontend(self, *, single_use: bool = True) -> tuple[FrontendId, Link]:
        frontend = self.switchboard.add_frontend(single_use=single_use)
        link = Link(self._channel_size)
        self._frontends[frontend] = link
        return frontend, link

    async def remove_frontend(self, frontend: FrontendId) -> None:
        link = self._frontends.pop(frontend, None)
        if link is not None:
            link.close()
        await self._dispatch(self.switchboard.remove_frontend(frontend))

    # -- input ---------------------------------------------------------------------------------
    async def from_frontend(self, frontend: FrontendId, packet: Packet) -> None:
        if packet.type == packets.DIAL_REQ and not self.accepting:
            await self._refuse_while_draining(frontend, packet.dialRequest.random)
            return
        await self._dispatch(self.switchboard.frontend_packet(frontend, packet))

    async def from_agent(self, key: Hashable, packet: Packet) -> None:
        await self._dispatch(self.switchboard.backend_packet(key, packet))

    async def _refuse_while_draining(self, frontend: FrontendId, dial_id: int) -> None:
        link = self._frontends.get(frontend)
        if link is not None:
            self.metrics.dial_failures.labels("shutting_down").inc()
            await link.put(packets.dial_response(dial_id, error=SHUTTING_DOWN))
            await link.put(None)

    # -- output --------------------------------------------------------------------------------
    async def _dispatch(self, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            if isinstance(item, ToAgent):
                await self._to_agent(item.backend, item.packet)
            elif isinstance(item, ToFrontend):
                await self._to_frontend(item.frontend, item.packet)
            elif isinstance(item, EndFrontend):
                link = self._frontends.get(item.frontend)
                if link is not None:
                    await link.put(None)

    async def _to_agent(self, key: Hashable, packet: Packet) -> None:
        link = self._agents.get(key)
        if link is None:
            return
        kind = packet.type
        if kind == packets.DATA:
            self.metrics.to_agent_bytes.inc(len(packet.data.data))
        elif kind == packets.DIAL_REQ:
            self._start_dial_clock(packet.dialRequest.random)
        elif kind == packets.DIAL_CLS:
            self._dial_started.pop(packet.closeDial.random, None)
        await link.put(packet)

    async def _to_frontend(self, frontend: FrontendId, packet: Packet) -> None:
        kind = packet.type
        if kind == packets.DATA:
            self.metrics.to_frontend_bytes.inc(len(packet.data.data))
        elif kind == packets.DIAL_RSP:
            self._stop_dial_clock(packet.dialResponse)
        link = self._frontends.get(frontend)
        if link is not None:
            await link.put(packet)

    # -- dial clocks and timers ----------------------------------------------------------------
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
        outgoing = self.switchboard.dial_timed_out(dial_id)
        if outgoing:
            task = asyncio.ensure_future(self._dispatch(outgoing))
            self._timers.add(task)
            task.add_done_callback(self._timers.discard)


def _failure_reason(error: str) -> str:
    """Metric label for a dial error (upstream's dial_failure_count reasons, plus ours)."""
    if error.startswith("No agent available"):
        return "no_agent"
    if "timed out waiting for backend dial" in error:
        return "backend_dial_timeout"
    if "agent disconnected" in error:
        return "backend_close"
    return "error_response"
