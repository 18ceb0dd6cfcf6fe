"""The lane port: agent links as length-prefixed packets over mTLS (`protos.tunnel.lane`).

Each agent connection is an asyncio protocol (`AgentLane`). It reads the preface and the
agent's hello, runs the same admission as `AgentService.Connect` (the certificate's cluster
against the advertised identifiers), answers with the server headers, and from then on
feeds every packet it reads to the relay and writes what the relay pushes onto its `Link`.
Writes made in one event-loop iteration leave together (`ocm_core.lanetransport.FrameWriter`),
and each DATA packet is reported written (so credit flows back to its frontend) once it is in
the transport and the transport is below its high-water mark.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, Final, cast

from ocm_core.lanetransport import FrameWriter, prepare
from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError, packets
from protos.tunnel.batching import FEATURE_BATCH
from protos.tunnel.flow import FEATURE_CREDIT
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.lane import (
    FEATURE_LANE,
    MAX_HELLO,
    REFUSAL,
    FrameBuffer,
    decode_headers,
    decode_packets,
    encode_headers,
)
from proxy_server.admission import (
    INVALID_ARGUMENT,
    AgentAdmission,
    Refusal,
    log_connected,
    log_disconnected,
)
from proxy_server.backends import Backend
from proxy_server.identity import cluster_of_certificate
from proxy_server.relay import Relay

logger = logging.getLogger(__name__)

#: An agent that has not sent its hello this long after connecting is cut off.
HELLO_TIMEOUT: Final = 10.0
#: Features that mean nothing on a lane: packing packets saves gRPC messages, not frames.
LANE_OFF: Final = frozenset({FEATURE_BATCH, FEATURE_LANE})


class LanePort:
    """The listener and its open lanes (closed on `close`)."""

    def __init__(
        self,
        relay: Relay,
        admission: AgentAdmission,
        *,
        max_frame: int,
        keepalive_time: float,
    ) -> None:
        self.relay = relay
        self.admission = replace(admission, offered=admission.offered - LANE_OFF)
        self.max_frame = max_frame
        self.keepalive_time = keepalive_time
        self.lanes: set[AgentLane] = set()
        self._server: asyncio.Server | None = None

    async def start(
        self, host: str, port: int, tls: ssl.SSLContext | None, *, reuse_port: bool = False
    ) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: AgentLane(self), host, port, ssl=tls, reuse_port=reuse_port or None
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for lane in list(self.lanes):
            lane.close()


class AgentLane(asyncio.BufferedProtocol):
    """One agent's lane: hello, admission, then packets both ways."""

    def __init__(self, port: LanePort) -> None:
        self._port = port
        self._relay = port.relay
        self._transport: asyncio.Transport | None = None
        self._frames = FrameBuffer(MAX_HELLO, expect_preface=True)
        self._backend: Backend | None = None
        self._hello_timer: asyncio.TimerHandle | None = None
        self._writer: FrameWriter | None = None
        #: DATA packets not yet written, or written while above the high-water mark: to report.
        self._unreported: list[tuple[Packet, int]] = []
        self._write_paused = False
        #: Packets read while the relay made us wait (a plain stalled connection); fed next.
        self._backlog: list[Packet] = []
        self._waiting: asyncio.Task[None] | None = None
        self._lost = False
        self._refused = False

    # -- lifecycle -----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not `asyncio.Transport` subclasses, but they are ones.
        self._transport = cast(asyncio.Transport, transport)
        prepare(self._transport, self._port.keepalive_time)
        self._writer = FrameWriter(self._transport, self._after_flush)
        self._port.lanes.add(self)
        loop = asyncio.get_running_loop()
        self._hello_timer = loop.call_later(HELLO_TIMEOUT, self._hello_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._port.lanes.discard(self)
        if self._hello_timer is not None:
            self._hello_timer.cancel()
        if self._waiting is not None:
            self._waiting.cancel()
        backend = self._backend
        if backend is not None:
            self._backend = None
            self._relay.metrics.agent_lanes.dec()
            self._relay.remove_agent(backend.key)
            log_disconnected(backend, lane=True, error=str(exc or ""))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _hello_timed_out(self) -> None:
        if self._backend is None:
            logger.warning("lane peer sent no hello within %.0f s", HELLO_TIMEOUT)
            self._abort("no_hello")

    def _abort(self, reason: str) -> None:
        self._relay.metrics.errors.labels(reason).inc()
        if self._transport is not None:
            self._transport.abort()

    # -- reading -------------------------------------------------------------------------------
    def get_buffer(self, sizehint: int) -> memoryview:
        return self._frames.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        if self._refused:
            return  # what a refused peer sends while we close is not read
        try:
            payloads = self._frames.buffer_updated(nbytes)
            if self._backend is None and payloads:
                if not self._hello(bytes(payloads[0])):
                    return
                payloads = payloads[1:]
            received = decode_packets(payloads)  # now: the views are good until the next read
        except RemoteProtocolError as exc:
            logger.warning("closing lane: %s", exc, extra={"peer": self._peer()})
            self._abort("lane_protocol")
            return
        if self._waiting is not None:
            self._backlog.extend(received)
        else:
            self._feed(received)

    def _feed(self, received: list[Packet]) -> None:
        backend = self._backend
        relay = self._relay
        assert backend is not None
        for index, packet in enumerate(received):
            try:
                waiting = relay.feed_agent(backend.key, packet)
            except RemoteProtocolError as exc:
                relay.refused_agent_packet(backend.agent_id, packet, exc)
                continue
            if waiting is not None:
                self._wait_for(waiting, received[index + 1 :])
                return

    def _wait_for(self, waiting: Coroutine[Any, Any, None], rest: list[Packet]) -> None:
        """A plain agent's stalled connection holds the lane's reading, as it holds a gRPC
        stream's (bounded by the relay's stalled timeout)."""
        assert self._transport is not None
        self._transport.pause_reading()
        self._backlog = rest
        self._waiting = asyncio.ensure_future(self._resume_after(waiting))

    async def _resume_after(self, waiting: Coroutine[Any, Any, None]) -> None:
        await waiting
        self._waiting = None
        backlog, self._backlog = self._backlog, []
        self._feed(backlog)
        if self._waiting is None and not self._lost and self._transport is not None:
            self._transport.resume_reading()

    # -- admission -----------------------------------------------------------------------------
    def _hello(self, payload: bytes) -> bool:
        """Admit the agent named in its hello; False once refused."""
        port = self._port
        if self._hello_timer is not None:
            self._hello_timer.cancel()
        try:
            metadata = decode_headers(payload)
        except RemoteProtocolError as exc:
            return self._refuse(Refusal(INVALID_ARGUMENT, str(exc), "bad_metadata"))
        result = port.admission.admit(metadata, cluster=self._peer_cluster())
        if isinstance(result, Refusal):
            return self._refuse(result)
        backend, features = result.backend, result.features
        self._backend = backend
        self._frames.set_limit(port.max_frame)
        self._write(encode_headers(port.admission.answer(features).items()))
        link = self._relay.add_agent(
            backend,
            credit=FEATURE_CREDIT in features,
            half_close=FEATURE_HALF_CLOSE in features,
        )
        link.attach(self._send)
        self._relay.metrics.agent_lanes.inc()
        log_connected(backend, features, lane=True)
        return True

    def _refuse(self, refusal: Refusal) -> bool:
        self._refused = True
        logger.warning("refused agent lane: %s", refusal.message, extra={"peer": self._peer()})
        self._relay.metrics.errors.labels(refusal.reason).inc()
        self._write(encode_headers([(REFUSAL, f"{refusal.code}: {refusal.message}")]))
        self._flush()
        self.close()
        return False

    def _peer_cluster(self) -> str | None:
        transport = self._transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return cluster_of_certificate(ssl.DER_cert_to_PEM_cert(der).encode()) if der else None

    def _peer(self) -> str:
        transport = self._transport
        return str(transport.get_extra_info("peername")) if transport is not None else ""

    # -- writing -------------------------------------------------------------------------------
    def _send(self, packet: Packet | None, size: int) -> None:
        """The link's sink: frame the relay's packets for the agent."""
        if packet is None:
            self._flush()
            self.close()
            return
        self._write(packet.SerializeToString())
        if packet.type == packets.DATA:
            self._unreported.append((packet, size))

    def _write(self, payload: bytes) -> None:
        if self._writer is not None:
            self._writer.write(payload)

    def _flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def _after_flush(self) -> None:
        if not self._write_paused:
            self._report()

    def _report(self) -> None:
        written, self._unreported = self._unreported, []
        backend = self._backend
        if backend is not None:
            for packet, size in written:
                self._relay.agent_wrote(backend.key, packet, size)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._writer is not None and not self._writer.pending:
            self._report()
