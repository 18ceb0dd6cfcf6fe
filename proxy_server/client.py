"""A konnectivity client for hub programs: dial `host:port` through a proxy-server.

    client = TunnelClient("proxy.hub:8090", credentials=grpc.ssl_channel_credentials(...))
    stream = await client.dial("api.shop.c2:8080")
    await stream.write(b"GET / HTTP/1.1\\r\\nHost: api\\r\\n\\r\\n")
    reply = await stream.read()
    await stream.close()

Each dial is one `Proxy` stream (upstream's single-use contract) over one shared channel, so
it works against upstream servers too; HTTP/2 multiplexes the streams on one TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Final

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import (
    ConnectionClosed,
    DataReceived,
    DialFailed,
    DialSucceeded,
    FrontendEndpoint,
    RemoteProtocolError,
)

METHOD: Final = "/ProxyService/Proxy"
CLOSE_TIMEOUT: Final = 10.0
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
    ) -> None:
        opts = [
            ("grpc.max_receive_message_length", 8 * 1024 * 1024),
            ("grpc.max_send_message_length", 8 * 1024 * 1024),
            *(options or []),
        ]
        self._channel = (
            grpc.aio.secure_channel(target, credentials, options=opts)
            if credentials is not None
            else grpc.aio.insecure_channel(target, options=opts)
        )
        self._method = self._channel.stream_stream(
            METHOD,
            request_serializer=Packet.SerializeToString,
            response_deserializer=Packet.FromString,
        )

    async def dial(self, address: str, *, timeout: float = 30.0) -> TunnelStream:
        """Open a connection to `address`; raises DialError with the reason if it fails."""
        call = self._method(None)
        stream = TunnelStream(call)
        try:
            async with asyncio.timeout(timeout):
                await stream.connect(address)
        except BaseException:
            call.cancel()
            raise
        return stream

    async def close(self) -> None:
        await self._channel.close(None)

    async def __aenter__(self) -> TunnelClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class TunnelStream:
    """One tunnelled connection: bytes in order both ways; a close ends both directions."""

    def __init__(self, call: grpc.aio.StreamStreamCall[Packet, Packet]) -> None:
        self._call = call
        self._endpoint = FrontendEndpoint(lambda: _random.randrange(1, 1 << 62))
        self._conn_id = 0
        self._buffer: list[bytes] = []
        self._closed_error: str | None = None

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
        """The next bytes from the far side; b"" once the connection is closed."""
        while not self._buffer and self._closed_error is None:
            await self._next_events()
        if self._buffer:
            return self._buffer.pop(0)
        self._call.cancel()  # the connection is over: end the stream too
        return b""

    async def write(self, data: bytes) -> None:
        if self._closed_error is not None:
            raise ConnectionResetError(f"connection closed: {self._closed_error or 'by peer'}")
        self._endpoint.send_data(self._conn_id, data)
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
            with contextlib.suppress(grpc.aio.AioRpcError, TimeoutError):
                await self._flush()
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    while self._closed_error is None:
                        await self._next_events()
        self._call.cancel()

    async def _flush(self) -> None:
        for packet in self._endpoint.packets_to_send():
            await self._call.write(packet)

    async def _next_events(self) -> list[object]:
        packet = await self._call.read()
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
            elif isinstance(event, ConnectionClosed):
                self._closed_error = event.error
        return list(events)
