"""``ocm addon-agent``: renew an add-on's Lease on the hub while its agent is ready (the
sidecar upstream's cluster-proxy agent Deployment runs next to the proxy-agent)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ocm_core.addon.lease_agent import LeaseAgent, LeaseAgentOptions
from ocm_core.api import addon
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError
from ocm_core.runtime import RealClock


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "addon-agent", help="keep an add-on's hub Lease fresh while its agent is ready"
    )
    parser.add_argument("--hub-kubeconfig", required=True, help="the add-on's hub kubeconfig")
    parser.add_argument("--cluster-name", required=True, help="this managed cluster's name")
    parser.add_argument("--addon-name", required=True, help="the add-on (and its Lease) name")
    parser.add_argument(
        "--probe-port", type=int, help="renew only while http://127.0.0.1:PORT/readyz is ready"
    )
    parser.add_argument("--probe-path", default="/readyz", help="path probed on --probe-port")
    parser.add_argument(
        "--period",
        type=float,
        default=float(addon.LEASE_RENEW_SECONDS),
        help="seconds between renewals",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    try:
        config = await asyncio.to_thread(KubeConfig.from_kubeconfig, args.hub_kubeconfig)
    except (KubeError, OSError) as exc:
        print(f"ocm addon-agent: hub kubeconfig: {exc}", file=sys.stderr)
        return 2
    probe = f"http://127.0.0.1:{args.probe_port}{args.probe_path}" if args.probe_port else None
    options = LeaseAgentOptions(args.cluster_name, args.addon_name, probe, args.period)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: task.cancel() if task else None)
    async with ApiClient(config) as hub:
        try:
            await LeaseAgent(hub, options, clock=RealClock()).run()
        except asyncio.CancelledError:
            return 0
    return 0
