"""proxy-server settings: one frozen dataclass, built from upstream-compatible flags."""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from protos.tunnel.batching import FEATURE_BATCH
from protos.tunnel.flow import DEFAULT_WINDOW, FEATURE_CREDIT, check_window
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.headers import choose_features
from proxy_server.backends import STRATEGIES
from proxy_server.userserver import config as userserver_config
from proxy_server.userserver.config import UserServerConfig

#: Tunnel extensions this server offers to agents and frontends that announce them.
KNOWN_FEATURES = (FEATURE_CREDIT, FEATURE_BATCH, FEATURE_HALF_CLOSE)


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    #: CA that client certificates must chain to; None means no client certificate is asked for.
    ca: Path | None


@dataclass(frozen=True)
class ServerConfig:
    bind_address: str = "0.0.0.0"
    #: Frontend port (gRPC ProxyService or HTTP CONNECT); upstream default 8090.
    server_port: int = 8090
    #: Agent port (AgentService.Connect); upstream default 8091.
    agent_port: int = 8091
    #: /healthz, /readyz, /metrics; upstream default 8092.
    health_port: int = 8092
    #: The lane port offered to our agents (`protos.tunnel.lane`); None: no lane.
    agent_lane_port: int | None = None
    #: The lane port agents are told to dial, when a proxy or NAT maps it (None: the bound one).
    agent_lane_advertised_port: int | None = None
    mode: str = "grpc"
    proxy_strategies: tuple[str, ...] = ("default",)
    server_id: str = ""
    server_count: int = 1
    agent_tls: TLSFiles | None = None
    frontend_tls: TLSFiles | None = None
    #: Refuse agent streams whose certificate names no cluster (identity binding).
    require_agent_identity: bool = True
    #: Answer a dial with an error when the agent has not answered in this many seconds (0: off).
    backend_dial_timeout: float = 0.0
    #: How long in-flight connections may finish after SIGTERM before they are cut.
    graceful_shutdown_timeout: float = 10.0
    #: Largest gRPC message accepted: our DATA packets are at most 1 MiB, so 8 MiB is ample.
    max_message_bytes: int = 8 * 1024 * 1024
    #: Tunnel extensions offered (negotiated per stream; empty: plain ANP for everybody).
    features: frozenset[str] = frozenset(KNOWN_FEATURES)
    #: Bytes per connection and direction held at most: the credit window granted to `credit`
    #: peers, and where a plain peer is paused (frontend) or counted as stalled (agent).
    connection_window: int = DEFAULT_WINDOW
    #: Seconds a plain agent's connection may stay stalled (its reader not reading more than a
    #: window) before it is closed with an error; 0: never (only the hard limit applies).
    stalled_connection_timeout: float = 30.0
    #: Server-to-agent keepalive ping interval, seconds (upstream 1 h; we detect dead NATs sooner).
    keepalive_time: float = 30.0
    #: Let several replicas share the agent and frontend ports on one host (SO_REUSEPORT).
    reuse_port: bool = False
    #: Write the bound ports here as JSON (handy with port 0).
    ports_file: Path | None = None
    #: The in-process user-server (`--user-server-port`); None: not served.
    user_server: UserServerConfig | None = None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="proxy-server",
        description="Konnectivity-compatible proxy server: agents dial in, frontends dial through.",
    )
    p.add_argument("--bind-address", default="0.0.0.0", help="address every port binds to")
    p.add_argument("--server-port", type=int, default=8090, help="frontend port (0: any free)")
    p.add_argument("--agent-port", type=int, default=8091, help="agent port (0: any free)")
    p.add_argument("--health-port", type=int, default=8092, help="health/metrics port (0: any)")
    p.add_argument(
        "--agent-lane-port",
        help="also serve agents on this port as length-prefixed packets over the agent port's "
        "TLS, and offer it to our agents, which move off gRPC onto it (0: any free; off, the "
        "default: no lane; the last one given counts)",
    )
    p.add_argument(
        "--agent-lane-advertised-port",
        type=int,
        help="the lane port to tell agents when a Service or NAT maps it to another number",
    )
    p.add_argument(
        "--mode",
        choices=["grpc", "http-connect"],
        default="grpc",
        help="frontend protocol: gRPC ProxyService or HTTP CONNECT",
    )
    p.add_argument(
        "--proxy-strategies",
        default="default",
        help=f"comma-separated, tried in order: {', '.join(STRATEGIES)}",
    )
    p.add_argument(
        "--server-id",
        default=os.environ.get("PROXY_SERVER_ID", ""),
        help="this replica's id (default: $PROXY_SERVER_ID or a random uuid)",
    )
    p.add_argument(
        "--server-count",
        type=int,
        default=1,
        help="replicas behind the agent address; agents connect to this many",
    )
    p.add_argument("--cluster-cert", type=Path, help="agent-port serving certificate")
    p.add_argument("--cluster-key", type=Path, help="agent-port serving key")
    p.add_argument("--cluster-ca-cert", type=Path, help="CA that agent certificates chain to")
    p.add_argument("--server-cert", type=Path, help="frontend-port serving certificate")
    p.add_argument("--server-key", type=Path, help="frontend-port serving key")
    p.add_argument("--server-ca-cert", type=Path, help="CA that frontend certificates chain to")
    p.add_argument(
        "--insecure-agent-port",
        action="store_true",
        help="serve agents in plaintext (development only)",
    )
    p.add_argument(
        "--insecure-frontend-port",
        action="store_true",
        help="serve frontends in plaintext (development only)",
    )
    p.add_argument(
        "--allow-unbound-agents",
        action="store_true",
        help="accept agent certificates that name no cluster (upstream behaviour)",
    )
    p.add_argument(
        "--backend-dial-timeout",
        type=float,
        default=0.0,
        help="seconds to wait for an agent's dial answer (0: no limit)",
    )
    p.add_argument(
        "--graceful-shutdown-timeout",
        type=float,
        default=10.0,
        help="seconds in-flight connections may finish after SIGTERM",
    )
    p.add_argument(
        "--keepalive-time",
        type=float,
        default=30.0,
        help="seconds between keepalive pings to agents",
    )
    p.add_argument(
        "--tunnel-features",
        default=",".join(KNOWN_FEATURES),
        help="tunnel extensions offered to peers that announce them, comma-separated "
        f"(known: {', '.join(KNOWN_FEATURES)}; empty: plain ANP)",
    )
    p.add_argument(
        "--connection-window",
        type=int,
        default=DEFAULT_WINDOW,
        help="bytes per connection and direction the server holds at most (credit window)",
    )
    p.add_argument(
        "--stalled-connection-timeout",
        type=float,
        default=30.0,
        help="seconds a connection from a plain-ANP agent may have its reader stalled before "
        "it is closed with an error (0: never)",
    )
    p.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the ports with other replicas on this host (kernel balances)",
    )
    p.add_argument("--ports-file", type=Path, help="write the bound ports here as JSON")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logs (-vv: debug)")
    userserver_config.add_arguments(p, standalone=False)
    return p


