"""``ocm localruntime``: run this project's Deployments of one cluster as local processes."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from ocm_core import localruntime
from ocm_core.kube import ApiClient, KubeConfig
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
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    config = KubeConfig.load(args.kubeconfig)
    async with ApiClient(config) as api:
        manager = Manager(api)
        runtime = localruntime.build(
            manager,
            data_dir=args.data_dir,
            images=tuple(args.image) or localruntime.PROJECT_IMAGES,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, manager.stop)
        try:
            await manager.run()
        finally:
            await runtime.stop_all()
    return 0
