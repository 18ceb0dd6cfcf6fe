"""``ocm hub``: run the hub controllers against a hub API server: registration, placement,
ManifestWorkReplicaSet and, with ``--enable-cluster-proxy``, the add-on framework with the
cluster-proxy add-on manager."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ocm_core.addon.cluster_proxy import build_controllers as build_cluster_proxy
from ocm_core.addon.cluster_proxy.install import install_cluster_proxy_crds
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, TransportError
from ocm_core.placement import controller as placement_controller
from ocm_core.registration.hub.controllers import HubOptions, build_hub
from ocm_core.registration.hub.install import install_hub
from ocm_core.runtime import Manager
from ocm_core.work.hub import manifestworkreplicaset as replicaset


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "hub", help="run the hub controllers (registration, placement, ManifestWorkReplicaSet)"
    )
    parser.add_argument("--kubeconfig", help="hub kubeconfig (default: $KUBECONFIG)")
    parser.add_argument(
        "--cluster-auto-approval-users",
        default="",
        help="comma-separated users whose cluster CSRs are approved and clusters accepted",
    )
    parser.add_argument(
        "--skip-install",
        action="store_true",
        help="do not create the OCM CRDs and shared roles on start",
    )
    parser.add_argument(
        "--enable-cluster-proxy",
        action="store_true",
        help="also run the cluster-proxy add-on manager (installs its CRDs unless --skip-install)",
    )
    parser.set_defaults(handler=run)


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


async def run(args: argparse.Namespace) -> int:
    try:
        api = ApiClient(KubeConfig.load(args.kubeconfig))
    except KubeError as exc:
        print(f"ocm hub: {exc}", file=sys.stderr)
        return 2
    manager = Manager(api)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, manager.stop)
    try:
        if not args.skip_install:
            await install_hub(api, manager.clock)
        options = HubOptions(auto_approval_users=split_list(args.cluster_auto_approval_users))
        build_hub(manager, options)
        for controller in [*placement_controller.build(manager), *replicaset.build(manager)]:
            manager.add(controller)
        if args.enable_cluster_proxy:
            if not args.skip_install:
                await install_cluster_proxy_crds(api, manager.clock)
            build_cluster_proxy(manager)
        await manager.run()
    except TransportError as exc:
        print(f"ocm hub: cannot reach the hub API at {api.config.server}: {exc}", file=sys.stderr)
        return 1
    finally:
        await api.close()
    return 0
