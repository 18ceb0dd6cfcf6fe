"""``ocm get addons``, ``ocm proxy kubeconfig CLUSTER`` and ``ocm proxy health``.

- ``get addons``: one row per ManagedClusterAddOn: cluster, add-on, and the status of its
  Available, Degraded and Progressing conditions.
- ``proxy kubeconfig CLUSTER``: a kubeconfig whose server is ``https://<user-server>/<cluster>``,
  trusting the cluster-proxy CA bundle (Secret ``proxy-server-ca``, or ``--ca-file``) and carrying
  the caller's own hub credentials (the user-server authenticates them and impersonates the
  caller on the spoke).
- ``proxy health``: ``GET /healthz`` of every ManagedCluster through the user-server.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.api import gvr, proxy
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.kube.config import DEFAULT_KUBECONFIG, KUBECONFIG_ENV

CONDITION_COLUMNS: Final = ("Available", "Degraded", "Progressing")
USER_SERVER_DEFAULT: Final = (
    f"{proxy.USER_SERVER_SERVICE}.{proxy.PROXY_SERVER_NAMESPACE_DEFAULT}.svc"
    f":{proxy.USER_SERVER_PORT}"
)
HEALTH_TIMEOUT_SECONDS: Final = 10.0
Object = dict[str, Any]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy_parser = subparsers.add_parser("proxy", help="reach managed clusters through the hub")
    actions = proxy_parser.add_subparsers(dest="action", required=True)
    kubeconfig = actions.add_parser(
        "kubeconfig", help="write a kubeconfig reaching CLUSTER through the user-server"
    )
    kubeconfig.add_argument("cluster", help="managed cluster name")
    _proxy_flags(kubeconfig)
    kubeconfig.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    kubeconfig.set_defaults(handler=proxy_kubeconfig)
    health = actions.add_parser("health", help="check every cluster through the tunnel")
    _proxy_flags(health)
    health.set_defaults(handler=proxy_health)


def add_get_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `ocm get addons` (its --kubeconfig comes from `ocm get`)."""
    parser.add_argument("--context", help="kubeconfig context (default: current-context)")
    parser.add_argument("--cluster", help="only this cluster's add-ons")


def _hub_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="hub kubeconfig (default: $KUBECONFIG)")
    parser.add_argument("--context", help="kubeconfig context (default: current-context)")


def _proxy_flags(parser: argparse.ArgumentParser) -> None:
    _hub_flag(parser)
    parser.add_argument(
        "--user-server",
        default=USER_SERVER_DEFAULT,
        help=f"host:port of the cluster-proxy user-server (default {USER_SERVER_DEFAULT})",
    )
    parser.add_argument(
        "--proxy-namespace",
        default=proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
        help="namespace of the proxy-server-ca Secret",
    )
    parser.add_argument("--ca-file", type=Path, help="CA bundle of the user-server certificate")


# -- get addons ---------------------------------------------------------------------------


def condition_status(obj: Mapping[str, Any], condition_type: str) -> str:
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if condition.get("type") == condition_type:
            return str(condition.get("status", ""))
    return ""


def addon_table(items: Sequence[Mapping[str, Any]]) -> str:
    """The `ocm get addons` table, sorted by cluster then add-on."""
    rows = [("CLUSTER", "ADDON", *(c.upper() for c in CONDITION_COLUMNS))]
    for item in sorted(
        items, key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"])
    ):
        metadata = item["metadata"]
        rows.append(
            (
                str(metadata.get("namespace", "")),
                str(metadata["name"]),
                *(condition_status(item, c) for c in CONDITION_COLUMNS),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


async def get_addons(args: argparse.Namespace) -> int:
    config = _load(args)
    async with ApiClient(config) as api:
        listing = await api.list(gvr.MANAGED_CLUSTER_ADDONS, namespace=args.cluster)
    items = listing.get("items") or []
    if not items:
        print("No add-ons found.", file=sys.stderr)
        return 0
    print(addon_table(items))
    return 0


# -- proxy kubeconfig ---------------------------------------------------------------------


def caller_credentials(kubeconfig: Mapping[str, Any], context: str | None) -> tuple[str, Object]:
    """(user name, user entry) of the kubeconfig's context: the caller's hub credentials."""
    name = context or kubeconfig.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in kubeconfig.get("contexts") or ()}
    if name not in contexts:
        raise ValueError(f"context {name!r} not found in the hub kubeconfig")
    user_name = contexts[name].get("user")
    users = {u.get("name"): u.get("user") or {} for u in kubeconfig.get("users") or ()}
    if user_name not in users:
        raise ValueError(f"user {user_name!r} of context {name!r} not found in the hub kubeconfig")
    return str(user_name), dict(users[user_name])


def proxy_kubeconfig_document(
    cluster: str, user_server: str, ca_pem: bytes, user_name: str, user: Mapping[str, Any]
) -> Object:
    """A kubeconfig reaching `cluster` through the user-server as the given hub user."""
    name = f"{cluster}-via-cluster-proxy"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": f"https://{user_server}/{cluster}",
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": user_name, "user": dict(user)}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user_name}}],
        "current-context": name,
    }


