"""``ocm klusterlet``: run the spoke registration agent of one managed cluster."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from ocm_core import localruntime
from ocm_core.addon.spoke import AddonRegistrationAgent
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, TransportError, UnauthorizedError
from ocm_core.localruntime import podspec
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.registration.spoke.bootstrap import BootstrapError
from ocm_core.registration.spoke.credentials import CredentialError
from ocm_core.registration.spoke.install import install_spoke
from ocm_core.runtime import Manager
from ocm_core.work.spoke import run_work_agent


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "klusterlet", help="run the spoke agents: registration, work (and the lab's local runtime)"
    )
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
    parser.add_argument(
        "--no-work-agent",
        action="store_true",
        help="run registration only (the work agent applies the cluster's ManifestWorks)",
    )
    parser.add_argument(
        "--local-runtime-dir",
        type=Path,
        help="lab only: also run this project's Deployments as local processes, state here",
    )
    parser.set_defaults(handler=run)


async def _spoke_agents(
    agent: RegistrationAgent, args: argparse.Namespace, spoke_config: KubeConfig
) -> None:
    """Registration first (it yields the hub credentials), then the agents that use them."""
    credentials = await agent.credentials()
    await install_spoke(agent.spoke, agent.clock)
    async with asyncio.TaskGroup() as group:
        group.create_task(agent.run())
        hub_config = KubeConfig.from_kubeconfig(agent.store.kubeconfig_path)
        if not args.no_work_agent:
            group.create_task(run_work_agent(hub_config, spoke_config, credentials.cluster))
        group.create_task(_addon_registration(hub_config, agent, credentials.cluster))
        if args.local_runtime_dir is not None:
            # Processes inherit our working directory, so a relative path stays valid.
            kubeconfig = Path(args.spoke_kubeconfig) if args.spoke_kubeconfig else None
            group.create_task(_local_runtime(spoke_config, kubeconfig, args.local_runtime_dir))


async def _addon_registration(
    hub_config: KubeConfig, agent: RegistrationAgent, cluster: str
) -> None:
    """Credentials (CSR certificates, tokens) for the add-ons installed on this cluster."""
    ca_pem = hub_config.ca_data
    if ca_pem is None and hub_config.ca_file is not None:
        ca_pem = await asyncio.to_thread(Path(hub_config.ca_file).read_bytes)
    async with ApiClient(hub_config) as hub:
        registration = AddonRegistrationAgent(
            hub,
            agent.spoke,
            cluster=cluster,
            clock=agent.clock,
            hub_server=hub_config.server,
            hub_ca_pem=ca_pem,
        )
        await registration.run()


async def _local_runtime(spoke_config: KubeConfig, kubeconfig: Path | None, data_dir: Path) -> None:
    async with ApiClient(spoke_config) as api:
        manager = Manager(api)
        runtime = localruntime.build(
            manager, data_dir=data_dir, node=podspec.node_for(spoke_config.server, kubeconfig)
        )
        try:
            await manager.run()
        finally:
            await runtime.stop_all()


async def run(args: argparse.Namespace) -> int:
    try:
        spoke_config = KubeConfig.load(args.spoke_kubeconfig)
        spoke = ApiClient(spoke_config)
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
        # The agents are level-based: cancelling leaves nothing half-done on either side, and
        # the local runtime stops its processes on the way out.
        if task is not None:
            task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await _spoke_agents(agent, args, spoke_config)
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
