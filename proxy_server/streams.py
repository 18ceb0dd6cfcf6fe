"""One tunnel connection as an asyncio transport, so asyncio streams, TLS and aiohttp run over it.

A `TunnelConnection` is anything with `read() -> bytes` (b"" once closed), `write(bytes)` and
`close()`: `client.TunnelStream` (a gRPC `Proxy` stream) and `dialing.RelayConnection` (the
in-process multiplexing path) both are. `TunnelTransport` runs two tasks it owns: a reader
that feeds the protocol (pausing when the protocol asks) and a writer that coalesces `write()`s
into large DATA packets (grpc.aio's cost is per message, see docs/performance.md).

This transport offers no half-close: the far side's end (a close, or a `halfclose` EOF)
closes both directions, so EOF is followed by `connection_lost` at once. TLS is layered with
`asyncio.sslproto.SSLProtocol` directly rather than `loop.start_tls`, which uvloop restricts
to its own socket transports.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import ssl
from asyncio import sslproto
from collections.abc import Coroutine
from typing import Any, Final, Protocol

logger = logging.getLogger(__name__)

#: Largest DATA payload we send: big enough to amortise gRPC's per-message cost.
MAX_PACKET: Final = 256 * 1024
#: Unsent bytes above which the protocol is asked to pause writing, and below which it resumes.
HIGH_WATER: Final = 1024 * 1024
LOW_WATER: Final = 256 * 1024
TLS_HANDSHAKE_TIMEOUT: Final = 30
STREAM_LIMIT: Final = 256 * 1024


CLOSE_TIMEOUT: Final = 10.0


class TunnelConnection(Protocol):
    async def read(self) -> bytes:
        """The next bytes from the far side; b"" once the connection is closed."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None:
        """Ask the far side to close; `read()` returns b"" once it has. Does not wait."""
        ...


class TunnelTransport(asyncio.Transport):
    def __init__(
        self,
        connection: TunnelConnection,
        protocol: asyncio.BaseProtocol,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(extra)
        self._connection = connection
        self._protocol = protocol
        self._outbox: collections.deque[bytes] = collections.deque()
        self._outbox_size = 0
        self._wakeup = asyncio.Event()
        self._reading = asyncio.Event()
        self._reading.set()
        self._closing = False
        self._lost = False
        self._write_paused = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Hand the transport to the protocol and start the reader and writer tasks."""
        self._protocol.connection_made(self)
        self._reader = self._spawn(self._read_loop())
        self._spawn(self._write_loop())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- asyncio.Transport ---------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or not data:
            return
        self._outbox.append(bytes(data))
        self._outbox_size += len(data)
        self._wakeup.set()
        if self._outbox_size > HIGH_WATER and not self._write_paused:
            self._write_paused = True
            self._protocol.pause_writing()

    def can_write_eof(self) -> bool:
        return False  # the far side's EOF ends the whole transport (see the module doc)

    def get_write_buffer_size(self) -> int:
        return self._outbox_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return LOW_WATER, HIGH_WATER

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Flush what was written, then close the tunnel connection."""
        self._closing = True
        self._wakeup.set()

    def abort(self) -> None:
        self._closing = True
        self._outbox.clear()
        self._outbox_size = 0
        for task in list(self._tasks):
            task.cancel()
        self._spawn(self._close_connection())
        self._lose(None)

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def is_reading(self) -> bool:
        return self._reading.is_set()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    # -- the two pumps -------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        error: Exception | None = None
        try:
            while True:
                await self._reading.wait()
                data = await self._connection.read()
                if not data:
                    break
                self._deliver(data)
        except (ConnectionError, OSError) as exc:
            error = exc
        if not self._lost and error is None and isinstance(self._protocol, asyncio.Protocol):
            self._protocol.eof_received()
        self._closing = True
        self._wakeup.set()
        self._lose(error)

    def _deliver(self, data: bytes) -> None:
        protocol = self._protocol
        if isinstance(protocol, asyncio.BufferedProtocol):
            view = memoryview(data)
            while view:
                buffer = memoryview(protocol.get_buffer(len(view)))
                size = min(len(buffer), len(view))
                buffer[:size] = view[:size]
                protocol.buffer_updated(size)
                view = view[size:]
        elif isinstance(protocol, asyncio.Protocol):
            protocol.data_received(data)

    async def _write_loop(self) -> None:
        try:
            while (self._outbox or not self._closing) and not self._lost:
                if not self._outbox:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                chunk = self._take(MAX_PACKET)
                await self._connection.write(chunk)
                self._outbox_size -= len(chunk)
                if self._write_paused and self._outbox_size <= LOW_WATER:
                    self._write_paused = False
                    self._protocol.resume_writing()
        except (ConnectionError, OSError) as exc:
            self._lose(exc)
        await self._close_connection()
        await self._await_reader_end()

    async def _await_reader_end(self) -> None:
        """The far side confirms a close by ending the reads; cut it off if it never does."""
        if self._reader is not None and not self._reader.done():
            _, pending = await asyncio.wait({self._reader}, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
        self._lose(None)

    def _take(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while self._outbox and size + len(self._outbox[0]) <= limit:
            part = self._outbox.popleft()
            parts.append(part)
            size += len(part)
        if not parts:  # one write larger than a packet: split it
            head = self._outbox[0]
            self._outbox[0] = head[limit:]
            return head[:limit]
        return b"".join(parts)

    async def _close_connection(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._connection.close()

    def _lose(self, error: Exception | None) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        self._wakeup.set()
        self._reading.set()
        try:
            self._protocol.connection_lost(error)
        except Exception:
            logger.exception("protocol failed in connection_lost")


async def connect_protocol(
    connection: TunnelConnection,
    protocol: asyncio.BaseProtocol,
    *,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    peer: str = "",
) -> asyncio.Transport:
    """Run `protocol` over `connection`, with TLS when `tls` is given; returns its transport."""
    extra = {"peername": peer} if peer else None
    if tls is None:
        plain = TunnelTransport(connection, protocol, extra=extra)
        plain.start()
        return plain
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    layer = sslproto.SSLProtocol(
        loop,
        protocol,
        tls,
        waiter,
        server_hostname=server_hostname,
        ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT,
    )
    raw = TunnelTransport(connection, layer, extra=extra)
    raw.start()
    try:
        await waiter
    except BaseException:
        raw.abort()
        raise
    # The app-facing transport of the TLS layer (what loop.create_connection would return).
    app_transport: asyncio.Transport = layer._app_transport
    return app_transport


async def open_streams(
    connection: TunnelConnection,
    *,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    peer: str = "",
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio streams over a tunnel connection (like `asyncio.open_connection`)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=STREAM_LIMIT)
    protocol = asyncio.StreamReaderProtocol(reader)
    transport = await connect_protocol(
        connection, protocol, tls=tls, server_hostname=server_hostname, peer=peer
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def splice(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Copy bytes both ways until either side ends, then close both."""
    one = asyncio.ensure_future(_copy(a[0], b[1]))
    two = asyncio.ensure_future(_copy(b[0], a[1]))
    try:
        await asyncio.wait({one, two}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        one.cancel()
        two.cancel()
        for writer in (a[1], b[1]):
            writer.close()
        await asyncio.gather(one, two, return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(MAX_PACKET):
            writer.write(data)
            await writer.drain()
