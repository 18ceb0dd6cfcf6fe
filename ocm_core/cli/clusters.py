"""``ocm accept --clusters c1,c2`` and ``ocm get clusters`` (a kubectl-like table)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, NotFoundError, TransportError
from ocm_core.runtime import patching

COLUMNS = ("NAME", "HUB ACCEPTED", "JOINED", "AVAILABLE", "CLUSTERSET", "KUBERNETES", "AGE")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accept = subparsers.add_parser("accept", help="accept managed clusters on the hub")
    accept.add_argument("--clusters", required=True, help="comma-separated cluster names")
    accept.add_argument("--kubeconfig", help="hub kubeconfig (default: $KUBECONFIG)")
    accept.set_defaults(handler=run_accept)


def _condition(cluster: dict[str, Any], kind: str) -> str:
    found = patching.find_condition((cluster.get("status") or {}).get("conditions"), kind)
    return str(found.get("status")) if found else ""


def _age(created: str | None, now: dt.datetime) -> str:
    if not created:
        return ""
    seconds = int((now - dt.datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def cluster_rows(clusters: Sequence[dict[str, Any]], now: dt.datetime) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for cluster in sorted(clusters, key=lambda c: c["metadata"]["name"]):
        metadata = cluster["metadata"]
        rows.append(
            (
                metadata["name"],
                str(bool((cluster.get("spec") or {}).get("hubAcceptsClient"))).lower(),
                _condition(cluster, cluster_api.CONDITION_JOINED),
                _condition(cluster, cluster_api.CONDITION_AVAILABLE),
                (metadata.get("labels") or {}).get(cluster_api.CLUSTER_SET_LABEL, ""),
                ((cluster.get("status") or {}).get("version") or {}).get("kubernetes", ""),
                _age(metadata.get("creationTimestamp"), now),
            )
        )
    return rows


def format_table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in (COLUMNS, *rows)) for i in range(len(COLUMNS))]
    lines = ["   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in (COLUMNS, *rows)]  # fmt: skip
    return "\n".join(lines)


def _client(command: str, kubeconfig: str | None) -> ApiClient | None:
    try:
        return ApiClient(KubeConfig.load(kubeconfig))
    except KubeError as exc:
        print(f"ocm {command}: {exc}", file=sys.stderr)
        return None


async def run_accept(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.clusters.split(",") if n.strip()]
    client = _client("accept", args.kubeconfig)
    if client is None:
        return 2
    failed = 0
    async with client:
        for name in names:
            try:
                await client.patch(gvr.MANAGED_CLUSTERS, name, {"spec": {"hubAcceptsClient": True}})
            except NotFoundError:
                print(
                    f"ocm accept: cluster {name!r} has not registered yet: run `ocm join` on it "
                    "first, then accept it",
                    file=sys.stderr,
                )
                failed += 1
                continue
            except TransportError as exc:
                print(f"ocm accept: cannot reach the hub: {exc}", file=sys.stderr)
                return 1
            print(f"accepted {name}; the hub approves its certificate request next")
    return 1 if failed else 0


async def run_get(args: argparse.Namespace) -> int:
    client = _client("get", args.kubeconfig)
    if client is None:
        return 2
    async with client:
        try:
            items = (await client.list(gvr.MANAGED_CLUSTERS)).get("items") or []
        except NotFoundError:
            print("ocm get: this hub serves no ManagedClusters: run `ocm init`", file=sys.stderr)
            return 1
        except TransportError as exc:
            print(f"ocm get: cannot reach the hub: {exc}", file=sys.stderr)
            return 1
    if not items:
        print("No managed clusters.")
        return 0
    print(format_table(cluster_rows(items, dt.datetime.now(dt.UTC))))
    return 0
