"""proxy-agent settings: one frozen dataclass, built from upstream-compatible flags."""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from protos.tunnel import AgentIdentifiers, RemoteProtocolError, parse_agent_identifiers
from protos.tunnel.batching import FEATURE_BATCH
from protos.tunnel.flow import DEFAULT_WINDOW, FEATURE_CREDIT, check_window
from protos.tunnel.halfclose import FEATURE_HALF_CLOSE
from protos.tunnel.headers import choose_features
from protos.tunnel.lane import FEATURE_LANE
from proxy_agent.exposure import Exposure, ExposureError, load_file, parse_service_flag
from proxy_agent.servicemap import SERVICE_MAP_ENV

#: Tunnel extensions this agent announces to servers (used only if the server agrees).
KNOWN_FEATURES = (FEATURE_CREDIT, FEATURE_BATCH, FEATURE_HALF_CLOSE, FEATURE_LANE)


@dataclass(frozen=True)
class AgentConfig:
    proxy_server_host: str = "127.0.0.1"
    proxy_server_port: int = 8091
    agent_id: str = ""
    #: CA that verifies the proxy-server; None with `insecure` only.
    ca_cert: Path | None = None
    agent_cert: Path | None = None
    agent_key: Path | None = None
    #: Server name to verify in the server certificate (default: proxy_server_host).
    server_name: str | None = None
    insecure: bool = False
    exposure: Exposure = field(default_factory=lambda: Exposure(cluster=""))
    #: Reloaded when it changes; overrides `exposure` when set.
    exposure_file: Path | None = None
    #: The local lab's Service map (`proxy_agent.servicemap`); None: dial names as they are.
    service_map_file: Path | None = None
    health_bind_address: str = "0.0.0.0"
    health_server_port: int = 8093
    #: Seconds between attempts to reach `server_count` servers (upstream 1 s, capped at 10 s).
    sync_interval: float = 1.0
    sync_interval_cap: float = 10.0
    #: Seconds to wait for a target to accept (upstream hard-codes 5 s).
    dial_timeout: float = 5.0
    #: Seconds in-flight connections may finish after SIGTERM.
    drain_timeout: float = 10.0
    keepalive_time: float = 30.0
    ports_file: Path | None = None
    #: Tunnel extensions announced (empty: plain ANP, as an upstream agent).
    features: frozenset[str] = frozenset(KNOWN_FEATURES)
    #: Bytes per connection the server may send ahead of a slow target (credit window), and
    #: where a plain server's connection counts as stalled.
    connection_window: int = DEFAULT_WINDOW
    #: Seconds a connection from a plain-ANP server may have its target stalled before it is
    #: closed with an error; 0: never.
    stalled_connection_timeout: float = 30.0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="proxy-agent",
        description="Konnectivity-compatible agent: dials out to the hub, serves exposed targets.",
    )
    p.add_argument("--proxy-server-host", default="127.0.0.1", help="hub proxy-server address")
    p.add_argument("--proxy-server-port", type=int, default=8091, help="hub agent port")
    p.add_argument(
        "--agent-id",
        default=os.environ.get("PROXY_AGENT_ID", ""),
        help="stable id of this agent (default: $PROXY_AGENT_ID or a uuid)",
    )
    p.add_argument("--ca-cert", type=Path, help="CA of the proxy-server's certificate")
    p.add_argument("--agent-cert", type=Path, help="client certificate naming the cluster")
    p.add_argument("--agent-key", type=Path, help="client key")
    p.add_argument("--server-name", help="name to verify in the server certificate")
    p.add_argument(
        "--insecure", action="store_true", help="connect in plaintext (development only)"
    )
    p.add_argument("--cluster-name", default="", help="this managed cluster's name")
    p.add_argument("--kube-apiserver", help="host:port that the identifier <cluster> maps to")
    p.add_argument(
        "--expose",
        action="append",
        default=[],
        metavar="NAME.NS[:PORT][=ADDR]",
        help="expose a service (repeatable); advertised as NAME.NS.<cluster>",
    )
    p.add_argument(
        "--exposure-file", type=Path, help="YAML exposure list, reloaded when it changes (see docs)"
    )
    p.add_argument(
        "--service-map-file",
        type=Path,
        default=os.environ.get(SERVICE_MAP_ENV) or None,
        help="the local lab's Service map (svc.ns.svc:port -> local address), reloaded when it "
        f"changes (default: ${SERVICE_MAP_ENV}, which the lab's local runtime sets; unset in "
        "a real cluster, where DNS resolves services)",
    )
    p.add_argument(
        "--agent-identifiers",
        default="",
        help="extra identifiers, upstream format: host=a&ipv4=1.2.3.4&default-route=true",
    )
    p.add_argument("--health-bind-address", default="0.0.0.0")
    p.add_argument("--health-server-port", type=int, default=8093, help="health port (0: any)")
    p.add_argument("--sync-interval", type=float, default=1.0)
    p.add_argument("--sync-interval-cap", type=float, default=10.0)
    p.add_argument("--dial-timeout", type=float, default=5.0)
    p.add_argument("--drain-timeout", type=float, default=10.0)
    p.add_argument("--keepalive-time", type=float, default=30.0)
    p.add_argument("--ports-file", type=Path, help="write the bound health port here as JSON")
    p.add_argument(
        "--tunnel-features",
        default=",".join(KNOWN_FEATURES),
        help="tunnel extensions to announce, comma-separated "
        f"(known: {', '.join(KNOWN_FEATURES)}; empty: plain ANP)",
    )
    p.add_argument(
        "--connection-window",
        type=int,
        default=DEFAULT_WINDOW,
        help="bytes per connection the server may send ahead of a slow target",
    )
    p.add_argument(
        "--stalled-connection-timeout",
        type=float,
        default=30.0,
        help="seconds a connection from a plain-ANP server may have its target stalled before "
        "it is closed with an error (0: never)",
    )
    p.add_argument("-v", "--verbose", action="count", default=0)
    return p


