"""``ocm localruntime``: run this project's Deployments of one cluster as local processes."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from ocm_core import localruntime
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.localruntime import podspec
from ocm_core.runtime import Manager


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "localruntime",
        help="run the cluster's Deployments of this project's image as local processes (lab)",
    )
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        required=True,
        help="kubeconfig of the cluster whose Deployments to run",
    )
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="where mounted files and process logs go"
    )
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        help="image repository to run (repeatable; default: this project's)",
    )
    parser.add_argument(
        "--host-port",
        action="append",
        default=[],
        metavar="NS/DEPLOYMENT:PORT=HOSTPORT",
        help="serve a Deployment's container port on this host port (its first replica; "
        "repeatable), so processes elsewhere can be told the address in advance",
    )
    parser.add_argument(
        "--host-path",
        action="append",
        default=[],
        help="host directory passed to processes unchanged even below a mount path (repeatable)",
    )
    parser.set_defaults(handler=run)


def host_ports(flags: list[str]) -> dict[str, dict[int, int]]:
    pinned: dict[str, dict[int, int]] = {}
    for text in flags:
        key, container_port, host_port = podspec.parse_host_port(text)
        pinned.setdefault(key, {})[container_port] = host_port
    return pinned


async def run(args: argparse.Namespace) -> int:
    try:
        pinned = host_ports(args.host_port)
    except ValueError as exc:
        print(f"ocm localruntime: {exc}", file=sys.stderr)
        return 2
    config = KubeConfig.load(args.kubeconfig)
    async with ApiClient(config) as api:
        manager = Manager(api)
        runtime = localruntime.build(
            manager,
            data_dir=args.data_dir,
            images=tuple(args.image) or localruntime.PROJECT_IMAGES,
            node=podspec.node_for(config.server, args.kubeconfig.resolve(), args.host_path),
            host_ports=pinned,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, manager.stop)
        try:
            await manager.run()
        finally:
            await runtime.stop_all()
    return 0
