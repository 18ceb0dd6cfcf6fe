"""`proxy-server` entry point."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import uvloop

from ocm_core.allocator import keep_bulk_buffers
from ocm_core.diagnostics import install_task_dump_signal
from proxy_server.config import build_parser, from_args
from proxy_server.server import ProxyServer, ServerStartError


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * min(verbosity, 2) if verbosity else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def serve(server: ProxyServer) -> None:
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    install_task_dump_signal(loop)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    configure_logging(args.verbose)
    keep_bulk_buffers()
    try:
        uvloop.run(serve(ProxyServer(config)))
    except (ServerStartError, OSError) as exc:
        print(f"proxy-server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
