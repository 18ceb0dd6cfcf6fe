"""``ocm work``: create, list and delete ManifestWorks on the hub, and run the work agent.

::

    ocm work create --cluster c1 -f deploy.yaml [--name web] [--overwrite]
    ocm work get [NAME] [--cluster c1] [-o table|yaml|json]
    ocm work delete NAME --cluster c1 [--wait]
    ocm work agent --hub-kubeconfig H --spoke-kubeconfig S --cluster-name c1

The hub is reached with ``--kubeconfig`` (default: ``$KUBECONFIG``, then ``~/.kube/config``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import yaml

from ocm_core.api import gvr, work
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.kube.protocol import Object
from ocm_core.work.spoke import run_work_agent

OUTPUT_FORMATS: Final = ("table", "yaml", "json")
DELETE_WAIT_SECONDS: Final = 60.0
_POLL_SECONDS: Final = 0.2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("work", help="manage ManifestWorks and run the work agent")
    verbs = parser.add_subparsers(dest="verb", required=True)

    create = verbs.add_parser("create", help="wrap manifests from a file into a ManifestWork")
    _hub_flag(create)
    create.add_argument("--cluster", required=True, help="the managed cluster (its namespace)")
    create.add_argument(
        "-f", "--filename", type=Path, required=True, help="YAML file of manifests (- for stdin)"
    )
    create.add_argument("--name", help="ManifestWork name (default: the file name without suffix)")
    create.add_argument(
        "--overwrite", action="store_true", help="replace the manifests of an existing work"
    )
    create.set_defaults(handler=_create)

    get = verbs.add_parser("get", help="list ManifestWorks or show one")
    _hub_flag(get)
    get.add_argument("name", nargs="?", help="one work (needs --cluster)")
    get.add_argument("--cluster", help="one cluster's works (default: all clusters)")
    get.add_argument("-o", "--output", choices=OUTPUT_FORMATS, default="table")
    get.set_defaults(handler=_get)

    delete = verbs.add_parser("delete", help="delete a ManifestWork (and what it applied)")
    _hub_flag(delete)
    delete.add_argument("name")
    delete.add_argument("--cluster", required=True)
    delete.add_argument(
        "--wait", action="store_true", help="wait until the agent has cleaned up the work"
    )
    delete.set_defaults(handler=_delete)

    agent = verbs.add_parser("agent", help="run the work agent of one managed cluster")
    agent.add_argument("--hub-kubeconfig", type=Path, required=True)
    agent.add_argument("--spoke-kubeconfig", type=Path, help="default: $KUBECONFIG / in-cluster")
    agent.add_argument("--cluster-name", required=True)
    agent.add_argument("--agent-id", default="", help="default: the hub hash")
    agent.add_argument(
        "--status-sync-interval",
        type=float,
        default=float(work.STATUS_SYNC_INTERVAL_SECONDS),
        help="seconds between status refreshes of a work",
    )
    agent.add_argument("--workers", type=int, default=work.WORKLOAD_AGENT_WORKERS)
    agent.add_argument(
        "--appliedmanifestwork-eviction-grace-period",
        dest="eviction_grace_period",
        type=float,
        default=float(work.EVICTION_GRACE_PERIOD_SECONDS),
        help="seconds before the resources of a vanished ManifestWork are deleted",
    )
    agent.set_defaults(handler=_agent)


def _hub_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", type=Path, help="hub kubeconfig (default: $KUBECONFIG)")


def _fail(message: str) -> int:
    print(f"ocm work: {message}", file=sys.stderr)
    return 1


# -- create -------------------------------------------------------------------------------


def read_manifests(path: Path) -> list[Object]:
    """Every object in a (multi-document) YAML file; ``List`` kinds are flattened."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    found: list[Object] = []
    for index, document in enumerate(yaml.safe_load_all(text)):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ValueError(f"document {index} of {path} is not a Kubernetes object")
        if str(document.get("kind", "")).endswith("List") and "items" in document:
            found.extend(document["items"])
        else:
            found.append(document)
    if not found:
        raise ValueError(f"{path} holds no manifests")
    return found


def build_work(name: str, cluster: str, manifests: Sequence[Object]) -> Object:
    return {
        "apiVersion": gvr.MANIFEST_WORKS.api_version,
        "kind": gvr.MANIFEST_WORKS.kind,
        "metadata": {"name": name, "namespace": cluster},
        "spec": {"workload": {"manifests": list(manifests)}},
    }


async def _create(args: argparse.Namespace) -> int:
    try:
        manifests = read_manifests(args.filename)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return _fail(f"cannot read manifests: {exc}")
    name = args.name or args.filename.stem
    try:
        async with ApiClient(KubeConfig.from_kubeconfig(args.kubeconfig)) as hub:
            verb = await _create_or_replace(hub, build_work(name, args.cluster, manifests), args)
    except errors.AlreadyExistsError:
        return _fail(
            f'ManifestWork "{name}" already exists in cluster {args.cluster}: '
            "use --overwrite to replace its manifests, or pick another --name"
        )
    except errors.KubeError as exc:
        return _fail(str(exc))
    print(f"manifestwork.{work.GROUP}/{name} {verb} (cluster {args.cluster})")
    return 0


