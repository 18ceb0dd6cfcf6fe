"""HTTP CONNECT frontend (`--mode=http-connect`): `CONNECT host:port` in, raw bytes after 200.

The 200 is written only after the agent's dial succeeded (upstream since v0.31), so a client
never mistakes a failed dial for a tunnel; failures get a status and the reason as text.

Each client connection is an asyncio protocol (`ClientConnection`): once the tunnel is up,
bytes move in the transport's callbacks with no task per connection. What the client sends
is fed to the relay as it is read (`data_received`), and the agent's packets are written to
the client as the relay pushes them (the connection's `Link` has it as its sink). A write is
reported to the relay (credit flows back to the agent) once the transport's buffer is below
its high-water mark; reading pauses while the relay says the connection's bytes must wait.

Half-close (`halfclose`, when the server offers it and the client socket can shut its write
side, i.e. not over TLS): the client's EOF becomes a HALF_CLOSE and the answer keeps flowing;
the target's HALF_CLOSE becomes `write_eof()` towards the client. Otherwise EOF closes both
directions, as upstream.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, Final, cast

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.switchboard import DIAL_TIMEOUT, NO_AGENT
from proxy_server.relay import Link, Relay

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES: Final = 16 * 1024
HEADER_END: Final = b"\r\n\r\n"
HEADER_TIMEOUT: Final = 60.0

_randoms = itertools.count(random.SystemRandom().randrange(1 << 40, 1 << 62))


class HTTPConnectFrontend:
    def __init__(self, relay: Relay, *, half_close: bool = False) -> None:
        self._relay = relay
        self._half_close = half_close

    async def start(self, host: str, port: int, tls: ssl.SSLContext | None) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(self.connection, host, port, ssl=tls)

    def connection(self) -> ClientConnection:
        return ClientConnection(self._relay, half_close=self._half_close)


class ClientConnection(asyncio.Protocol):
    """One client: its CONNECT request, the dial (a task, while it lasts), then the tunnel."""

    def __init__(self, relay: Relay, *, half_close: bool) -> None:
        self._relay = relay
        self._offer_half_close = half_close
        self._half_close = False
        self._transport: asyncio.Transport | None = None
        self._head = bytearray()
        #: Bytes the client sent after its request, before the tunnel was up.
        self._early = b""
        self._header_timer: asyncio.TimerHandle | None = None
        self._dialing: asyncio.Task[None] | None = None
        self._waiting: asyncio.Task[None] | None = None
        self._frontend: int | None = None
        self._conn_id: int | None = None
        self._target_ended = False
        self._write_paused = False
        #: DATA written while the transport was above its high-water mark, reported on resume.
        self._unreported: list[tuple[Packet, int]] = []
        self._lost = False

    # -- lifecycle -----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not `asyncio.Transport` subclasses, but they are ones.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._relay.metrics.http_connections.inc()
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(HEADER_TIMEOUT, self._header_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            logger.debug("http-connect client went away: %s", exc)
        self._lost = True
        if self._header_timer is not None:
            self._header_timer.cancel()
        for task in (self._dialing, self._waiting):
            if task is not None:
                task.cancel()
        if self._frontend is not None:
            self._relay.remove_frontend(self._frontend)
            self._frontend = None
        self._relay.metrics.http_connections.dec()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()  # after what was written; `connection_lost` cleans up

    # -- client -> agent -----------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._conn_id is not None:
            self._feed(data)
        elif self._dialing is not None:
            self._early += data  # reading is paused: at most one read
        else:
            self._read_head(data)

    def eof_received(self) -> bool:
        if self._conn_id is None or self._frontend is None:
            return False  # before the tunnel: nothing to pass on
        # The client's EOF: a half-close while the target still sends, else (plain ANP, or
        # the target ended first) the close of the connection, answered by CLOSE_RSP.
        if self._half_close and not self._target_ended:
            ending = packets.half_close(self._conn_id)
        else:
            ending = packets.close_request(self._conn_id)
        self._wait_for(self._relay.feed_frontend(self._frontend, ending))
        # Keep the socket for the answer (TLS transports close on EOF whatever we say).
        return self._transport is not None and self._transport.get_extra_info("sslcontext") is None

    def _feed(self, data: bytes) -> None:
        frontend, conn_id = self._frontend, self._conn_id
        if frontend is not None and conn_id is not None:
            self._wait_for(self._relay.feed_frontend(frontend, packets.data(conn_id, data)))

    def _wait_for(self, waiting: Coroutine[Any, Any, None] | None) -> None:
        """Pause reading the client until `waiting` (the relay's say-so) is over."""
        if waiting is None or self._transport is None:
            return
        self._transport.pause_reading()
        self._waiting = asyncio.ensure_future(self._resume_after(waiting))

    async def _resume_after(self, waiting: Coroutine[Any, Any, None]) -> None:
        await waiting
        self._waiting = None
        if not self._lost and self._transport is not None:
            self._transport.resume_reading()

    # -- the request and the dial --------------------------------------------------------------
    def _read_head(self, data: bytes) -> None:
        self._head += data
        end = self._head.find(HEADER_END)
        if end < 0:
            if len(self._head) > MAX_HEADER_BYTES:
                self._respond(431, "request headers are larger than 16 KiB")
            return
        if end + len(HEADER_END) > MAX_HEADER_BYTES:
            self._respond(431, "request headers are larger than 16 KiB")
            return
        head = bytes(self._head[:end])
        self._early = bytes(self._head[end + len(HEADER_END) :])
        self._head = bytearray()
        if self._header_timer is not None:
            self._header_timer.cancel()
        refusal, address = _parse_request(head)
        if refusal is not None:
            self._respond(*refusal)
            return
        assert self._transport is not None
        self._transport.pause_reading()
        self._dialing = asyncio.ensure_future(self._dial(address))

    def _header_timed_out(self) -> None:
        if self._dialing is None and self._conn_id is None:
            self._respond(408, "no complete request within 60 s")

    async def _dial(self, address: str) -> None:
        relay = self._relay
        transport = self._transport
        assert transport is not None
        self._half_close = self._offer_half_close and transport.can_write_eof()
        frontend, link = relay.add_frontend(single_use=True, half_close=self._half_close)
        self._frontend = frontend
        relay.feed_frontend(frontend, packets.dial_request(address, next(_randoms)))
        conn_id = await _await_dial(link, self._respond)
        self._dialing = None
        if conn_id is None or self._lost:
            return
        transport.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        self._conn_id = conn_id
        link.attach(self._from_agent)
        early, self._early = self._early, b""
        if early:
            self._feed(early)
        if self._waiting is None and not self._lost:
            transport.resume_reading()

    # -- agent -> client -----------------------------------------------------------------------
    def _from_agent(self, packet: Packet | None, size: int) -> None:
        """The link's sink: write the agent's bytes to the client as they come; the target's
        HALF_CLOSE shuts the client socket's write side (after those bytes)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # closed by us or the client: what is left has nowhere to go
        if packet is None or packet.type == packets.CLOSE_RSP:
            self._close()
        elif packet.type == packets.DATA:
            transport.write(packet.data.data)  # may call pause_writing at once
            if self._write_paused:
                self._unreported.append((packet, size))
            elif self._frontend is not None:
                self._relay.frontend_wrote(self._frontend, packet, size)
        elif packet.type == packets.HALF_CLOSE:
            self._target_ended = True
            transport.write_eof()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        written, self._unreported = self._unreported, []
        if self._frontend is not None:
            for packet, size in written:
                self._relay.frontend_wrote(self._frontend, packet, size)

    def _respond(self, status: int, reason: str) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(_response(status, reason))
        self._close()


def _parse_request(head: bytes) -> tuple[tuple[int, str] | None, str]:
    """(None, host:port) for a CONNECT request, else ((status, reason), "")."""
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return (400, f"malformed request line {request_line!r}"), ""
    method, target, _ = parts
    if method != "CONNECT":
        return (405, "this proxy only supports CONNECT passthrough"), ""
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        return (400, f"CONNECT target must be host:port, got {target!r}"), ""
    return None, target


async def _await_dial(link: Link, respond: Callable[[int, str], None]) -> int | None:
    packet = await link.get()
    if packet is None or packet.type != packets.DIAL_RSP:
        respond(502, "the tunnel ended before the dial was answered")
        return None
    error = packet.dialResponse.error
    if error:
        respond(_status_for(error), error)
        return None
    return packet.dialResponse.connectID


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


_PHRASES: Final = {
    400: "Bad Request",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _response(status: int, reason: str) -> bytes:
    body = (reason + "\n").encode()
    return (
        f"HTTP/1.1 {status} {_PHRASES.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
