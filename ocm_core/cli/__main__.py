"""Entry point of the ``ocm`` command. To add a subcommand, write a module with
``register(subparsers)`` (setting ``handler=async def(args) -> int``) and list it here."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import uvloop

from ocm_core.cli import (
    addon,
    addon_agent,
    addon_manager,
    apiserver,
    clusters,
    get,
    hub,
    join,
    klusterlet,
    localruntime,
    up,
    work,
)

SUBCOMMANDS = (
    apiserver,
    clusters,
    get,
    hub,
    join,
    klusterlet,
    localruntime,
    up,
    work,
    addon,
    addon_manager,
    addon_agent,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocm", description="Open Cluster Management in Python")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else os.environ.get("OCM_LOG_LEVEL", "WARNING")
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        code: int = runner.run(args.handler(args))
    return code


if __name__ == "__main__":
    sys.exit(main())
