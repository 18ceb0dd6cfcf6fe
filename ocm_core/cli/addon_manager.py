"""``ocm addon-manager``: the add-on framework with the cluster-proxy add-on manager alone, as
upstream's cluster-proxy ``manager`` Deployment runs it (``ocm hub --enable-cluster-proxy`` runs
the same controllers next to the hub controllers instead)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from ocm_core.addon.cluster_proxy import ClusterProxyManagerOptions, build_controllers
from ocm_core.addon.cluster_proxy.addon import ClusterProxyOptions
from ocm_core.addon.cluster_proxy.install import install_cluster_proxy_crds
from ocm_core.api import proxy
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, TransportError
from ocm_core.runtime import Manager


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "addon-manager", help="run the add-on framework with the cluster-proxy add-on manager"
    )
    parser.add_argument("--kubeconfig", help="hub kubeconfig (default: in-cluster or $KUBECONFIG)")
    parser.add_argument(
        "--signer-secret-namespace",
        default=os.environ.get("POD_NAMESPACE", proxy.SIGNER_SECRET_NAMESPACE_DEFAULT),
        help="namespace of the cluster-proxy-signer CA Secret (default: $POD_NAMESPACE)",
    )
    parser.add_argument(
        "--agent-install-namespace",
        default=proxy.AGENT_INSTALL_NAMESPACE_DEFAULT,
        help="namespace the proxy-agent is installed into on each managed cluster",
    )
    parser.add_argument(
        "--exposed-services-namespace",
        default=os.environ.get("POD_NAMESPACE", proxy.PROXY_SERVER_NAMESPACE_DEFAULT),
        help="namespace of the cluster-proxy-exposed-services ConfigMap (default: $POD_NAMESPACE)",
    )
    parser.add_argument(
        "--skip-install", action="store_true", help="do not create the cluster-proxy CRDs on start"
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    try:
        api = ApiClient(KubeConfig.load(args.kubeconfig))
    except KubeError as exc:
        print(f"ocm addon-manager: {exc}", file=sys.stderr)
        return 2
    manager = Manager(api)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, manager.stop)
    options = ClusterProxyManagerOptions(
        addon=ClusterProxyOptions(
            install_namespace=args.agent_install_namespace,
            signer_namespace=args.signer_secret_namespace,
        ),
        allow_list_namespace=args.exposed_services_namespace,
    )
    try:
        if not args.skip_install:
            await install_cluster_proxy_crds(api, manager.clock)
        build_controllers(manager, options)
        await manager.run()
    except TransportError as exc:
        print(f"ocm addon-manager: cannot reach the hub API: {exc}", file=sys.stderr)
        return 1
    finally:
        await api.close()
    return 0