def from_args(args: argparse.Namespace) -> AgentConfig:
    """Validate the parsed flags; raises ValueError with a message that says how to fix them."""
    if not args.insecure and (args.ca_cert is None):
        raise ValueError("--ca-cert is required to verify the proxy-server (or pass --insecure)")
    if (args.agent_cert is None) != (args.agent_key is None):
        raise ValueError("--agent-cert and --agent-key must be given together")
    for path in (args.ca_cert, args.agent_cert, args.agent_key):
        if path is not None and not path.is_file():
            raise ValueError(f"{path}: no such file")
    try:
        extra = parse_agent_identifiers(args.agent_identifiers)
    except RemoteProtocolError as exc:
        raise ValueError(f"--agent-identifiers: {exc}") from exc
    exposure = _exposure(args, extra)
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
    return AgentConfig(
        proxy_server_host=args.proxy_server_host,
        proxy_server_port=args.proxy_server_port,
        agent_id=args.agent_id or str(uuid.uuid4()),
        ca_cert=args.ca_cert,
        agent_cert=args.agent_cert,
        agent_key=args.agent_key,
        server_name=args.server_name,
        insecure=args.insecure,
        exposure=exposure,
        exposure_file=args.exposure_file,
        service_map_file=args.service_map_file,
        health_bind_address=args.health_bind_address,
        health_server_port=args.health_server_port,
        sync_interval=args.sync_interval,
        sync_interval_cap=args.sync_interval_cap,
        dial_timeout=args.dial_timeout,
        drain_timeout=args.drain_timeout,
        keepalive_time=args.keepalive_time,
        ports_file=args.ports_file,
        features=features,
        connection_window=window,
        stalled_connection_timeout=args.stalled_connection_timeout,
    )


def _exposure(args: argparse.Namespace, extra: AgentIdentifiers) -> Exposure:
    try:
        if args.exposure_file is not None:
            loaded = load_file(args.exposure_file)
            return Exposure(
                cluster=loaded.cluster,
                kube_apiserver=loaded.kube_apiserver,
                services=loaded.services,
                extra_identifiers=extra,
            )
        services = tuple(parse_service_flag(text) for text in args.expose)
    except ExposureError as exc:
        raise ValueError(str(exc)) from exc
    if (services or args.kube_apiserver) and not args.cluster_name:
        raise ValueError("--cluster-name is required with --expose or --kube-apiserver")
    return Exposure(
        cluster=args.cluster_name,
        kube_apiserver=args.kube_apiserver,
        services=services,
        extra_identifiers=extra,
    )
