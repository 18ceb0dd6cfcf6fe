"""A minimal konnectivity frontend client: one connection over one `/ProxyService/Proxy` call.

It does what konnectivity-client's single-use gRPC tunnel does: a new mTLS channel per
connection, DIAL_REQ{tcp, address, random} -> DIAL_RSP{connectID}, DATA both ways, and
CLOSE_REQ -> CLOSE_RSP to finish. Exposed as a Stream so every row can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import grpc
from grpc import aio

from protos._gen import client_pb2

MAX_DATA: Final = 1 << 20
"""Largest DATA payload sent: big messages amortise grpc.aio's per-message cost (perf spec §9),
and 1 MiB stays under every peer's default 4 MiB receive limit."""
PROXY_METHOD: Final = "/ProxyService/Proxy"
CLOSE_WAIT_S: Final = 2.0
CHANNEL_OPTIONS: Final = (
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
    # The server certificate names localhost; we dial 127.0.0.1.
    ("grpc.ssl_target_name_override", "localhost"),
)


Call = aio.StreamStreamCall[client_pb2.Packet, client_pb2.Packet]


class DialError(ConnectionError):
    """The server or agent refused the dial; the message is its DIAL_RSP error."""


class StreamBrokenError(ConnectionResetError):
    """The gRPC call failed (server unreachable, stream reset); the rows see an OSError."""


@contextlib.contextmanager
def _grpc_errors_as_oserror() -> Iterator[None]:
    # The one boundary where gRPC's exceptions enter: rows handle OSError only.
    try:
        yield
    except aio.AioRpcError as error:
        raise StreamBrokenError(f"{error.code().name}: {error.details()}") from error


@dataclass(frozen=True)
class FrontendTls:
    ca: bytes
    cert: bytes
    key: bytes

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )


async def _read_packet(call: Call) -> client_pb2.Packet | None:
    """The next packet, or None at the end of the stream (aio.EOF)."""
    packet = await call.read()
    return packet if isinstance(packet, client_pb2.Packet) else None


async def _dial_on(call: Call, address: str) -> int:
    """DIAL_REQ -> DIAL_RSP on a fresh Proxy call; the connectID, or DialError."""
    dial_id = secrets.randbits(62)
    await call.write(
        client_pb2.Packet(
            type=client_pb2.DIAL_REQ,
            dialRequest=client_pb2.DialRequest(protocol="tcp", address=address, random=dial_id),
        )
    )
    answer = await _read_packet(call)
    if answer is None:
        raise DialError(f"server ended the stream before answering the dial of {address}")
    if answer.type != client_pb2.DIAL_RSP or answer.dialResponse.random != dial_id:
        raise DialError(f"expected DIAL_RSP for dial {dial_id}, got {answer}")
    if answer.dialResponse.error:
        raise DialError(answer.dialResponse.error)
    return answer.dialResponse.connectID


class KonnectivityStream:
    """A Stream over one Proxy call; owns its channel."""

    def __init__(
        self,
        channel: aio.Channel,
        call: Call,
        connect_id: int,
    ) -> None:
        self._channel = channel
        self._call = call
        self._connect_id = connect_id
        self._pending = memoryview(b"")
        self._eof = False

    @classmethod
    async def dial(cls, *, server: str, address: str, tls: FrontendTls) -> KonnectivityStream:
        """Open a channel and a Proxy call, dial `address`; the stream owns both."""
        channel = aio.secure_channel(server, tls.credentials(), options=CHANNEL_OPTIONS)
        try:
            with _grpc_errors_as_oserror():
                proxy: aio.StreamStreamMultiCallable[client_pb2.Packet, client_pb2.Packet] = (
                    channel.stream_stream(
                        PROXY_METHOD,
                        request_serializer=client_pb2.Packet.SerializeToString,
                        response_deserializer=client_pb2.Packet.FromString,
                    )
                )
                call = proxy(None)
                connect_id = await _dial_on(call, address)
        except BaseException:
            await channel.close(None)
            raise
        return cls(channel, call, connect_id)

    async def send(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), MAX_DATA):
            with _grpc_errors_as_oserror():
                await self._call.write(
                    client_pb2.Packet(
                        type=client_pb2.DATA,
                        data=client_pb2.Data(
                            connectID=self._connect_id, data=bytes(view[start : start + MAX_DATA])
                        ),
                    )
                )

    async def receive(self, max_bytes: int) -> bytes:
        while not self._pending and not self._eof:
            with _grpc_errors_as_oserror():
                packet = await _read_packet(self._call)
            if packet is None or packet.type in (client_pb2.CLOSE_RSP, client_pb2.DIAL_CLS):
                self._eof = True
            elif packet.type == client_pb2.DATA:
                self._pending = memoryview(packet.data.data)
        chunk, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return bytes(chunk)

    async def close(self) -> None:
        try:
            if not self._eof:
                await self._call.write(
                    client_pb2.Packet(
                        type=client_pb2.CLOSE_REQ,
                        closeRequest=client_pb2.CloseRequest(connectID=self._connect_id),
                    )
                )
                await self._call.done_writing()
                async with asyncio.timeout(CLOSE_WAIT_S):
                    while await self.receive(MAX_DATA):
                        pass
        except (aio.AioRpcError, OSError, TimeoutError, asyncio.InvalidStateError):
            pass
        finally:
            with contextlib.suppress(aio.AioRpcError):
                await self._channel.close(None)
