"""`AgentService.Connect`: one agent stream in, relayed through the switchboard.

Handshake as upstream: read `agentid` (exactly one) and `agentidentifiers`, check who the
certificate says the agent is, answer at once with `serverid` and `servercount` headers, then
pump packets both ways until either side ends the stream. Our extension: an agent that lists
`x-ocm-tunnel-features` gets the intersection with ours back in the same headers, and those
features (per-connection `credit`, `batch`, `halfclose`) are used on the stream; ANP agents
see nothing new.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import grpc

from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError
from protos.tunnel.batching import BATCH, FEATURE_BATCH, BurstMeter, pack, unpack
from protos.tunnel.flow import FEATURE_CREDIT
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.lane import FEATURE_LANE, LANE_PORT
from proxy_server.admission import AgentAdmission, Refusal, log_connected, log_disconnected
from proxy_server.backends import Backend
from proxy_server.identity import cluster_of_certificate
from proxy_server.relay import Link, Relay

logger = logging.getLogger(__name__)
METHOD = "/AgentService/Connect"


class AgentService:
    def __init__(
        self, relay: Relay, admission: AgentAdmission, *, lane_port: int | None = None
    ) -> None:
        """`lane_port`: offer agents that announce `lane` this port (see `protos.tunnel.lane`)."""
        self._relay = relay
        self._lane_port = lane_port
        if lane_port is not None:
            admission = replace(admission, offered=admission.offered | {FEATURE_LANE})
        self._admission = admission

    def handler(self) -> grpc.GenericRpcHandler[Packet, Packet]:
        method = grpc.stream_stream_rpc_method_handler(
            self.connect,
            request_deserializer=Packet.FromString,
            response_serializer=Packet.SerializeToString,
        )
        return grpc.method_handlers_generic_handler("AgentService", {"Connect": method})

    async def connect(
        self, requests: AsyncIterator[Packet], context: grpc.aio.ServicerContext[Packet, Packet]
    ) -> None:
        admitted = await self._admit(context)
        if admitted is None:
            return
        backend, features = admitted
        answer = self._admission.answer(features)
        if FEATURE_LANE in features:
            answer[LANE_PORT] = str(self._lane_port)
        await context.send_initial_metadata(tuple(answer.items()))
        relay = self._relay
        link = relay.add_agent(
            backend,
            credit=FEATURE_CREDIT in features,
            half_close=FEATURE_HALF_CLOSE in features,
        )
        gauge = self._relay.metrics.grpc_connections.labels("Connect")
        gauge.inc()
        log_connected(backend, features, lane=False)
        key = backend.key
        batch = FEATURE_BATCH in features
        reader = asyncio.ensure_future(self._read(backend, requests, batch=batch))
        writer = asyncio.ensure_future(
            write_link(link, context, lambda p, size: relay.agent_wrote(key, p, size), batch=batch)
        )
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            reader.cancel()
            writer.cancel()
            gauge.dec()
            relay.remove_agent(key)
            log_disconnected(backend, lane=False)

    async def _admit(
        self, context: grpc.aio.ServicerContext[Packet, Packet]
    ) -> tuple[Backend, frozenset[str]] | None:
        """The agent's backend and the negotiated features, or None once refused."""
        result = self._admission.admit(
            context.invocation_metadata() or (), cluster=_peer_cluster(context)
        )
        if isinstance(result, Refusal):
            await self._refuse(context, grpc.StatusCode[result.code], result.message, result.reason)
            return None
        return result.backend, result.features

    async def _refuse(
        self,
        context: grpc.aio.ServicerContext[Packet, Packet],
        code: grpc.StatusCode,
        message: str,
        reason: str,
    ) -> None:
        logger.warning("refused agent stream: %s", message, extra={"peer": context.peer()})
        self._relay.metrics.errors.labels(reason).inc()
        await context.abort(code, message)

    async def _read(
        self, backend: Backend, requests: AsyncIterator[Packet], *, batch: bool
    ) -> None:
        relay = self._relay
        async for message in requests:
            try:
                for packet in unpack(message) if batch and message.type == BATCH else (message,):
                    waiting = relay.feed_agent(backend.key, packet)
                    if waiting is not None:
                        await waiting
            except RemoteProtocolError as exc:
                relay.refused_agent_packet(backend.agent_id, message, exc)


async def write_link(
    link: Link,
    context: grpc.aio.ServicerContext[Packet, Packet],
    wrote: Callable[[Packet, int], None],
    *,
    batch: bool = False,
) -> None:
    """Write the link's packets to the stream, reporting each one written (with its DATA
    payload size, see `Link`) until it ends;
    with `batch` (negotiated), small queued packets share messages, and while packets come in
    bursts the writer lets other connections' packets settle into the queue before taking it."""
    bursts = BurstMeter()
    settle = 0
    while True:
        queued = await link.get_batch(settle)
        sent = [(packet, size) for packet, size in queued if packet is not None]
        ready = [packet for packet, _ in sent]
        if batch:
            settle = bursts.took(len(ready))
        if batch and len(ready) > 1:
            ready = pack(ready, sizes=[size for _, size in sent])
        for message in ready:
            await context.write(message)
        for packet, size in sent:
            wrote(packet, size)
        if queued[-1][0] is None:
            return


def _peer_cluster(context: grpc.aio.ServicerContext[Packet, Packet]) -> str | None:
    pems = list(context.auth_context().get("x509_pem_cert", ()))
    return cluster_of_certificate(pems[0]) if pems else None
