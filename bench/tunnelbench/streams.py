"""The byte-stream interface every path hands to the rows, and its plain TCP implementation.

Rows only `send`, `receive` and `close`: the konnectivity protocol has no half-close, so no
row relies on one (the sink and source services announce their byte counts instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Final, Protocol

READ_LIMIT: Final = 4 << 20
"""StreamReader buffer limit: large so that bulk reads are not paused every 64 KiB."""


class Stream(Protocol):
    """A connection to a target service, through some path."""

    async def send(self, data: bytes) -> None:
        """Write `data` and wait until the transport accepts more (backpressure)."""

    async def receive(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` bytes; b"" once the peer closed."""

    async def close(self) -> None:
        """Close both directions; never raises for an already broken connection."""


class TcpStream:
    """A Stream over an asyncio TCP (or TLS) connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self, max_bytes: int) -> bytes:
        return await self._reader.read(max_bytes)

    async def receive_head(self) -> bytes:
        """An HTTP/1.1 response head, up to and including the blank line."""
        return await self._reader.readuntil(b"\r\n\r\n")

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()


async def open_tcp(host: str, port: int, *, tls: ssl.SSLContext | None = None) -> TcpStream:
    reader, writer = await asyncio.open_connection(host, port, limit=READ_LIMIT, ssl=tls)
    return TcpStream(reader, writer)


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
