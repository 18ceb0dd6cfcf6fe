"""Sockets to in-cluster targets: dial with a deadline, pump bytes, report to the endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Final

from protos.tunnel import AgentEndpoint
from proxy_agent.outbox import Outbox

#: Bytes read per DATA packet at most: large packets amortise gRPC's per-message cost, and a
#: read returns whatever is available, so interactive traffic is not delayed by it.
READ_CHUNK: Final = 256 * 1024
#: Bytes buffered towards a slow target before the stream waits for it.
WRITE_HIGH_WATER: Final = 4 * 1024 * 1024


async def dial(target: str, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = target.rpartition(":")
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            host.strip("[]"), int(port), limit=READ_CHUNK
        )
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Interactive traffic (exec, small RPCs) must not wait 40 ms for Nagle.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


def describe_dial_error(target: str, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"dial tcp {target}: i/o timeout"
    return (
        f"dial tcp {target}: {exc.strerror or exc}"
        if isinstance(exc, OSError)
        else (f"dial tcp {target}: {exc}")
    )


class TargetConnection:
    """One dialled socket, tied to a connectID of one agent stream."""

    def __init__(
        self,
        conn_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        endpoint: AgentEndpoint,
        outbox: Outbox,
    ) -> None:
        self.conn_id = conn_id
        self._reader = reader
        self._writer = writer
        self._endpoint = endpoint
        self._outbox = outbox
        self.pump: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.pump = asyncio.ensure_future(self._read_target())

    async def _read_target(self) -> None:
        error = ""
        try:
            while True:
                chunk = await self._reader.read(READ_CHUNK)
                if not chunk:
                    break
                self._endpoint.send_data(self.conn_id, chunk)
                self._outbox.push(self._endpoint.packets_to_send())
                await self._outbox.wait_room()
        except OSError as exc:
            error = str(exc)
        finally:
            self._writer.close()
            self._endpoint.closed(self.conn_id, error)
            self._outbox.push(self._endpoint.packets_to_send())

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        transport = self._writer.transport
        if transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()

    def close(self) -> None:
        """Close at the server's request; the pump reports CLOSE_RSP as it ends."""
        if self.pump is not None:
            self.pump.cancel()
        self._writer.close()
