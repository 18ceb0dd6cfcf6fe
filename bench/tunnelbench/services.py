"""The target services that every path leads to, run in their own process.

- sink: reads an 8-byte big-endian count, swallows that many bytes, answers one ack byte;
- source: reads an 8-byte count and sends that many bytes;
- echo: sends back whatever arrives;
- http: answers every HTTP/1.1 request with a keep-alive `hello world`.

They are asyncio protocols (not streams) on uvloop so that the Python side is not what the
benchmark measures: the sink swallows into one preallocated buffer (no allocation per read),
the source writes slices of one preallocated chunk, and the HTTP server does not parse
beyond counting request terminators (the load generator sends only GETs without bodies).
Run as `python -m tunnelbench.services`; it prints one JSON line with the ports, then serves
until SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import sys
from typing import Final, cast

COUNT_HEADER: Final = struct.Struct("!Q")
ACK: Final = b"K"
CHUNK: Final = 1 << 20
HTTP_RESPONSE: Final = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    b"Connection: keep-alive\r\n\r\nhello world\n"
)
REQUEST_END: Final = b"\r\n\r\n"


def as_transport(transport: asyncio.BaseTransport) -> asyncio.Transport:
    # uvloop's transports do not subclass asyncio.Transport, so no isinstance check.
    return cast(asyncio.Transport, transport)


class SinkProtocol(asyncio.BufferedProtocol):
    """Header, then `count` bytes swallowed into a reused buffer, then ACK; repeatable."""

    def __init__(self) -> None:
        self._buffer = memoryview(bytearray(CHUNK))
        self._header = bytearray()
        self._remaining = 0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = as_transport(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        view = self._buffer[:nbytes]
        while view:
            if self._remaining == 0:
                needed = COUNT_HEADER.size - len(self._header)
                self._header += view[:needed]
                view = view[needed:]
                if len(self._header) == COUNT_HEADER.size:
                    (self._remaining,) = COUNT_HEADER.unpack(self._header)
                    self._header.clear()
                    self._ack_if_done()
                continue
            taken = min(self._remaining, len(view))
            self._remaining -= taken
            view = view[taken:]
            self._ack_if_done()

    def _ack_if_done(self) -> None:
        if self._remaining == 0 and self._transport is not None:
            self._transport.write(ACK)


class SourceProtocol(asyncio.Protocol):
    """Header, then `count` bytes written as fast as the transport's flow control allows."""

    def __init__(self) -> None:
        self._chunk = memoryview(bytes(CHUNK))
        self._header = bytearray()
        self._remaining = 0
        self._paused = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = as_transport(transport)

    def data_received(self, data: bytes) -> None:
        self._header += data
        if len(self._header) >= COUNT_HEADER.size and self._remaining == 0:
            (self._remaining,) = COUNT_HEADER.unpack_from(self._header)
            del self._header[: COUNT_HEADER.size]
            self._pump()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._pump()

    def _pump(self) -> None:
        assert self._transport is not None
        while self._remaining and not self._paused and not self._transport.is_closing():
            size = min(self._remaining, CHUNK)
            self._remaining -= size
            self._transport.write(self._chunk[:size])


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = as_transport(transport)

    def data_received(self, data: bytes) -> None:
        self._transport.write(data)


class HttpHelloProtocol(asyncio.Protocol):
    """One canned response per request terminator seen; survives terminators split across reads."""

    def __init__(self) -> None:
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = as_transport(transport)

    def data_received(self, data: bytes) -> None:
        window = self._tail + data
        requests = window.count(REQUEST_END)
        # Keep the last 3 bytes, which may start a terminator that the next read completes.
        last = window.rfind(REQUEST_END)
        rest = window[last + len(REQUEST_END) :] if last >= 0 else window
        self._tail = rest[-(len(REQUEST_END) - 1) :]
        if requests:
            self._transport.write(HTTP_RESPONSE * requests)


SERVICES: Final = {
    "sink": SinkProtocol,
    "source": SourceProtocol,
    "echo": EchoProtocol,
    "http": HttpHelloProtocol,
}


async def serve_all() -> None:
    loop = asyncio.get_running_loop()
    servers = {
        name: await loop.create_server(factory, "127.0.0.1", 0, backlog=4096)
        for name, factory in SERVICES.items()
    }
    ports = {name: server.sockets[0].getsockname()[1] for name, server in servers.items()}
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main() -> int:
    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve_all())
    return 0


if __name__ == "__main__":
    sys.exit(main())