def _absolute_paths(user: Object, base_dir: Path) -> Object:
    """File references in a user entry, made absolute (the new file may live elsewhere)."""
    fixed = dict(user)
    for key in ("client-certificate", "client-key", "tokenFile"):
        if key in fixed and not Path(fixed[key]).is_absolute():
            fixed[key] = str((base_dir / fixed[key]).resolve())
    return fixed


async def _ca_bundle(args: argparse.Namespace, config: KubeConfig) -> bytes:
    if args.ca_file is not None:
        return await asyncio.to_thread(Path(args.ca_file).read_bytes)
    async with ApiClient(config) as api:
        secret = await api.get(
            gvr.SECRETS, proxy.PROXY_SERVER_CA_SECRET, namespace=args.proxy_namespace
        )
    data = (secret.get("data") or {}).get(proxy.CA_CERT_KEY)
    if not data:
        raise ValueError(
            f"Secret {args.proxy_namespace}/{proxy.PROXY_SERVER_CA_SECRET} has no "
            f"{proxy.CA_CERT_KEY}; is the cluster-proxy add-on manager running? (or pass --ca-file)"
        )
    return base64.b64decode(data)


async def _document(args: argparse.Namespace, cluster: str) -> Object:
    path = _kubeconfig_path(args)
    raw = yaml.safe_load(path.read_text())
    user_name, user = caller_credentials(raw, args.context)
    config = KubeConfig.from_kubeconfig_data(raw, context=args.context, base_dir=path.parent)
    ca_pem = await _ca_bundle(args, config)
    return proxy_kubeconfig_document(
        cluster, args.user_server, ca_pem, user_name, _absolute_paths(user, path.parent)
    )


async def proxy_kubeconfig(args: argparse.Namespace) -> int:
    try:
        document = await _document(args, args.cluster)
    except (ValueError, OSError, errors.KubeError) as exc:
        print(f"ocm proxy kubeconfig: {exc}", file=sys.stderr)
        return 1
    text = yaml.safe_dump(document, sort_keys=False)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
        args.output.chmod(0o600)
        print(args.output)
    return 0


# -- proxy health -------------------------------------------------------------------------


async def _cluster_health(document: Object) -> str:
    config = KubeConfig.from_kubeconfig_data(document)
    try:
        async with ApiClient(config) as api:
            body = await api.get_text("/healthz", request_timeout=HEALTH_TIMEOUT_SECONDS)
    except errors.KubeError as exc:
        return f"error: {exc}"
    return body.strip() or "ok"


async def proxy_health(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
        async with ApiClient(config) as api:
            clusters = (await api.list(gvr.MANAGED_CLUSTERS)).get("items") or []
        names = sorted(c["metadata"]["name"] for c in clusters)
        documents = [await _document(args, name) for name in names]
    except (ValueError, OSError, errors.KubeError) as exc:
        print(f"ocm proxy health: {exc}", file=sys.stderr)
        return 1
    results = await asyncio.gather(*(_cluster_health(d) for d in documents))
    width = max([len("CLUSTER"), *(len(n) for n in names)])
    print(f"{'CLUSTER'.ljust(width)}   HEALTH")
    for name, result in zip(names, results, strict=True):
        print(f"{name.ljust(width)}   {result}")
    return 0 if all(r == "ok" for r in results) else 1


def _kubeconfig_path(args: argparse.Namespace) -> Path:
    if args.kubeconfig:
        return Path(args.kubeconfig)
    env = os.environ.get(KUBECONFIG_ENV, "")
    return Path(env.split(os.pathsep)[0]) if env else DEFAULT_KUBECONFIG.expanduser()


def _load(args: argparse.Namespace) -> KubeConfig:
    return KubeConfig.from_kubeconfig(_kubeconfig_path(args), context=args.context)
