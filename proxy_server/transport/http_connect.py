"""HTTP CONNECT frontend (`--mode=http-connect`): `CONNECT host:port` in, raw bytes after 200.

The 200 is written only after the agent's dial succeeded (upstream since v0.31), so a client
never mistakes a failed dial for a tunnel; failures get a status and the reason as text.

Half-close (`halfclose`, when the server offers it and the client socket can shut its write
side, i.e. not over TLS): the client's EOF becomes a HALF_CLOSE and the answer keeps flowing;
the target's HALF_CLOSE becomes `write_eof()` towards the client. Otherwise EOF closes both
directions, as upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.switchboard import DIAL_TIMEOUT, NO_AGENT
from proxy_server.relay import Link, Relay

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES: Final = 16 * 1024
HEADER_TIMEOUT: Final = 60.0
#: Bytes read from the client per DATA packet at most: large packets keep gRPC's per-message
#: cost out of the way (see docs/performance.md).
READ_CHUNK: Final = 256 * 1024

_randoms = itertools.count(random.SystemRandom().randrange(1 << 40, 1 << 62))


class HTTPConnectFrontend:
    def __init__(self, relay: Relay, *, half_close: bool = False) -> None:
        self._relay = relay
        self._half_close = half_close

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None) -> asyncio.Server:
        return await asyncio.start_server(self.handle, host, port, ssl=tls, limit=MAX_HEADER_BYTES)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        gauge = self._relay.metrics.http_connections
        gauge.inc()
        try:
            address = await self._read_request(reader, writer)
            if address is not None:
                await self._tunnel(address, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            logger.debug("http-connect client went away: %s", exc)
        finally:
            gauge.dec()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> str | None:
        try:
            async with asyncio.timeout(HEADER_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            await _respond(writer, 431, "request headers are larger than 16 KiB")
            return None
        except TimeoutError:
            await _respond(writer, 408, "no complete request within 60 s")
            return None
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _respond(writer, 400, f"malformed request line {request_line!r}")
            return None
        method, target, _ = parts
        if method != "CONNECT":
            await _respond(writer, 405, "this proxy only supports CONNECT passthrough")
            return None
        host, sep, port = target.rpartition(":")
        if not sep or not host or not port.isdigit():
            await _respond(writer, 400, f"CONNECT target must be host:port, got {target!r}")
            return None
        return target

    async def _tunnel(
        self, address: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        relay = self._relay
        half_close = self._half_close and writer.can_write_eof()
        frontend, link = relay.add_frontend(single_use=True, half_close=half_close)
        try:
            dial_id = next(_randoms)
            await relay.from_frontend(frontend, packets.dial_request(address, dial_id))
            conn_id = await _await_dial(link, writer)
            if conn_id is None:
                return
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            target_ended = _TargetEnded()
            upstream = asyncio.ensure_future(
                _copy_to_client(
                    link, writer, lambda p: relay.frontend_wrote(frontend, p), target_ended
                )
            )
            downstream = asyncio.ensure_future(
                self._copy_from_client(
                    frontend, conn_id, reader, half_close=half_close, target_ended=target_ended
                )
            )
            try:
                await asyncio.wait(
                    {upstream, downstream, link.when_aborted()},
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                upstream.cancel()
                downstream.cancel()
        finally:
            relay.remove_frontend(frontend)

    async def _copy_from_client(
        self,
        frontend: int,
        conn_id: int,
        reader: asyncio.StreamReader,
        *,
        half_close: bool,
        target_ended: _TargetEnded,
    ) -> None:
        relay = self._relay
        while chunk := await reader.read(READ_CHUNK):
            await relay.from_frontend(frontend, packets.data(conn_id, chunk))
        # The client's EOF: a half-close while the target still sends, else (plain ANP, or
        # the target ended first) the close of the connection.
        if half_close and not target_ended.flag:
            ending = packets.half_close(conn_id)
        else:
            ending = packets.close_request(conn_id)
        await relay.from_frontend(frontend, ending)
        await asyncio.Event().wait()  # wait for the agent's CLOSE_RSP to end us


@dataclass(slots=True)
class _TargetEnded:
    """Set by the copy to the client when the target half-closed, read by the copy from it
    (a plain flag: an `asyncio.Event` would cost ~0.8 KB per connection for no waiting)."""

    flag: bool = False


async def _await_dial(link: Link, writer: asyncio.StreamWriter) -> int | None:
    packet = await link.get()
    if packet is None or packet.type != packets.DIAL_RSP:
        await _respond(writer, 502, "the tunnel ended before the dial was answered")
        return None
    error = packet.dialResponse.error
    if error:
        status = _status_for(error)
        await _respond(writer, status, error)
        return None
    return packet.dialResponse.connectID


async def _copy_to_client(
    link: Link,
    writer: asyncio.StreamWriter,
    wrote: Callable[[Packet], None],
    target_ended: _TargetEnded,
) -> None:
    """Write what the agent sent; everything queued goes out before one drain (fewer wake-ups
    for small packets), then each packet is reported written so credit flows back. The
    target's HALF_CLOSE shuts the client socket's write side (after those bytes)."""
    while True:
        written: list[Packet] = []
        for packet in await link.get_batch():
            if packet is None or packet.type == packets.CLOSE_RSP:
                return  # the handler's close() flushes what was written
            if packet.type == packets.DATA:
                writer.write(packet.data.data)
                written.append(packet)
            elif packet.type == packets.HALF_CLOSE:
                target_ended.flag = True
                writer.write_eof()
        await writer.drain()
        for packet in written:
            wrote(packet)


def _status_for(error: str) -> int:
    """Upstream's dial-error to HTTP status mapping (mapDialErrorToHTTPStatus)."""
    lowered = error.lower()
    if error.startswith(NO_AGENT) or "shutting down" in lowered:
        return 503
    if error == DIAL_TIMEOUT or "timeout" in lowered or "deadline" in lowered:
        return 504
    if "too many open files" in lowered:
        return 503
    return 502  # refused, reset, unreachable, agent gone: the far side failed


async def _respond(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    phrases = {
        400: "Bad Request",
        405: "Method Not Allowed",
        408: "Request Timeout",
        431: "Request Header Fields Too Large",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    body = (reason + "\n").encode()
    writer.write(
        f"HTTP/1.1 {status} {phrases.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