def _tls(
    cert: Path | None,
    key: Path | None,
    ca: Path | None,
    *,
    port: str,
    flags: tuple[str, str, str],
    insecure: bool,
) -> TLSFiles | None:
    if cert is None and key is None:
        if not insecure:
            raise ValueError(
                f"the {port} port needs {flags[0]} and {flags[1]} (and {flags[2]} for mTLS); "
                f"pass --insecure-{port}-port to serve it in plaintext"
            )
        return None
    if cert is None or key is None:
        raise ValueError(f"{flags[0]} and {flags[1]} must be given together")
    for path in (cert, key, ca):
        if path is not None and not path.is_file():
            raise ValueError(f"{path}: no such file")
    return TLSFiles(cert=cert, key=key, ca=ca)


def _lane_port(text: str | None) -> int | None:
    if text is None or text == "off":
        return None
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"--agent-lane-port must be a port number (0-65535) or off, got {text!r}")
    return int(text)


def from_args(args: argparse.Namespace) -> ServerConfig:
    """Validate the parsed flags; raises ValueError with a message that says how to fix them."""
    strategies = tuple(s.strip() for s in args.proxy_strategies.split(",") if s.strip())
    bad = [s for s in strategies if s not in STRATEGIES]
    if bad or not strategies:
        raise ValueError(f"--proxy-strategies: unknown {bad}; choose from {', '.join(STRATEGIES)}")
    if args.server_count < 1:
        raise ValueError("--server-count must be at least 1")
    try:
        features = choose_features(args.tunnel_features, KNOWN_FEATURES)
    except ValueError as exc:
        raise ValueError(f"--tunnel-features: {exc}") from exc
    try:
        window = check_window(args.connection_window)
    except ValueError as exc:
        raise ValueError(f"--connection-window: {exc}") from exc
    if args.stalled_connection_timeout < 0:
        raise ValueError("--stalled-connection-timeout must be 0 (never) or more seconds")
    lane_port = _lane_port(args.agent_lane_port)
    advertised = args.agent_lane_advertised_port
    if advertised is not None and not 0 < advertised <= 65535:
        raise ValueError(f"--agent-lane-advertised-port must be a port number, got {advertised}")
    if advertised is not None and lane_port is None:
        raise ValueError("--agent-lane-advertised-port needs --agent-lane-port")
    agent_tls = _tls(
        args.cluster_cert,
        args.cluster_key,
        args.cluster_ca_cert,
        port="agent",
        flags=("--cluster-cert", "--cluster-key", "--cluster-ca-cert"),
        insecure=args.insecure_agent_port,
    )
    frontend_tls = _tls(
        args.server_cert,
        args.server_key,
        args.server_ca_cert,
        port="frontend",
        flags=("--server-cert", "--server-key", "--server-ca-cert"),
        insecure=args.insecure_frontend_port,
    )
    return ServerConfig(
        bind_address=args.bind_address,
        server_port=args.server_port,
        agent_port=args.agent_port,
        health_port=args.health_port,
        agent_lane_port=lane_port,
        agent_lane_advertised_port=advertised,
        mode=args.mode,
        proxy_strategies=strategies,
        server_id=args.server_id or str(uuid.uuid4()),
        server_count=args.server_count,
        agent_tls=agent_tls,
        frontend_tls=frontend_tls,
        require_agent_identity=agent_tls is not None
        and agent_tls.ca is not None
        and not args.allow_unbound_agents,
        backend_dial_timeout=args.backend_dial_timeout,
        graceful_shutdown_timeout=args.graceful_shutdown_timeout,
        keepalive_time=args.keepalive_time,
        features=features,
        connection_window=window,
        stalled_connection_timeout=args.stalled_connection_timeout,
        reuse_port=args.reuse_port,
        ports_file=args.ports_file,
        user_server=userserver_config.from_args(args, standalone=False),
    )
