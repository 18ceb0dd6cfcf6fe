"""``ocm init``, ``ocm join`` and ``ocm unjoin`` (clusteradm's verbs).

``init`` prepares the hub (CRDs, roles) and prints a join command carrying a bootstrap token. If
the hub's API server does not authenticate bootstrap tokens, it says so and falls back to the
credentials of the kubeconfig it was given. ``join`` checks the hub from the spoke, stores the
bootstrap kubeconfig (file + spoke Secret ``bootstrap-hub-kubeconfig``) and prints the
``ocm klusterlet`` command; with ``--wait`` it also waits for the hub to accept the cluster.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Final

import yaml

from ocm_core.api import gvr
from ocm_core.apiserver.auth import bootstrap_token_secret, generate_token
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig, TokenSource
from ocm_core.kube.errors import (
    AlreadyExistsError,
    KubeError,
    NotFoundError,
    TransportError,
    UnauthorizedError,
)
from ocm_core.registration import names
from ocm_core.registration.hub.install import install_hub
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.registration.spoke.join import (
    JoinError,
    bootstrap_kubeconfig,
    bootstrap_secret,
    preflight,
)
from ocm_core.registration.spoke.store import CredentialStore
from ocm_core.runtime import RealClock

BOOTSTRAP_FILE: Final = "bootstrap-kubeconfig"
DEFAULT_TOKEN_TTL_HOURS: Final = 24.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subparsers.add_parser("init", help="prepare a hub and print the join command")
    init.add_argument("--kubeconfig", help="hub kubeconfig (default: $KUBECONFIG)")
    init.add_argument("--token-ttl-hours", type=float, default=DEFAULT_TOKEN_TTL_HOURS)
    init.set_defaults(handler=run_init)

    join = subparsers.add_parser("join", help="join this cluster to a hub")
    join.add_argument("--hub-token", required=True, help="token printed by `ocm init`")
    join.add_argument("--hub-apiserver", required=True, help="hub API server URL")
    join.add_argument("--cluster-name", required=True, help="this cluster's name on the hub")
    join.add_argument("--ca-file", type=Path, help="PEM file of the hub's CA")
    join.add_argument("--ca-data", help="base64 PEM of the hub's CA (from `ocm init`)")
    join.add_argument("--spoke-kubeconfig", help="this cluster's kubeconfig")
    join.add_argument("--hub-kubeconfig-dir", type=Path, default=Path("hub-kubeconfig"))
    join.add_argument("--wait", action="store_true", help="wait until the hub accepts us")
    join.set_defaults(handler=run_join)

    unjoin = subparsers.add_parser("unjoin", help="forget this cluster's hub credentials")
    unjoin.add_argument("--cluster-name", required=True)
    unjoin.add_argument("--spoke-kubeconfig", help="this cluster's kubeconfig")
    unjoin.add_argument("--hub-kubeconfig-dir", type=Path, default=Path("hub-kubeconfig"))
    unjoin.set_defaults(handler=run_unjoin)


def _fail(command: str, message: str) -> int:
    print(f"ocm {command}: {message}", file=sys.stderr)
    return 1


async def _token_accepted(config: KubeConfig, token: str) -> bool:
    probe = KubeConfig(
        server=config.server,
        ca_data=config.ca_data,
        ca_file=config.ca_file,
        token=TokenSource(token=token),
    )
    async with ApiClient(probe) as client:
        try:
            await client.list(gvr.MANAGED_CLUSTERS, limit=1)
        except UnauthorizedError:
            return False
        except KubeError:
            return True  # authenticated; not being allowed to list is fine
    return True


def _ca_pem(config: KubeConfig) -> bytes | None:
    if config.ca_data:
        return config.ca_data
    return Path(config.ca_file).read_bytes() if config.ca_file else None


async def run_init(args: argparse.Namespace) -> int:
    try:
        config = KubeConfig.load(args.kubeconfig)
    except KubeError as exc:
        return _fail("init", str(exc))
    token = generate_token()
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=args.token_ttl_hours)
    secret = bootstrap_token_secret(
        token, expiration=expiry, extra_groups=[names.BOOTSTRAP_GROUP], description="ocm join"
    )
    async with ApiClient(config) as hub:
        try:
            await install_hub(hub, RealClock())
            await _ensure_namespace(hub, "kube-system")
            await hub.create(gvr.SECRETS, secret, namespace="kube-system")
        except TransportError as exc:
            return _fail("init", f"cannot reach the hub at {config.server}: {exc}")
    if not await _token_accepted(config, token):
        if config.token is None:
            return _fail(
                "init", "the hub does not accept bootstrap tokens and the kubeconfig has no token"
            )
        print(
            "warning: this hub API server does not authenticate bootstrap tokens yet; the join "
            "command carries the token of your kubeconfig instead: share it with care.",
            file=sys.stderr,
        )
        token = config.token.token()
    command = [
        "ocm", "join", "--hub-token", token, "--hub-apiserver", config.server,
        "--cluster-name", "<cluster_name>",
    ]  # fmt: skip
    ca = _ca_pem(config)
    if ca:
        command += ["--ca-data", base64.b64encode(ca).decode()]
    print("The hub is ready. On each managed cluster run:\n")
    print("  " + shlex.join(command).replace("'<cluster_name>'", "<cluster_name>"))
    return 0


async def _ensure_namespace(api: ApiClient, name: str) -> None:
    try:
        await api.create(gvr.NAMESPACES, {"metadata": {"name": name}})
    except AlreadyExistsError:
        return


def _join_ca(args: argparse.Namespace) -> bytes | None:
    if args.ca_file:
        return bytes(args.ca_file.read_bytes())
    return base64.b64decode(args.ca_data) if args.ca_data else None


async def run_join(args: argparse.Namespace) -> int:
    kubeconfig = bootstrap_kubeconfig(args.hub_apiserver, args.hub_token, _join_ca(args))
    try:
        spoke = ApiClient(KubeConfig.load(args.spoke_kubeconfig))
    except KubeError as exc:
        return _fail("join", f"spoke kubeconfig: {exc}")
    async with spoke:
        try:
            await preflight(kubeconfig, args.cluster_name, spoke)
            text = yaml.safe_dump(kubeconfig, sort_keys=False)
            await CredentialStore(spoke, args.hub_kubeconfig_dir).save_bootstrap(
                bootstrap_secret(text)
            )
        except JoinError as exc:
            return _fail("join", str(exc))
        except TransportError as exc:
            return _fail("join", f"cannot reach the spoke API server: {exc}")
        args.hub_kubeconfig_dir.mkdir(parents=True, exist_ok=True)
        path = args.hub_kubeconfig_dir / BOOTSTRAP_FILE
        path.touch(mode=0o600)
        path.write_text(text)
        agent_args = [
            "ocm", "klusterlet", "--cluster-name", args.cluster_name,
            "--hub-kubeconfig-dir", str(args.hub_kubeconfig_dir),
        ]  # fmt: skip
        if args.spoke_kubeconfig:
            agent_args += ["--spoke-kubeconfig", args.spoke_kubeconfig]
        if args.wait:
            print(f"Waiting for the hub to accept {args.cluster_name} (ocm accept --clusters "
                  f"{args.cluster_name} on the hub)...")  # fmt: skip
            options = AgentOptions(
                data_dir=args.hub_kubeconfig_dir,
                bootstrap_kubeconfig=path,
                cluster_name=args.cluster_name,
            )
            await RegistrationAgent(spoke, options).credentials()
            print(f"{args.cluster_name} is accepted and holds a hub client certificate.")
    print("Start the agent on this cluster with:\n\n  " + shlex.join(agent_args))
    return 0


async def run_unjoin(args: argparse.Namespace) -> int:
    try:
        spoke = ApiClient(KubeConfig.load(args.spoke_kubeconfig))
    except KubeError as exc:
        return _fail("unjoin", f"spoke kubeconfig: {exc}")
    async with spoke:
        store = CredentialStore(spoke, args.hub_kubeconfig_dir)
        try:
            await store.delete()
            await store.delete_bootstrap()
        except TransportError as exc:
            return _fail("unjoin", f"cannot reach the spoke API server: {exc}")
        except NotFoundError:
            pass
    (args.hub_kubeconfig_dir / BOOTSTRAP_FILE).unlink(missing_ok=True)
    print(
        f"Removed the hub credentials of {args.cluster_name}. Stop its `ocm klusterlet`, and on "
        f"the hub run `kubectl delete managedcluster {args.cluster_name}`."
    )
    return 0
