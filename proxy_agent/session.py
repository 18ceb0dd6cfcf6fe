"""One agent stream to one proxy-server: the protocol endpoint, its sockets and its pumps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import (
    AgentEndpoint,
    CloseRequested,
    DataReceived,
    DialRequested,
    RemoteProtocolError,
    packets,
)
from proxy_agent.dialer import TargetConnection, describe_dial_error, dial
from proxy_agent.metrics import AgentMetrics
from proxy_agent.outbox import Outbox

logger = logging.getLogger(__name__)

Call = grpc.aio.StreamStreamCall[Packet, Packet]


class Session:
    def __init__(
        self,
        call: Call,
        server_id: str,
        resolve: Callable[[str], str],
        *,
        dial_timeout: float,
        metrics: AgentMetrics,
    ) -> None:
        self.call = call
        self.server_id = server_id
        self.endpoint = AgentEndpoint(resolve)
        self.outbox = Outbox()
        self.metrics = metrics
        self._dial_timeout = dial_timeout
        self._conns: dict[int, TargetConnection] = {}
        self._dials: set[asyncio.Task[None]] = set()

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
        while True:
            for packet in await self.outbox.take():
                await self.call.write(packet)

    async def _read(self) -> None:
        while True:
            packet = await self.call.read()
            if not isinstance(packet, Packet):
                return  # grpc.aio.EOF: the server ended the stream
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
                continue
            for event in events:
                if isinstance(event, DataReceived):
                    conn = self._conns.get(event.conn_id)
                    if conn is not None:
                        await conn.write(event.data)
                elif isinstance(event, DialRequested):
                    self._start_dial(event)
                elif isinstance(event, CloseRequested):
                    conn = self._conns.pop(event.conn_id, None)
                    if conn is not None:
                        conn.close()
            self._flush()

    def _start_dial(self, event: DialRequested) -> None:
        task = asyncio.ensure_future(self._dial(event))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)

    async def _dial(self, event: DialRequested) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            reader, writer = await dial(event.target, self._dial_timeout)
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
            writer.close()  # the server gave up on this dial meanwhile
            return
        conn = TargetConnection(conn_id, reader, writer, self.endpoint, self.outbox)
        self._conns[conn_id] = conn
        conn.start()
        assert conn.pump is not None
        conn.pump.add_done_callback(lambda _: self._conns.pop(conn_id, None))

    def close(self) -> None:
        """End the stream; its connections (if any are left) are closed by `run`."""
        self.call.cancel()
