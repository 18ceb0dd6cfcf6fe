"""The byte-stream interface every path hands to the rows, and its plain TCP implementation.

Rows only `send`, `receive` and `close`: the konnectivity protocol has no half-close, so no
row relies on one (the sink and source services announce their byte counts instead).

TcpStream is a protocol that keeps received chunks as they came (no reassembly into one
buffer, unlike asyncio's StreamReader), because on 2 shared cores every copy the client
makes is CPU taken from the tunnel being measured.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Final, Protocol

HIGH_WATER: Final = 4 << 20
"""Buffered bytes at which the client stops reading the socket (so a stalled reader stalls)."""
LOW_WATER: Final = 1 << 20
HEAD_END: Final = b"\r\n\r\n"


class Stream(Protocol):
    """A connection to a target service, through some path."""

    async def send(self, data: bytes) -> None:
        """Write `data` and wait until the transport accepts more (backpressure)."""

    async def receive(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` bytes; b"" once the peer closed."""

    async def close(self) -> None:
        """Close both directions; never raises for an already broken connection."""


class TcpStream(asyncio.Protocol):
    """A Stream over an asyncio TCP (or TLS) transport; create it with `open_tcp`."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._reading_paused = False
        self._closed = False
        self._error: BaseException | None = None
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > HIGH_WATER and not self._reading_paused and self._transport:
            self._transport.pause_reading()
            self._reading_paused = True
        self._wake_reader()

    def eof_received(self) -> bool:
        self._closed = True
        self._wake_reader()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._error = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        if self._drain_waiter is None:
            self._drain_waiter = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    # Stream

    async def send(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            raise ConnectionResetError("connection closed") from self._error
        self._transport.write(data)
        if self._drain_waiter is not None:
            await self._drain_waiter

    async def receive(self, max_bytes: int) -> bytes:
        while not self._chunks and not self._closed:
            self._data_waiter = asyncio.get_running_loop().create_future()
            await self._data_waiter
        if not self._chunks:
            if self._error is not None:
                raise ConnectionResetError(str(self._error)) from self._error
            return b""
        chunk = self._chunks.popleft()
        if len(chunk) > max_bytes:
            chunk, rest = chunk[:max_bytes], chunk[max_bytes:]
            self._chunks.appendleft(rest)
        self._buffered -= len(chunk)
        if self._reading_paused and self._buffered < LOW_WATER and self._transport:
            self._transport.resume_reading()
            self._reading_paused = False
        return chunk

    async def receive_head(self) -> bytes:
        """An HTTP/1.1 response head up to the blank line; what follows stays buffered."""
        head = b""
        while (end := head.find(HEAD_END)) < 0:
            chunk = await self.receive(HIGH_WATER)
            if not chunk:
                raise EOFError(f"connection closed inside a response head: {head!r}")
            head += chunk
        end += len(HEAD_END)
        if end < len(head):
            self._chunks.appendleft(head[end:])
            self._buffered += len(head) - end
        return head[:end]

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _wake_reader(self) -> None:
        if self._data_waiter is not None and not self._data_waiter.done():
            self._data_waiter.set_result(None)
        self._data_waiter = None

    def _wake_writer(self) -> None:
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)
        self._drain_waiter = None


async def open_tcp(host: str, port: int, *, tls: ssl.SSLContext | None = None) -> TcpStream:
    _, stream = await asyncio.get_running_loop().create_connection(TcpStream, host, port, ssl=tls)
    return stream


async def receive_exactly(stream: Stream, count: int) -> bytes:
    """Read exactly `count` bytes or raise EOFError (with how much arrived)."""
    parts: list[bytes] = []
    received = 0
    while received < count:
        chunk = await stream.receive(count - received)
        if not chunk:
            raise EOFError(f"connection closed after {received} of {count} bytes")
        parts.append(chunk)
        received += len(chunk)
    return b"".join(parts)
