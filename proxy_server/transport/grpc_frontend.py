"""`ProxyService.Proxy`: one frontend stream (upstream clients: one connection per stream)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError
from proxy_server.relay import Relay
from proxy_server.transport.grpc_agent import _write

logger = logging.getLogger(__name__)
METHOD = "/ProxyService/Proxy"


class ProxyService:
    def __init__(self, relay: Relay) -> None:
        self._relay = relay

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
        frontend, link = relay.add_frontend(single_use=True)
        gauge = relay.metrics.grpc_connections.labels("Proxy")
        gauge.inc()
        reader = asyncio.ensure_future(self._read(frontend, requests))
        writer = asyncio.ensure_future(_write(link, context))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            reader.cancel()
            writer.cancel()
            gauge.dec()
            await relay.remove_frontend(frontend)
        error = reader.exception() if reader.done() and not reader.cancelled() else None
        if isinstance(error, RemoteProtocolError):
            relay.metrics.errors.labels("frontend_protocol").inc()
            logger.warning("refused frontend stream: %s", error, extra={"peer": context.peer()})
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    async def _read(self, frontend: int, requests: AsyncIterator[Packet]) -> None:
        """Feed the client's packets in; a protocol violation ends the stream (raised)."""
        async for packet in requests:
            await self._relay.from_frontend(frontend, packet)
        # Half-closed by the client: keep the stream until its connection is over.
        await asyncio.Event().wait()
