"""`ProxyService.Proxy`: one frontend stream (upstream clients: one connection per stream).

A client that lists `x-ocm-tunnel-features` (our TunnelClient) gets the intersection with ours
in the response headers, sent at once; upstream clients send none and see plain ANP.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError
from protos.tunnel.flow import FEATURE_CREDIT
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.headers import feature_metadata, negotiate
from proxy_server.relay import Relay
from proxy_server.transport.grpc_agent import write_link

logger = logging.getLogger(__name__)
METHOD = "/ProxyService/Proxy"
#: Once its connection is over, how long a stream waits for the client to end it. Ending it
#: first races the client's last CREDIT grants, and a client write that meets an ended call
#: fails the whole call with INTERNAL, hiding its status and the bytes not read yet.
LINGER_SECONDS: Final = 5.0


class ProxyService:
    def __init__(self, relay: Relay, *, features: frozenset[str] = frozenset()) -> None:
        self._relay = relay
        self._features = features
        #: Looked up once: a labelled child per stream is a locked dict lookup on every dial.
        self._open_streams = relay.metrics.grpc_connections.labels("Proxy")

    def handler(self) -> grpc.GenericRpcHandler[Packet, Packet]:
        method = grpc.stream_stream_rpc_method_handler(
            self.proxy,
            request_deserializer=Packet.FromString,
            response_serializer=Packet.SerializeToString,
        )
        return grpc.method_handlers_generic_handler("ProxyService", {"Proxy": method})

    async def proxy(
        self, requests: AsyncIterator[Packet], context: grpc.aio.ServicerContext[Packet, Packet]
    ) -> None:
        # One connection per stream, as upstream clients expect: HTTP/2 already multiplexes
        # streams over one channel, so a client loses nothing by opening a stream per dial.
        relay = self._relay
        try:
            features = negotiate(self._features, context.invocation_metadata() or ())
        except RemoteProtocolError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if features:
            await context.send_initial_metadata(feature_metadata(features))
        frontend, link = relay.add_frontend(
            single_use=True,
            credit=FEATURE_CREDIT in features,
            half_close=FEATURE_HALF_CLOSE in features,
        )
        gauge = self._open_streams
        gauge.inc()
        client_done = asyncio.Event()
        reader = asyncio.ensure_future(self._read(frontend, requests, client_done))
        writer = asyncio.ensure_future(
            write_link(link, context, lambda p, size: relay.frontend_wrote(frontend, p, size))
        )
        try:
            await asyncio.wait(
                {reader, writer, link.when_aborted()}, return_when=asyncio.FIRST_COMPLETED
            )
            if _ended_cleanly(writer) and not reader.done():
                await _linger(reader, client_done)
        finally:
            reader.cancel()
            writer.cancel()
            gauge.dec()
            relay.remove_frontend(frontend)
        if link.abort_reason:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, link.abort_reason)
        error = reader.exception() if reader.done() and not reader.cancelled() else None
        if isinstance(error, RemoteProtocolError):
            relay.metrics.errors.labels("frontend_protocol").inc()
            logger.warning("refused frontend stream: %s", error, extra={"peer": context.peer()})
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    async def _read(
        self, frontend: int, requests: AsyncIterator[Packet], client_done: asyncio.Event
    ) -> None:
        """Feed the client's packets in; a protocol violation ends the stream (raised)."""
        relay = self._relay
        async for packet in requests:
            waiting = relay.feed_frontend(frontend, packet)
            if waiting is not None:
                await waiting
        client_done.set()
        # Half-closed by the client: keep the stream until its connection is over.
        await asyncio.Event().wait()


def _ended_cleanly(writer: asyncio.Future[None]) -> bool:
    return writer.done() and not writer.cancelled() and writer.exception() is None


async def _linger(reader: asyncio.Future[None], client_done: asyncio.Event) -> None:
    """Wait (bounded) until the client ends or half-closes its side of the stream."""
    done_writing = asyncio.ensure_future(client_done.wait())
    waiters: set[asyncio.Future[Any]] = {reader, done_writing}
    try:
        await asyncio.wait(waiters, timeout=LINGER_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    finally:
        done_writing.cancel()
