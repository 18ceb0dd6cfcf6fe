"""One agent link to one proxy-server (a gRPC stream or a lane): the protocol endpoint, its
sockets and its pumps.

The reader serves every connection of the stream, so it does not wait on one: bytes for a
target go straight to that connection's transport (`TargetConnection.enqueue`), bounded by
the credit window; only a plain server's stalled connection holds the reader, for a bounded
time (see `dialer`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from protos._gen.client_pb2 import Packet
from protos.tunnel import (
    AgentEndpoint,
    CloseRequested,
    CreditGranted,
    DataReceived,
    DialRequested,
    HalfClosed,
    RemoteProtocolError,
    packets,
)
from protos.tunnel.batching import BATCH, BurstMeter, pack, unpack
from protos.tunnel.flow import DEFAULT_WINDOW
from proxy_agent.dialer import TargetConnection, describe_dial_error, dial, read_buffer
from proxy_agent.metrics import AgentMetrics
from proxy_agent.outbox import Outbox

logger = logging.getLogger(__name__)


class PacketCall(Protocol):
    """What a session uses of its link: a gRPC stream call, or a `lane.LaneCall`."""

    async def read(self) -> object:
        """The next packet; anything else (gRPC's EOF, None) means the link ended."""
        ...

    async def write(self, message: Packet, /) -> None: ...

    def cancel(self) -> bool: ...


class Session:
    def __init__(
        self,
        call: PacketCall,
        server_id: str,
        resolve: Callable[[str], str],
        *,
        dial_timeout: float,
        metrics: AgentMetrics,
        credit: bool = False,
        batch: bool = False,
        half_close: bool = False,
        window: int = DEFAULT_WINDOW,
        stalled_timeout: float = 30.0,
    ) -> None:
        """`credit`, `batch`, `half_close`: the features the server negotiated; `window`: bytes
        per connection the server may send ahead of its target; `stalled_timeout`: see dialer."""
        self.call = call
        self.server_id = server_id
        self.endpoint = AgentEndpoint(resolve, credit=credit, half_close=half_close, window=window)
        self._window = window
        self._stalled_timeout = stalled_timeout
        self._batch = batch
        self.outbox = Outbox()
        self.metrics = metrics
        self._dial_timeout = dial_timeout
        self._conns: dict[int, TargetConnection] = {}
        self._read_buffer = read_buffer()
        self._dials: set[asyncio.Task[None]] = set()

    def held_bytes(self) -> int:
        return sum(self.endpoint.held(conn_id) for conn_id in self._conns)

    @property
    def idle(self) -> bool:
        return self.endpoint.open_connections == 0 and self.endpoint.pending_dials == 0

    async def run(self) -> None:
        """Pump until the stream ends; then close every socket it carried."""
        writer = asyncio.ensure_future(self._write())
        try:
            await self._read()
        finally:
            writer.cancel()
            for task in self._dials:
                task.cancel()
            for conn in list(self._conns.values()):
                conn.close()
            self._conns.clear()

    def drain(self) -> None:
        self.endpoint.drain()
        self._flush()

    def _flush(self) -> None:
        self.outbox.push(self.endpoint.packets_to_send())

    async def _write(self) -> None:
        bursts = BurstMeter()
        settle = 0
        while True:
            queued = await self.outbox.take(settle)
            if self._batch:
                settle = bursts.took(len(queued))
            for message in pack(queued) if self._batch and len(queued) > 1 else queued:
                await self.call.write(message)

    async def _read(self) -> None:
        while True:
            message = await self.call.read()
            if not isinstance(message, Packet):
                return  # grpc.aio.EOF or a closed lane: the server ended the link
            if self._batch and message.type == BATCH:
                try:
                    batch = unpack(message)
                except RemoteProtocolError as exc:
                    self.metrics.errors.labels("server_protocol").inc()
                    logger.warning("dropped a batch from server %s: %s", self.server_id, exc)
                    continue
            else:
                batch = [message]
            for packet in batch:
                stalled = self._handle(packet)
                if stalled is not None:
                    await stalled.wait_drained()

    def _handle(self, packet: Packet) -> TargetConnection | None:
        """Act on one packet; returns a plain server's connection to wait for, if any."""
        stalled = None
        try:
            events = self.endpoint.receive_packet(packet)
        except RemoteProtocolError as exc:
            self.metrics.errors.labels("server_protocol").inc()
            logger.warning(
                "dropped packet from server %s: %s (%s)",
                self.server_id,
                exc,
                packets.describe(packet),
            )
            return None
        for event in events:
            if isinstance(event, DataReceived):
                conn = self._conns.get(event.conn_id)
                if conn is not None and conn.enqueue(event.data):
                    stalled = conn
            elif isinstance(event, CreditGranted):
                conn = self._conns.get(event.conn_id)
                if conn is not None:
                    conn.credit_granted()
            elif isinstance(event, HalfClosed):
                conn = self._conns.get(event.conn_id)
                if conn is not None:
                    conn.end_writing()
            elif isinstance(event, DialRequested):
                self._start_dial(event)
            elif isinstance(event, CloseRequested):
                conn = self._conns.pop(event.conn_id, None)
                if conn is not None:
                    conn.close()
        self._flush()
        return stalled

    def _start_dial(self, event: DialRequested) -> None:
        task = asyncio.ensure_future(self._dial(event))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)

    async def _dial(self, event: DialRequested) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        conn = TargetConnection(
            self.endpoint,
            self.outbox,
            self._read_buffer,
            window=self._window,
            stalled_timeout=self._stalled_timeout,
            on_stalled=self.metrics.stalled_closed.inc,
            on_closed=self._forget,
        )
        try:
            transport = await dial(event.target, self._dial_timeout, conn)
        except (OSError, TimeoutError) as exc:
            reason = "timeout" if isinstance(exc, TimeoutError) else "unknown"
            self.metrics.dial_failures.labels(reason).inc()
            self.endpoint.dial_failed(event.dial_id, describe_dial_error(event.target, exc))
            self._flush()
            return
        self.metrics.dial_duration.observe(loop.time() - started)
        conn_id = self.endpoint.dial_succeeded(event.dial_id)
        self._flush()
        if conn_id is None:
            transport.close()  # the server gave up on this dial meanwhile
            return
        self._conns[conn_id] = conn
        conn.start(conn_id)

    def _forget(self, conn_id: int) -> None:
        self._conns.pop(conn_id, None)

    def close(self) -> None:
        """End the stream; its connections (if any are left) are closed by `run`."""
        self.call.cancel()
