"""Run a proxy-server: agent port (and lane port), frontend port, health port; graceful
shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from dataclasses import dataclass

import grpc
from aiohttp import web

from ocm_core.allocator import malloc_trim
from ocm_core.health import health_app, start_health
from ocm_core.tlsfiles import TLSFilesError, TLSFileSet, TLSMaterial, reloading_server_context
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.lane import ALPN as LANE_ALPN
from proxy_server.admission import AgentAdmission
from proxy_server.backends import BackendRegistry
from proxy_server.config import ServerConfig, TLSFiles
from proxy_server.dialing import RelayDialer
from proxy_server.memory import HeapTrimmer
from proxy_server.metrics import ServerMetrics
from proxy_server.relay import Relay
from proxy_server.transport.grpc_agent import AgentService
from proxy_server.transport.grpc_frontend import ProxyService
from proxy_server.transport.http_connect import HTTPConnectFrontend
from proxy_server.transport.lane_agent import LanePort
from proxy_server.userserver import UserServer, build_parts

logger = logging.getLogger(__name__)


@dataclass
class Ports:
    agent: int
    frontend: int
    health: int
    user_server: int | None = None
    agent_lane: int | None = None


def grpc_options(config: ServerConfig) -> list[tuple[str, int]]:
    """Channel settings, chosen on purpose (see docs/performance.md)."""
    return [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.keepalive_time_ms", int(config.keepalive_time * 1000)),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 1),
        # Agents ping every 30 s or more; allow it rather than answering GOAWAY too_many_pings.
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 0),
        ("grpc.so_reuseport", int(config.reuse_port)),
    ]


class ServerStartError(Exception):
    """A port could not be opened; the message names it and the likely cause."""


def file_set(tls: TLSFiles) -> TLSFileSet:
    try:
        return TLSFileSet(cert=tls.cert, key=tls.key, ca=tls.ca)
    except TLSFilesError as exc:
        raise ServerStartError(str(exc)) from exc


def _certificate_configuration(material: TLSMaterial) -> grpc.ServerCertificateConfiguration:
    assert material.cert is not None
    assert material.key is not None
    return grpc.ssl_server_certificate_configuration(
        [(material.key, material.cert)], root_certificates=material.ca
    )


def server_credentials(tls: TLSFiles) -> grpc.ServerCredentials:
    """Credentials that re-read the files when they change: gRPC asks before every handshake,
    so a rotated certificate or CA bundle applies to new connections and open ones stay."""
    files = file_set(tls)

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        material = files.refresh()
        return _certificate_configuration(material) if material is not None else None

    return grpc.dynamic_ssl_server_credentials(
        _certificate_configuration(files.current),
        fetch,  # type: ignore[arg-type]  # gRPC documents None as "keep the current one"; the stub does not
        require_client_authentication=tls.ca is not None,
    )


def server_ssl_context(tls: TLSFiles) -> ssl.SSLContext:
    """For HTTP CONNECT: client certificates are checked against `tls.ca` only, and the files
    are re-read at the next handshake after they change."""
    # Tunnel clients (client-go, konnectivity-client) do not resume TLS sessions, and minting
    # TLS 1.3 tickets costs about a third of the server's handshake CPU (docs/performance.md).
    return reloading_server_context(file_set(tls), session_tickets=False)


def _bind(server: grpc.aio.Server, address: str, tls: TLSFiles | None, role: str) -> int:
    try:
        if tls is None:
            return server.add_insecure_port(address)
        return server.add_secure_port(address, server_credentials(tls))
    except RuntimeError as exc:
        raise ServerStartError(
            f"cannot listen for {role}s on {address}: the port is in use or the address is "
            "not local (pass --reuse-port to share it with another replica)"
        ) from exc


class ProxyServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.metrics = ServerMetrics()
        self.registry = BackendRegistry(config.proxy_strategies)
        self.relay = Relay(
            self.registry,
            self.metrics,
            dial_timeout=config.backend_dial_timeout,
            window=config.connection_window,
            stalled_timeout=config.stalled_connection_timeout,
            trimmer=HeapTrimmer(malloc_trim()),
        )
        self._grpc_servers: list[grpc.aio.Server] = []
        self._http_server: asyncio.Server | None = None
        self._lane: LanePort | None = None
        self._health: web.AppRunner | None = None
        self._stopping = False
        self.user_server: UserServer | None = None
        self._dialer: RelayDialer | None = None

    def not_ready_reason(self) -> str | None:
        if self._stopping:
            return "shutting down"
        if self.registry.ready_for_first_strategy() == 0:
            return "no connection to any proxy agent"
        if self.user_server is not None:
            return self.user_server.not_ready_reason()
        return None

    async def start(self) -> Ports:
        config = self.config
        admission = self._admission()
        lane_port = await self._start_lane_port(admission)
        agent_port = await self._start_agent_port(admission, lane_port)
        frontend_port = await self._start_frontend_port()
        self._health, health_port = await start_health(
            health_app(self.metrics.registry, self.not_ready_reason),
            config.bind_address,
            config.health_port,
        )
        ports = Ports(
            agent=agent_port,
            frontend=frontend_port,
            health=health_port,
            user_server=await self._start_user_server(),
            agent_lane=lane_port,
        )
        if config.ports_file is not None:
            config.ports_file.write_text(json.dumps(ports.__dict__))
        logger.info(
            "proxy-server %s listening: agents on %d, %s frontends on %d, health on %d",
            config.server_id,
            agent_port,
            config.mode,
            frontend_port,
            health_port,
            extra={"agent_lane_port": lane_port},
        )
        return ports

    async def _start_user_server(self) -> int | None:
        """In-process: the user-server dials through the relay on one path per cluster."""
        config = self.config.user_server
        if config is None:
            return None
        self._dialer = RelayDialer(self.relay)
        parts, hub = build_parts(config, self._dialer, self.metrics.registry)
        self.user_server = UserServer(config, parts, hub=hub)
        return await self.user_server.start()

    def _admission(self) -> AgentAdmission:
        config = self.config
        return AgentAdmission(
            server_id=config.server_id,
            server_count=config.server_count,
            require_identity=config.require_agent_identity,
            offered=config.features,
        )

    async def _start_lane_port(self, admission: AgentAdmission) -> int | None:
        config = self.config
        if config.agent_lane_port is None:
            return None
        self._lane = LanePort(
            self.relay,
            admission,
            max_frame=config.max_message_bytes,
            keepalive_time=config.keepalive_time,
        )
        tls = (
            reloading_server_context(
                file_set(config.agent_tls), alpn=(LANE_ALPN,), session_tickets=False
            )
            if config.agent_tls is not None
            else None
        )
        try:
            return await self._lane.start(
                config.bind_address, config.agent_lane_port, tls, reuse_port=config.reuse_port
            )
        except OSError as exc:
            raise ServerStartError(
                f"cannot listen for agent lanes on {config.bind_address}:"
                f"{config.agent_lane_port}: {exc.strerror or exc}"
            ) from exc

    async def _start_agent_port(self, admission: AgentAdmission, lane_port: int | None) -> int:
        config = self.config
        server = grpc.aio.server(options=grpc_options(config))
        service = AgentService(
            self.relay, admission, lane_port=config.agent_lane_advertised_port or lane_port
        )
        server.add_generic_rpc_handlers((service.handler(),))
        address = f"{config.bind_address}:{config.agent_port}"
        port = _bind(server, address, config.agent_tls, "agent")
        await server.start()
        self._grpc_servers.append(server)
        return port

    async def _start_frontend_port(self) -> int:
        config = self.config
        if config.mode == "http-connect":
            tls = server_ssl_context(config.frontend_tls) if config.frontend_tls else None
            frontend = HTTPConnectFrontend(
                self.relay, half_close=FEATURE_HALF_CLOSE in config.features
            )
            self._http_server = await frontend.start(config.bind_address, config.server_port, tls)
            port: int = self._http_server.sockets[0].getsockname()[1]
            return port
        server = grpc.aio.server(options=grpc_options(config))
        service = ProxyService(self.relay, features=config.features)
        server.add_generic_rpc_handlers((service.handler(),))
        address = f"{config.bind_address}:{config.server_port}"
        port = _bind(server, address, config.frontend_tls, "frontend")
        await server.start()
        self._grpc_servers.append(server)
        return port

    async def stop(self) -> None:
        """Graceful: not ready, no new dials, let connections finish, then close everything."""
        self._stopping = True
        self.relay.accepting = False
        # The user-server's pooled connections are idle keep-alives: end them first.
        if self.user_server is not None:
            await self.user_server.stop()
        if self._dialer is not None:
            await self._dialer.close()
        timeout = self.config.graceful_shutdown_timeout
        logger.info(
            "shutting down: waiting up to %.0fs for %d connections",
            timeout,
            self.relay.switchboard.connections,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Polling a counter the relay changes from many places; 50 ms is fine at shutdown.
        while self.relay.switchboard.connections and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if self._http_server is not None:
            self._http_server.close()
        if self._lane is not None:
            self._lane.close()
        await asyncio.gather(*(s.stop(grace=0.5) for s in self._grpc_servers))
        if self._health is not None:
            await self._health.cleanup()
