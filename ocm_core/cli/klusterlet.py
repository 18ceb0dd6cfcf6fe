"""``ocm klusterlet``: run the spoke registration agent of one managed cluster."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, TransportError, UnauthorizedError
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.registration.spoke.bootstrap import BootstrapError
from ocm_core.registration.spoke.credentials import CredentialError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("klusterlet", help="run the spoke registration agent")
    parser.add_argument("--cluster-name", help="the managed cluster's name on the hub")
    parser.add_argument("--agent-id", help="this agent's id (default: kept, else random)")
    parser.add_argument(
        "--bootstrap-kubeconfig",
        type=Path,
        help="kubeconfig with the bootstrap identity (from `ocm join`)",
    )
    parser.add_argument(
        "--hub-kubeconfig-dir",
        type=Path,
        default=Path("hub-kubeconfig"),
        help="where the hub kubeconfig, tls.crt and tls.key are written",
    )
    parser.add_argument("--spoke-kubeconfig", help="the managed cluster's kubeconfig")
    parser.add_argument(
        "--status-period", type=float, default=60.0, help="seconds between status reports"
    )
    parser.add_argument(
        "--client-cert-expiration-seconds",
        type=int,
        help="ask the hub for client certificates valid this long (at least 600)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    try:
        spoke = ApiClient(KubeConfig.load(args.spoke_kubeconfig))
    except KubeError as exc:
        print(f"ocm klusterlet: spoke kubeconfig: {exc}", file=sys.stderr)
        return 2
    options = AgentOptions(
        data_dir=args.hub_kubeconfig_dir,
        bootstrap_kubeconfig=args.bootstrap_kubeconfig,
        cluster_name=args.cluster_name,
        agent_id=args.agent_id,
        status_period=args.status_period,
        cert_expiration_seconds=args.client_cert_expiration_seconds,
    )
    agent = RegistrationAgent(spoke, options)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if agent.manager is not None:
            agent.stop()
        elif task is not None:
            task.cancel()  # still bootstrapping: nothing to drain

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await agent.run()
    except asyncio.CancelledError:
        return 0
    except UnauthorizedError:
        print(
            "ocm klusterlet: the hub refused the credentials (401): the bootstrap token may have "
            "expired; get a new join command with `ocm init` on the hub",
            file=sys.stderr,
        )
        return 1
    except TransportError as exc:
        print(f"ocm klusterlet: cannot reach an API server: {exc}", file=sys.stderr)
        return 1
    except (BootstrapError, CredentialError) as exc:
        print(f"ocm klusterlet: {exc}", file=sys.stderr)
        return 1
    finally:
        await spoke.close()
    return 0