async def _create_or_replace(hub: ApiClient, body: Object, args: argparse.Namespace) -> str:
    try:
        await hub.create(gvr.MANIFEST_WORKS, body)
        return "created"
    except errors.AlreadyExistsError:
        if not args.overwrite:
            raise
    current = await hub.get(gvr.MANIFEST_WORKS, body["metadata"]["name"], namespace=args.cluster)
    current["spec"]["workload"] = body["spec"]["workload"]
    await hub.replace(gvr.MANIFEST_WORKS, current)
    return "configured"


# -- get ----------------------------------------------------------------------------------


async def _get(args: argparse.Namespace) -> int:
    if args.name and not args.cluster:
        return _fail("a work name needs --cluster (works live in their cluster's namespace)")
    try:
        async with ApiClient(KubeConfig.from_kubeconfig(args.kubeconfig)) as hub:
            if args.name:
                items = [await hub.get(gvr.MANIFEST_WORKS, args.name, namespace=args.cluster)]
            else:
                listing = await hub.list(gvr.MANIFEST_WORKS, namespace=args.cluster)
                items = listing.get("items") or []
    except errors.NotFoundError:
        return _fail(f'ManifestWork "{args.name}" not found in cluster {args.cluster}')
    except errors.KubeError as exc:
        return _fail(str(exc))
    print(render(items, args.output, single=bool(args.name)))
    return 0


def _condition(obj: Object, condition_type: str) -> str:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return str(condition.get("status"))
    return "-"


def render(items: Sequence[Object], output: str, *, single: bool = False) -> str:
    if output == "json":
        return json.dumps(items[0] if single else {"items": list(items)}, indent=2)
    if output == "yaml":
        return yaml.safe_dump(items[0] if single else {"items": list(items)}, sort_keys=False)
    rows = [("CLUSTER", "NAME", "MANIFESTS", "APPLIED", "AVAILABLE", "DELETING")]
    for item in items:
        metadata = item.get("metadata") or {}
        manifests = ((item.get("spec") or {}).get("workload") or {}).get("manifests") or []
        rows.append(
            (
                str(metadata.get("namespace", "")),
                str(metadata.get("name", "")),
                str(len(manifests)),
                _condition(item, work.CONDITION_APPLIED),
                _condition(item, work.CONDITION_AVAILABLE),
                "yes" if metadata.get("deletionTimestamp") else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


# -- delete -------------------------------------------------------------------------------


async def _delete(args: argparse.Namespace) -> int:
    try:
        async with ApiClient(KubeConfig.from_kubeconfig(args.kubeconfig)) as hub:
            await hub.delete(gvr.MANIFEST_WORKS, args.name, namespace=args.cluster)
            if args.wait and not await _gone(hub, args.name, args.cluster):
                return _fail(
                    f'ManifestWork "{args.name}" is still being cleaned up after '
                    f"{DELETE_WAIT_SECONDS:.0f}s: is the cluster's work agent running?"
                )
    except errors.NotFoundError:
        return _fail(f'ManifestWork "{args.name}" not found in cluster {args.cluster}')
    except errors.KubeError as exc:
        return _fail(str(exc))
    print(f"manifestwork.{work.GROUP}/{args.name} deleted (cluster {args.cluster})")
    return 0


async def _gone(hub: ApiClient, name: str, cluster: str) -> bool:
    deadline = time.monotonic() + DELETE_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)
        except errors.NotFoundError:
            return True
        await asyncio.sleep(_POLL_SECONDS)
    return False


# -- agent --------------------------------------------------------------------------------


async def _agent(args: argparse.Namespace) -> int:
    try:
        hub_config = KubeConfig.from_kubeconfig(args.hub_kubeconfig)
        spoke_config = (
            KubeConfig.from_kubeconfig(args.spoke_kubeconfig)
            if args.spoke_kubeconfig
            else KubeConfig.load()
        )
    except errors.ConfigError as exc:
        return _fail(str(exc))
    if args.workers < 1 or args.status_sync_interval <= 0 or args.eviction_grace_period < 0:
        return _fail(
            "--workers must be at least 1, --status-sync-interval positive and "
            "--appliedmanifestwork-eviction-grace-period not negative"
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    agent = asyncio.create_task(
        run_work_agent(
            hub_config,
            spoke_config,
            args.cluster_name,
            agent_id=args.agent_id,
            status_sync_interval=args.status_sync_interval,
            workers=args.workers,
            eviction_grace_period=args.eviction_grace_period,
        )
    )
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({agent, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if agent in done:
        stopping.cancel()
        agent.result()  # the agent only ends early by failing: let the error show
        return 1
    agent.cancel()
    await asyncio.gather(agent, return_exceptions=True)
    return 0
