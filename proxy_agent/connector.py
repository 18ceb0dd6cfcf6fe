"""Keep one link to each of `serverCount` distinct proxy-servers (HA as upstream).

A link starts as an `AgentService.Connect` stream; when the server offers its lane port (our
servers, `protos.tunnel.lane`), the agent opens a lane there and the stream is retired as in a
renewal (below). A lane that cannot be opened leaves the stream in place, and is tried again
after 10 s, 30 s, 90 s ... up to 5 minutes, or at once when a server offers another port.

Every `sync_interval` (jittered, backing off x1.5 to `sync_interval_cap` on errors) the
connector dials the server address again while it holds fewer distinct server ids than the
servers announce; a stream to a server id it already holds is closed at once. When the
exposure list or the certificate changes, the streams are renewed so the servers learn the new
identifiers (or see the new certificate): new streams first, then the old ones drain and close
once their connections have finished and the server has had `DRAIN_SETTLE` seconds to stop
sending dials to them (a dial already on its way is served, never cut).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable, Coroutine
from typing import Any

import grpc

from ocm_core.tlsfiles import TLSFileSet, TLSMaterial
from protos._gen.client_pb2 import Packet
from protos.tunnel import headers
from protos.tunnel.batching import FEATURE_BATCH
from protos.tunnel.flow import FEATURE_CREDIT
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.headers import feature_metadata, negotiate, single_value
from protos.tunnel.lane import FEATURE_LANE, LANE_PORT
from proxy_agent.config import AgentConfig
from proxy_agent.exposure import Exposure
from proxy_agent.lane import LaneCall, LaneRefusedError, client_context, open_lane
from proxy_agent.metrics import AgentMetrics
from proxy_agent.servicemap import ServiceMap
from proxy_agent.session import PacketCall, Session

logger = logging.getLogger(__name__)
METHOD = "/AgentService/Connect"
HEADER_TIMEOUT = 10.0
#: After a lane failed to open, how long the agent stays on gRPC before trying again: the
#: first wait, and the longest (each failure in a row triples it).
LANE_RETRY_FIRST = 10.0
LANE_RETRY_CAP = 300.0
#: After DRAIN, how long a server may still route a dial to the stream: dials it sent before it
#: read the DRAIN are in flight. The stream closes only once idle and at least this old.
DRAIN_SETTLE = 1.0


class ServerRefusedError(Exception):
    """The server ended the stream before accepting it; the message is its reason."""


def channel_options(config: AgentConfig) -> list[tuple[str, int | str]]:
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", 8 * 1024 * 1024),
        ("grpc.max_send_message_length", 8 * 1024 * 1024),
        ("grpc.keepalive_time_ms", int(config.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 1),
        # Each stream needs its own TCP connection, so a load balancer spreads them over replicas.
        ("grpc.use_local_subchannel_pool", 1),
    ]
    if config.server_name:
        options.append(("grpc.ssl_target_name_override", config.server_name))
    return options


def tls_files(config: AgentConfig) -> TLSFileSet | None:
    """The CA bundle, certificate and key the agent dials with (None: plaintext); raises
    TLSFilesError when they do not make a usable set."""
    if config.insecure:
        return None
    return TLSFileSet(cert=config.agent_cert, key=config.agent_key, ca=config.ca_cert)


def credentials(material: TLSMaterial) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(material.ca, material.key, material.cert)


class Connector:
    def __init__(
        self,
        config: AgentConfig,
        exposure: Callable[[], Exposure],
        metrics: AgentMetrics,
        *,
        service_map: Callable[[], ServiceMap] | None = None,
        tls: TLSFileSet | None = None,
    ) -> None:
        self.config = config
        #: Read at every dial, so a new stream presents the certificate on disk now.
        self.tls = tls
        self._exposure = exposure
        no_map = ServiceMap()
        self._service_map = service_map or (lambda: no_map)
        self.metrics = metrics
        self.sessions: dict[str, Session] = {}
        self._retiring: set[Session] = set()
        #: Sessions to replace (renew): they keep serving until a new stream to their server is up.
        self._stale: set[Session] = set()
        #: gRPC sessions to replace with a lane to the same server, once one opens.
        self._upgradable: set[Session] = set()
        #: The lane port the server offered (None: no lane), and when to try it again.
        self._lane_port: int | None = None
        self._lane_retry_at = 0.0
        self._lane_retry_delay = LANE_RETRY_FIRST
        self._lane_failed_port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._server_count = 1
        self._wake = asyncio.Event()
        self.draining = False

    @property
    def ready(self) -> bool:
        return bool(self.sessions)

    def open_connections(self) -> int:
        sessions = [*self.sessions.values(), *self._retiring]
        return sum(s.endpoint.open_connections + s.endpoint.pending_dials for s in sessions)

    def held_bytes(self) -> int:
        sessions = [*self.sessions.values(), *self._retiring]
        return sum(s.held_bytes() for s in sessions)

    def _resolve(self, address: str) -> str:
        """Exposure decides whether (and which in-cluster name); the service map, where."""
        return self._service_map().resolve(self._exposure().resolve(address))

    async def run(self) -> None:
        config = self.config
        delay = config.sync_interval
        try:
            while True:
                if not self.draining and (self._wants_grpc() or self._lane_wanted()):
                    try:
                        await self._connect_once()
                        delay = config.sync_interval
                    except (grpc.aio.AioRpcError, ServerRefusedError, OSError, TimeoutError) as exc:
                        self.metrics.server_failures.labels(type(exc).__name__).inc()
                        logger.warning(
                            "cannot reach proxy-server %s:%d: %s",
                            config.proxy_server_host,
                            config.proxy_server_port,
                            _reason(exc),
                        )
                        delay = min(delay * 1.5, config.sync_interval_cap)
                self._wake.clear()
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow our cancellation
                # when the event fires at the same moment, and the loop would never end.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay * random.uniform(0.9, 1.1)):
                        await self._wake.wait()
        finally:
            await self.close()

    async def _connect_once(self) -> None:
        if self._lane_wanted():
            try:
                await self._connect_lane()
                return
            except (OSError, TimeoutError, LaneRefusedError, ssl.SSLError) as exc:
                self._lane_failed(exc)
            if not self._wants_grpc():
                return
        await self._connect_grpc()

    def _lane_wanted(self) -> bool:
        return (
            self._lane_port is not None
            and asyncio.get_running_loop().time() >= self._lane_retry_at
            and (bool(self._upgradable) or self._wants_grpc() or bool(self._stale))
        )

    def _wants_grpc(self) -> bool:
        fresh = [s for s in self.sessions.values() if s not in self._stale]
        return len(fresh) < self._server_count

    def _lane_failed(self, exc: BaseException) -> None:
        self.metrics.server_failures.labels(f"lane_{type(exc).__name__}").inc()
        delay = self._lane_retry_delay
        self._lane_retry_at = asyncio.get_running_loop().time() + delay
        self._lane_retry_delay = min(delay * 3, LANE_RETRY_CAP)
        self._lane_failed_port = self._lane_port
        logger.warning(
            "cannot open the lane to %s:%s: %s; staying on gRPC, trying again in %.0f s",
            self.config.proxy_server_host,
            self._lane_port,
            _reason(exc),
            delay,
        )

    async def _connect_lane(self) -> None:
        config = self.config
        assert self._lane_port is not None
        context = None
        if self.tls is not None:
            context = client_context(self.tls.current)
        call, answer = await open_lane(
            config.proxy_server_host,
            self._lane_port,
            self._metadata(),
            tls=context,
            server_hostname=config.server_name or config.proxy_server_host,
            keepalive_time=config.keepalive_time,
            timeout=HEADER_TIMEOUT,
        )
        server_id = single_value(answer, headers.SERVER_ID)
        count = single_value(answer, headers.SERVER_COUNT)
        if not server_id or not count or not count.isdigit():
            call.cancel()
            raise LaneRefusedError(f"the lane server answered without {headers.SERVER_ID}")
        self._lane_retry_delay = LANE_RETRY_FIRST
        self._lane_failed_port = None
        session = self._install(call, server_id, int(count), negotiate(config.features, answer))
        if session is not None:
            self._spawn(self._serve(session, None))

    async def _connect_grpc(self) -> None:
        config = self.config
        target = f"{config.proxy_server_host}:{config.proxy_server_port}"
        options = channel_options(config)
        channel = (
            grpc.aio.insecure_channel(target, options=options)
            if self.tls is None
            else grpc.aio.secure_channel(target, credentials(self.tls.current), options=options)
        )
        try:
            session = await self._open(channel)
        except BaseException:
            await channel.close(None)
            raise
        if session is None:
            await channel.close(None)
            return
        self._spawn(self._serve(session, channel))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _metadata(self) -> list[tuple[str, str]]:
        return [
            (headers.AGENT_ID, self.config.agent_id),
            (headers.AGENT_IDENTIFIERS, self._exposure().identifiers().encode()),
            *feature_metadata(self.config.features),
        ]

    async def _open(self, channel: grpc.aio.Channel) -> Session | None:
        call = channel.stream_stream(
            METHOD,
            request_serializer=Packet.SerializeToString,
            response_deserializer=Packet.FromString,
        )(None, metadata=tuple(self._metadata()))
        async with asyncio.timeout(HEADER_TIMEOUT):
            metadata = list(await call.initial_metadata() or ())
        server_id = single_value(metadata, headers.SERVER_ID)
        count = single_value(metadata, headers.SERVER_COUNT)
        if not server_id or not count:
            code = await call.code()
            details = await call.details()
            raise ServerRefusedError(f"{code.name}: {details}")
        features = negotiate(self.config.features, metadata)
        self._lane_port = _lane_port(metadata) if FEATURE_LANE in features else None
        if self._lane_port != self._lane_failed_port:
            self._lane_retry_at = 0.0  # a port not tried yet (the server changed): try it now
            self._lane_retry_delay = LANE_RETRY_FIRST
        session = self._install(call, server_id, int(count), features)
        if session is not None and self._lane_port is not None:
            self._upgradable.add(session)
            self._wake.set()  # open the lane now, then this stream drains
        return session

    def _install(
        self, call: PacketCall, server_id: str, count: int, features: frozenset[str]
    ) -> Session | None:
        """Serve `call` as the session to `server_id`, replacing a stale one or a gRPC stream
        the lane supersedes; None (and `call` closed) when that server is served already."""
        self._server_count = max(1, count)
        self.metrics.known_server_count.set(self._server_count)
        lane = isinstance(call, LaneCall)
        replaced = self.sessions.get(server_id)
        if (
            replaced is not None
            and replaced not in self._stale
            and not (lane and replaced in self._upgradable)
        ):
            call.cancel()  # ANP parity: a second stream to the same server is closed
            return None
        session = Session(
            call,
            server_id,
            self._resolve,
            dial_timeout=self.config.dial_timeout,
            metrics=self.metrics,
            credit=FEATURE_CREDIT in features,
            batch=FEATURE_BATCH in features,
            half_close=FEATURE_HALF_CLOSE in features,
            window=self.config.connection_window,
            stalled_timeout=self.config.stalled_connection_timeout,
        )
        self.sessions[server_id] = session
        if replaced is not None:
            self._stale.discard(replaced)
            self._upgradable.discard(replaced)
            self._retire(replaced)
        logger.info(
            "connected to proxy-server %s (%d/%d)",
            server_id,
            len(self.sessions),
            self._server_count,
            extra={"features": sorted(features), "lane": lane},
        )
        return session

    async def _serve(self, session: Session, channel: grpc.aio.Channel | None) -> None:
        self.metrics.open_server_connections.inc()
        try:
            await session.run()
        except grpc.aio.AioRpcError as exc:
            logger.warning("stream to proxy-server %s ended: %s", session.server_id, _reason(exc))
        finally:
            self.metrics.open_server_connections.dec()
            retired = session in self._retiring or self.draining
            if self.sessions.get(session.server_id) is session:
                del self.sessions[session.server_id]
            self._retiring.discard(session)
            self._stale.discard(session)
            self._upgradable.discard(session)
            if channel is not None:
                await channel.close(None)
            elif not retired:
                # The server went away (or restarts): reconnect over gRPC and learn its lane anew.
                logger.warning("lane to proxy-server %s closed", session.server_id)
                self._lane_port = None
            self._wake.set()

    def renew(self) -> None:
        """Re-advertise identifiers or present a rotated certificate: retire current streams
        once the sync loop has opened their replacements (they drain, and close once their
        connections end). Until then they serve as before."""
        self._stale.update(self.sessions.values())
        self._wake.set()

    def _retire(self, session: Session, timeout: float | None = None) -> None:
        """DRAIN `session` and close it once idle, or after `timeout` (None: however long
        its connections live, so renewing identifiers never cuts a watch or an exec)."""
        session.drain()
        self._retiring.add(session)
        task = asyncio.ensure_future(self._close_when_idle(session, timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_when_idle(self, session: Session, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout is not None else float("inf")
        settled = loop.time() + DRAIN_SETTLE
        # Polling the endpoint's counters: connections end in many places; 50 ms is plenty.
        while (not session.idle or loop.time() < settled) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        logger.info("closing drained stream to %s", session.server_id)
        session.close()

    async def shutdown(self) -> None:
        """DRAIN every stream, let connections finish (up to drain_timeout), then close."""
        self.draining = True
        sessions = list(self.sessions.values())
        logger.info(
            "draining %d streams with %d connections", len(sessions), self.open_connections()
        )
        for session in sessions:
            self._retire(session, self.config.drain_timeout)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for session in list(self.sessions.values()) + list(self._retiring):
            session.close()
        for task in list(self._tasks):
            task.cancel()


def _lane_port(metadata: list[tuple[str, str | bytes]]) -> int | None:
    value = single_value(metadata, LANE_PORT)
    if value is None or not value.isdigit() or not 0 < int(value) < 65536:
        if value is not None:
            logger.warning("ignoring the server's malformed lane port %r", value)
        return None
    return int(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return str(exc) or type(exc).__name__
