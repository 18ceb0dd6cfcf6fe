"""The agent's end of a lane (`protos.tunnel.lane`): open it, then read and write packets.

`LaneCall` offers what `Session` uses of a gRPC stream call (`read`, `write`, `cancel`), so a
session runs the same over either. Writes made in one event-loop iteration leave together
(`ocm_core.lanetransport.FrameWriter`); `write` waits only while the transport is above its
high-water mark.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from typing import Final, cast

from ocm_core import pki
from ocm_core.lanetransport import FrameWriter, prepare
from ocm_core.tlsfiles import TLSMaterial
from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError
from protos.tunnel.lane import (
    ALPN,
    MAX_HELLO,
    PREFACE,
    REFUSAL,
    FrameBuffer,
    decode_headers,
    decode_packets,
    encode_headers,
    frame,
)

logger = logging.getLogger(__name__)

#: Largest frame accepted from the server (its DATA packets are at most 1 MiB).
MAX_FRAME: Final = 8 * 1024 * 1024
#: Packets read and not yet taken by the session above which the lane stops reading, and at
#: which it reads again.
INBOX_HIGH: Final = 512
INBOX_LOW: Final = 64


class LaneRefusedError(Exception):
    """The server answered the hello with a refusal, or not at all; the message says why."""


def client_context(material: TLSMaterial) -> ssl.SSLContext:
    """The agent's mTLS context for the lane: the same files as its gRPC channel."""
    if material.ca is None:
        raise ssl.SSLError("the lane needs the CA of the proxy-server's certificate")
    chain = pki.load_certificates_pem(material.cert) if material.cert else []
    key = pki.load_private_key_pem(material.key) if material.key else None
    context = pki.client_ssl_context(pki.CABundle.from_pem(material.ca), chain=chain, key=key)
    context.set_alpn_protocols([ALPN])
    return context


async def open_lane(
    host: str,
    port: int,
    metadata: list[tuple[str, str]],
    *,
    tls: ssl.SSLContext | None,
    server_hostname: str | None,
    keepalive_time: float,
    timeout: float,
) -> tuple[LaneCall, list[tuple[str, str]]]:
    """Connect, say hello with `metadata`, and return the lane and the server's headers;
    raises OSError, TimeoutError or LaneRefusedError."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, call = await loop.create_connection(
            lambda: LaneCall(keepalive_time),
            host,
            port,
            ssl=tls,
            server_hostname=server_hostname if tls is not None else None,
        )
        call.hello(metadata)
        try:
            answer = await call.answer
        except BaseException:
            call.answer.cancel()  # nobody waits for it any more
            call.cancel()
            raise
    refusal = next((value for key, value in answer if key == REFUSAL), None)
    if refusal is not None:
        call.cancel()
        raise LaneRefusedError(refusal)
    return call, answer


class LaneCall(asyncio.BufferedProtocol):
    def __init__(self, keepalive_time: float) -> None:
        self._keepalive_time = keepalive_time
        self._transport: asyncio.Transport | None = None
        self._frames = FrameBuffer(MAX_HELLO)
        self.answer: asyncio.Future[list[tuple[str, str]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._inbox: deque[Packet] = deque()
        self._readable: asyncio.Future[None] | None = None
        self._room: asyncio.Future[None] | None = None
        self._writer: FrameWriter | None = None
        self._closed = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        prepare(self._transport, self._keepalive_time)
        self._writer = FrameWriter(self._transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._frames.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        try:
            payloads = self._frames.buffer_updated(nbytes)
            if payloads and not self.answer.done():
                self.answer.set_result(decode_headers(bytes(payloads.pop(0))))
                self._frames.set_limit(MAX_FRAME)
            received = decode_packets(payloads)  # now: the views are good until the next read
        except RemoteProtocolError as exc:
            self._fail(LaneRefusedError(f"the lane server broke the protocol: {exc}"))
            return
        if received:
            self._inbox.extend(received)
            _wake(self._readable)
            if len(self._inbox) > INBOX_HIGH and self._transport is not None:
                # Only a server without credit sends more than its session can take: hold it
                # back here, as HTTP/2 flow control did on the gRPC stream.
                self._transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if not self.answer.done():
            self.answer.set_exception(
                LaneRefusedError(f"the server closed the lane before answering ({exc or 'EOF'})")
            )
        _wake(self._readable)
        _wake(self._room)

    def pause_writing(self) -> None:
        self._room = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self._room)
        self._room = None

    # -- what Session uses ---------------------------------------------------------------------
    def hello(self, metadata: list[tuple[str, str]]) -> None:
        assert self._transport is not None
        self._transport.write(PREFACE + frame(encode_headers(metadata)))

    async def read(self) -> Packet | None:
        """The next packet; None once the lane is closed."""
        while not self._inbox:
            if self._closed:
                return None
            self._readable = asyncio.get_running_loop().create_future()
            await self._readable
        if len(self._inbox) == INBOX_LOW and self._transport is not None:
            self._transport.resume_reading()
        return self._inbox.popleft()

    async def write(self, message: Packet) -> None:
        if self._closed or self._writer is None:
            return  # the reader sees the close and ends the session
        self._writer.write(message.SerializeToString())
        if self._room is not None:
            await asyncio.shield(self._room)

    def cancel(self) -> bool:
        """Close the lane (what `Session.close` asks of a gRPC call)."""
        if self._transport is None or self._writer is None or self._closed:
            return False
        self._writer.flush()
        self._transport.close()
        return True

    def _fail(self, error: LaneRefusedError) -> None:
        logger.warning("closing lane: %s", error)
        if not self.answer.done():
            self.answer.set_exception(error)
        self._closed = True
        _wake(self._readable)
        if self._transport is not None:
            self._transport.abort()


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
