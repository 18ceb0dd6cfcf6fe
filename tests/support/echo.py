"""Target services for tunnel tests: an echo server that also reports what it saw."""

from __future__ import annotations

import asyncio
import hashlib


class EchoServer:
    """Echoes every byte back; counts connections so tests can check closes propagate."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.open_connections = 0
        self.accepted = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open_connections += 1
        try:
            while data := await reader.read(1 << 18):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open_connections -= 1
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


class SinkServer:
    """Reads everything and answers with the sha256 of what it read, then closes."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        digest = hashlib.sha256()
        remaining = self.expected
        while remaining:
            data = await reader.read(min(remaining, 1 << 20))
            if not data:
                break
            digest.update(data)
            remaining -= len(data)
        writer.write(digest.hexdigest().encode())
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


class SourceServer:
    """Sends `chunk`-sized blocks to every client as fast as it reads them, until it leaves."""

    def __init__(self, chunk: int = 1 << 20) -> None:
        self.chunk = chunk
        self.server: asyncio.Server | None = None
        self.open_connections = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        block = b"s" * self.chunk
        try:
            while True:
                writer.write(block)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open_connections -= 1
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


class BlackHoleServer:
    """Accepts connections and never reads from them (a stalled target)."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)  # keep it open, read nothing

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self.server is not None:
            self.server.close()
