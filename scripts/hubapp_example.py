"""A hub program calling an HTTP and a gRPC service of a managed cluster (journey 2).

It reaches `web.demo:8080` and `greeter.demo:50051` (docs/hubapps/demo-services.yaml) in
`--cluster` through an HTTP CONNECT proxy with the `hubapps` helpers, and prints one JSON line
with both answers. The proxy is the user-server (HTTPS: give its CA and a hub bearer token) or
a proxy-server in `--mode http-connect`. A refusal (e.g. the service is not exposed) exits 1
with the proxy's status and reason on stderr.

    .venv/bin/python scripts/hubapp_example.py --cluster c2 \
        --proxy 127.0.0.1:9092 --proxy-cacert ca.crt --token "$(kubectl create token hubapp)"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys

import aiohttp

from ocm_core.lab.demo_echo import ECHO_METHOD
from proxy_server import hubapps


async def call_services(
    dialer: hubapps.ConnectDialer, cluster: str, web: str, greeter: str
) -> dict[str, object]:
    async with (
        aiohttp.ClientSession(connector=hubapps.tunnel_connector(dialer, cluster)) as session,
        session.get(f"http://{web}/hello?from=hub") as response,
    ):
        page = await response.json()
    async with hubapps.grpc_channel(dialer, cluster, greeter) as channel:
        reply = await channel.unary_unary(ECHO_METHOD, None, None)(b"from the hub")
    return {"http": page, "grpc": reply.decode()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy", required=True, help="HTTP CONNECT frontend, host:port")
    parser.add_argument("--cluster", default="c2", help="managed cluster to call into")
    parser.add_argument("--web", default="web.demo:8080", help="HTTP service, svc.ns:port")
    parser.add_argument("--greeter", default="greeter.demo:50051", help="gRPC service")
    parser.add_argument("--proxy-cacert", help="CA of an HTTPS proxy (the user-server)")
    parser.add_argument("--token", help="hub bearer token, sent as Proxy-Authorization")
    args = parser.parse_args(argv)
    tls = ssl.create_default_context(cafile=args.proxy_cacert) if args.proxy_cacert else None
    dialer = hubapps.ConnectDialer(args.proxy, tls=tls, token=args.token)
    try:
        answers = asyncio.run(call_services(dialer, args.cluster, args.web, args.greeter))
    except aiohttp.ClientConnectorError as exc:
        print(f"refused: {exc.os_error}", file=sys.stderr)
        return 1
    except hubapps.ConnectRefusedError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answers, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
