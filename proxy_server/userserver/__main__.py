"""`user-server` entry point: the user-server as its own process (upstream's deployment shape),
reaching a proxy-server's gRPC frontend through `TunnelClient` (one `Proxy` stream per
connection). Prefer `proxy-server --user-server-port`, which multiplexes in-process."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

import uvloop

from ocm_core.health import health_app, start_health
from ocm_core.tlsfiles import TLSFilesError, TLSFileSet
from proxy_server.client import TunnelClient
from proxy_server.dialing import ClientDialer
from proxy_server.metrics import ServerMetrics
from proxy_server.userserver import config as userserver_config
from proxy_server.userserver.config import UserServerConfig
from proxy_server.userserver.server import UserServer, build_parts

HEALTH_PORT = 8000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="user-server",
        description="HTTPS entry point for hub users: /<cluster>/<kube-api-path> through the "
        "tunnel of a proxy-server.",
    )
    p.add_argument("--host", default="127.0.0.1", help="proxy-server frontend host")
    p.add_argument("--port", type=int, default=8090, help="proxy-server frontend port")
    p.add_argument("--proxy-ca-cert", type=Path, help="CA of the proxy-server certificate")
    p.add_argument("--proxy-cert", type=Path, help="client certificate for the proxy-server")
    p.add_argument("--proxy-key", type=Path, help="client key for the proxy-server")
    p.add_argument("--proxy-server-name", help="name to verify in the proxy-server certificate")
    p.add_argument("--bind-address", default="0.0.0.0")
    p.add_argument("--health-port", type=int, default=HEALTH_PORT, help="health port (0: any)")
    p.add_argument("--ports-file", type=Path, help="write the bound ports here as JSON")
    p.add_argument("-v", "--verbose", action="count", default=0)
    userserver_config.add_arguments(p, standalone=True)
    return p


def tunnel_client(args: argparse.Namespace) -> TunnelClient:
    target = f"{args.host}:{args.port}"
    if args.proxy_ca_cert is None:
        return TunnelClient(target)
    # Followed when they change, so a rotated proxy-client certificate or CA bundle is used.
    files = TLSFileSet(cert=args.proxy_cert, key=args.proxy_key, ca=args.proxy_ca_cert)
    options: list[tuple[str, int | str]] = []
    if args.proxy_server_name:
        options.append(("grpc.ssl_target_name_override", args.proxy_server_name))
    return TunnelClient(target, tls_files=files, options=options)


async def serve(args: argparse.Namespace, config: UserServerConfig) -> None:
    metrics = ServerMetrics()
    parts, hub = build_parts(config, ClientDialer(tunnel_client(args)), metrics.registry)
    server = UserServer(config, parts, hub=hub)
    port = await server.start()
    health, health_port = await start_health(
        health_app(metrics.registry, server.not_ready_reason), args.bind_address, args.health_port
    )
    if args.ports_file is not None:
        args.ports_file.write_text(json.dumps({"user_server": port, "health": health_port}))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    await health.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = userserver_config.from_args(args, standalone=True)
    except ValueError as exc:
        parser.error(str(exc))
    assert config is not None
    level = logging.WARNING - 10 * min(args.verbose, 2) if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        uvloop.run(serve(args, config))
    except (OSError, TLSFilesError) as exc:
        print(f"user-server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
