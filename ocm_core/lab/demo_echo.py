"""`demo-echo`: the spoke-side demo service of the lab's "hub apps" journey (HTTP and gRPC).

It runs as an ordinary Deployment of this project's image (the lab's local runtime runs it on a
spoke) behind a Service, so a hub program can reach it through the cluster's proxy-agent:

    demo-echo --name web --http-port=8080            # GET <any path> -> JSON about the request
    demo-echo --name greeter --grpc-port=50051       # /ocm.demo.Echo/Say: bytes -> greeting

HTTP answers every path with `{"service": <name>, "method": ..., "path": ..., "query": ...}`
(and `/healthz` with `ok`, for readiness probes). The gRPC method `/ocm.demo.Echo/Say` takes
raw bytes (no protobuf message; call it with `channel.unary_unary(ECHO_METHOD)`) and answers
`<name> says hello <request>`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Final

import grpc
from aiohttp import web

logger = logging.getLogger(__name__)

ECHO_SERVICE: Final = "ocm.demo.Echo"
ECHO_METHOD: Final = f"/{ECHO_SERVICE}/Say"
HEALTH_PATH: Final = "/healthz"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demo-echo",
        description="Demo service for the lab: answers HTTP and/or gRPC requests with an echo.",
    )
    parser.add_argument("--name", default="demo-echo", help="name put in every answer")
    parser.add_argument("--bind-address", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--http-port", type=int, help="serve HTTP on this port")
    parser.add_argument("--grpc-port", type=int, help=f"serve gRPC ({ECHO_METHOD}) on this port")
    return parser


def http_app(name: str) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "service": name,
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
            }
        )

    app = web.Application()
    app.router.add_get(HEALTH_PATH, health)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def grpc_handler(name: str) -> grpc.GenericRpcHandler[bytes, bytes]:
    async def say(request: bytes, _context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return f"{name} says hello ".encode() + request

    method = grpc.unary_unary_rpc_method_handler(say)
    return grpc.method_handlers_generic_handler(ECHO_SERVICE, {"Say": method})


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner: web.AppRunner | None = None
    server: grpc.aio.Server | None = None
    if args.http_port is not None:
        runner = web.AppRunner(http_app(args.name), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, args.bind_address, args.http_port).start()
    if args.grpc_port is not None:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((grpc_handler(args.name),))
        server.add_insecure_port(f"{args.bind_address}:{args.grpc_port}")
        await server.start()
    logger.info(
        "demo-echo %s: http %s, grpc %s",
        args.name,
        args.http_port,
        args.grpc_port,
        extra={"service": args.name},
    )
    await stop.wait()
    if server is not None:
        await server.stop(1.0)
    if runner is not None:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.http_port is None and args.grpc_port is None:
        parser.error("give --http-port, --grpc-port or both (nothing to serve otherwise)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
