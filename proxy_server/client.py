"""A konnectivity client for hub programs: dial `host:port` through a proxy-server.

    client = TunnelClient("proxy.hub:8090", credentials=grpc.ssl_channel_credentials(...))
    stream = await client.dial("api.shop.c2:8080")
    await stream.write(b"GET / HTTP/1.1\\r\\nHost: api\\r\\n\\r\\n")
    reply = await stream.read()
    await stream.close()

Each dial is one `Proxy` stream (upstream's single-use contract) over one shared channel, so
it works against upstream servers too; HTTP/2 multiplexes the streams on one TCP connection.
Built with `tls_files` instead of `credentials`, the client follows certificate rotation: when
the files change, later dials go over a new channel with the new certificate and CA bundle, and
streams already open stay on the old channel until `close()`.
Each stream announces our tunnel features; when the server answers with `credit`, the stream
grants the server a window of `window` bytes and sends only within the server's window; with
`halfclose`, `write_eof()` ends our direction only and `read()` returns b"" when the far side
ended its own (without it, `write_eof()` closes the connection, as ANP has no half-close).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from typing import Final

import grpc

from ocm_core.tlsfiles import TLSFileSet, TLSMaterial
from protos._gen.client_pb2 import Packet
from protos.tunnel import (
    ConnectionClosed,
    DataReceived,
    DialFailed,
    DialSucceeded,
    FrontendEndpoint,
    HalfClosed,
    RemoteProtocolError,
)
from protos.tunnel.flow import DEFAULT_WINDOW, FEATURE_CREDIT
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.headers import feature_metadata, negotiate

METHOD: Final = "/ProxyService/Proxy"
CLOSE_TIMEOUT: Final = 10.0
#: Largest DATA packet a write is split into: well under the 8 MiB message limit, and large
#: enough that gRPC's per-message cost stays small (see docs/performance.md).
MAX_DATA: Final = 1024 * 1024
#: Extensions a client announces unless told otherwise.
DEFAULT_FEATURES: Final = frozenset({FEATURE_CREDIT, FEATURE_HALF_CLOSE})
#: Seconds between checks of `tls_files` (a dial reads a few small files at most this often).
TLS_FILES_CHECK_INTERVAL: Final = 1.0
_random = random.SystemRandom()


class DialError(ConnectionError):
    """The tunnel could not reach the address; the message is the server's or agent's reason."""


class TunnelClient:
    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        options: list[tuple[str, int | str]] | None = None,
        features: frozenset[str] = DEFAULT_FEATURES,
        window: int = DEFAULT_WINDOW,
        tls_files: TLSFileSet | None = None,
    ) -> None:
        self._features = features
        self._window = window
        self._target = target
        self._options = [
            ("grpc.max_receive_message_length", 8 * 1024 * 1024),
            ("grpc.max_send_message_length", 8 * 1024 * 1024),
            *(options or []),
        ]
        self._tls_files = tls_files
        self._next_check = 0.0
        #: Channels replaced after a certificate change: their open streams live on.
        self._retired: list[grpc.aio.Channel] = []
        if tls_files is not None:
            credentials = _credentials(tls_files.current)
        self._open_channel(credentials)

    def _open_channel(self, credentials: grpc.ChannelCredentials | None) -> None:
        self._channel = (
            grpc.aio.secure_channel(self._target, credentials, options=self._options)
            if credentials is not None
            else grpc.aio.insecure_channel(self._target, options=self._options)
        )
        self._method = self._channel.stream_stream(
            METHOD,
            request_serializer=Packet.SerializeToString,
            response_deserializer=Packet.FromString,
        )

    def _follow_tls_files(self) -> None:
        now = time.monotonic()
        if self._tls_files is None or now < self._next_check:
            return
        self._next_check = now + TLS_FILES_CHECK_INTERVAL
        material = self._tls_files.refresh()
        if material is not None:
            self._retired.append(self._channel)
            self._open_channel(_credentials(material))

    async def dial(self, address: str, *, timeout: float = 30.0) -> TunnelStream:
        """Open a connection to `address`; raises DialError with the reason if it fails."""
        self._follow_tls_files()
        call = self._method(None, metadata=feature_metadata(self._features))
        stream = TunnelStream(call, self._features, self._window)
        try:
            async with asyncio.timeout(timeout):
                await stream.connect(address)
        except BaseException:
            call.cancel()
            raise
        return stream

    async def close(self) -> None:
        for channel in [*self._retired, self._channel]:
            await channel.close(None)

    async def __aenter__(self) -> TunnelClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _credentials(material: TLSMaterial) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(material.ca, material.key, material.cert)


class TunnelStream:
    """One tunnelled connection: bytes in order both ways; a close ends both directions,
    `write_eof()` only ours when the server negotiated `halfclose`."""

    def __init__(
        self,
        call: grpc.aio.StreamStreamCall[Packet, Packet],
        features: frozenset[str] = frozenset(),
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self._call = call
        self._features = features
        self._negotiated = False
        self._endpoint = FrontendEndpoint(lambda: _random.randrange(1, 1 << 62), window=window)
        self._conn_id = 0
        self._buffer: deque[bytes] = deque()
        self._closed_error: str | None = None
        #: The far side sends no more (HALF_CLOSE); our direction may still be open.
        self._read_ended = False
        # A reader and a writer may both need the next packet (the writer for credit), and
        # grpc.aio allows one read and one write at a time: whoever holds the lock reads.
        self._read_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()

    @property
    def credit(self) -> bool:
        """The server negotiated per-connection flow control on this stream."""
        return self._endpoint.credit

    @property
    def half_close(self) -> bool:
        """The server negotiated `halfclose`: `write_eof()` keeps the other direction open."""
        return self._endpoint.half_close

    @property
    def closed(self) -> bool:
        return self._closed_error is not None

    async def connect(self, address: str) -> None:
        self._endpoint.dial(address)
        await self._flush()
        while not self._conn_id:
            for event in await self._next_events():
                if isinstance(event, DialSucceeded):
                    self._conn_id = event.conn_id
                elif isinstance(event, DialFailed):
                    raise DialError(f"dial {address}: {event.error}")

    async def read(self) -> bytes:
        """The next bytes from the far side; b"" once it ended (closed or half-closed)."""
        while not self._buffer and self._closed_error is None and not self._read_ended:
            async with self._read_lock:
                if not self._buffer and self._closed_error is None and not self._read_ended:
                    await self._next_events()
        if self._buffer:
            data = self._buffer.popleft()
            self._endpoint.consumed(self._conn_id, len(data))
            # No grant to a stream the server ended: the write would fail and mask its status.
            if not self._call.done():
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await self._flush()
            return data
        if self._closed_error is not None:
            self._call.cancel()  # the connection is over: end the stream too
        return b""

    async def write(self, data: bytes) -> None:
        """Send `data`; with credit, waits while the server's window for us is used up."""
        view = memoryview(data)
        while True:
            if self._closed_error is not None:
                raise ConnectionResetError(f"connection closed: {self._closed_error or 'by peer'}")
            if not view:
                return
            allowance = self._endpoint.send_allowance(self._conn_id)
            size = min(len(view), MAX_DATA if allowance is None else min(allowance, MAX_DATA))
            if size > 0:
                chunk = data if size == len(data) else bytes(view[:size])  # no copy if whole
                self._endpoint.send_data(self._conn_id, chunk)
                view = view[size:]
                await self._flush()
                continue
            async with self._read_lock:
                if self._endpoint.send_allowance(self._conn_id) == 0:
                    await self._next_events()

    async def write_eof(self) -> None:
        """We send no more. With `halfclose` negotiated `read()` still returns the far side's
        bytes until it ends too; otherwise this closes the connection (ANP has no half-close),
        like `shutdown()`."""
        if self._closed_error is None and self._conn_id:
            self._endpoint.write_eof(self._conn_id)
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self._flush()

    async def shutdown(self) -> None:
        """Ask the far side to close without waiting: a concurrent `read()` sees the end.

        Use this instead of `close()` when another task is reading the stream."""
        if self._closed_error is None and self._conn_id:
            self._endpoint.close(self._conn_id)
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self._flush()

    async def close(self) -> None:
        """Close both directions and wait (bounded) for the far side to confirm."""
        if self._closed_error is None and self._conn_id:
            self._endpoint.close(self._conn_id)
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError, TimeoutError):
                await self._flush()
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    while self._closed_error is None:
                        await self._next_events()
        self._call.cancel()

    async def _flush(self) -> None:
        async with self._write_lock:
            for packet in self._endpoint.packets_to_send():
                await self._call.write(packet)

    async def _negotiate(self) -> None:
        """Before the first packet is handled: did the server agree to our features?

        Read only once a packet arrived, because an upstream server sends its headers with
        its first message, not before."""
        self._negotiated = True
        metadata = await self._call.initial_metadata()
        features = negotiate(self._features, metadata or ())
        self._endpoint.credit = FEATURE_CREDIT in features
        self._endpoint.half_close = FEATURE_HALF_CLOSE in features

    async def _next_events(self) -> list[object]:
        packet = await self._call.read()
        if not self._negotiated and isinstance(packet, Packet):
            await self._negotiate()
        if not isinstance(packet, Packet):  # grpc.aio.EOF
            self._closed_error = self._closed_error or "stream ended"
            if not self._conn_id:
                raise DialError(f"the proxy-server ended the stream: {await self._call.details()}")
            return []
        try:
            events = self._endpoint.receive_packet(packet)
        except RemoteProtocolError as exc:
            self._call.cancel()
            raise ConnectionResetError(f"proxy-server broke the protocol: {exc}") from exc
        await self._flush()
        for event in events:
            if isinstance(event, DataReceived):
                self._buffer.append(event.data)
            elif isinstance(event, HalfClosed):
                self._read_ended = True
            elif isinstance(event, ConnectionClosed):
                self._closed_error = event.error
        return list(events)
