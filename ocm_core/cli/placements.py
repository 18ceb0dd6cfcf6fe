"""``ocm get placements [NAME] [-n NS] [-o wide]``: Placements and their decisions.

Without a name: one row per Placement (namespace, name, PlacementSatisfied status and
reason, number of selected clusters). With a name: that Placement's row, then one row per
decided cluster and its PlacementDecision; ``-o wide`` adds every other cluster and why it
was not chosen, by running the pure scheduler over the hub's current objects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ocm_core.api import gvr
from ocm_core.api.placement import CONDITION_SATISFIED, PLACEMENT_LABEL
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import KubeError, NotFoundError
from ocm_core.placement import schedule
from ocm_core.placement.model import decided_clusters
from ocm_core.runtime.patching import find_condition

LIST_COLUMNS: Final = ("NAMESPACE", "NAME", "SUCCEEDED", "REASON", "SELECTEDCLUSTERS")
CLUSTER_COLUMNS: Final = ("CLUSTER", "DECISION", "REASON")
NOT_CHOSEN: Final = "<none>"

Obj = Mapping[str, Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="one Placement, to list its clusters")
    parser.add_argument(
        "-n", "--namespace", help="namespace (default: all; with NAME: the kubeconfig context's)"
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=["wide"],
        help="wide: with NAME, also list the clusters not chosen and why",
    )


def placement_rows(placements: Sequence[Obj]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for placement in sorted(placements, key=_address):
        status = placement.get("status") or {}
        satisfied = find_condition(status.get("conditions"), CONDITION_SATISFIED) or {}
        namespace, name = _address(placement)
        rows.append(
            (
                namespace,
                name,
                str(satisfied.get("status", "")),
                str(satisfied.get("reason", "")),
                str(status.get("numberOfSelectedClusters", "")),
            )
        )
    return rows


def cluster_rows(
    clusters: Sequence[Obj],
    decisions: Sequence[Obj],
    reasons: Mapping[str, str] | None,
) -> list[tuple[str, ...]]:
    """Decided clusters with their PlacementDecision; with `reasons`, the rest too."""
    decided = {
        cluster: _address(decision)[1]
        for decision in decisions
        for cluster in decided_clusters(decision)
    }
    rows: list[tuple[str, ...]] = [
        (cluster, decision, "") for cluster, decision in sorted(decided.items())
    ]
    if reasons is not None:
        names = sorted(_address(c)[1] for c in clusters)
        rows += [
            (name, NOT_CHOSEN, reasons.get(name, "not scheduled yet"))
            for name in names
            if name not in decided
        ]
    return rows


def format_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in (columns, *rows)) for i in range(len(columns))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (columns, *rows)
    )


async def run(args: argparse.Namespace) -> int:
    try:
        config = KubeConfig.load(args.kubeconfig)
    except KubeError as error:
        return _fail(f"cannot load the hub kubeconfig: {error}")
    try:
        async with ApiClient(config) as client:
            if args.name is None:
                return await _list(client, args.namespace)
            namespace = args.namespace or config.namespace
            return await _show(client, args.name, namespace, args.output)
    except NotFoundError as error:
        return _fail(f"{error} (are the OCM CRDs installed on this hub?)")
    except KubeError as error:
        return _fail(f"cannot read from the hub: {error}")


async def _list(client: ApiClient, namespace: str | None) -> int:
    placements = await _items(client, gvr.PLACEMENTS, namespace)
    if not placements:
        where = f"namespace {namespace!r}" if namespace else "any namespace"
        print(f"No placements in {where}.")
        return 0
    print(format_table(LIST_COLUMNS, placement_rows(placements)))
    return 0


async def _show(client: ApiClient, name: str, namespace: str, output: str | None) -> int:
    try:
        placement = await client.get(gvr.PLACEMENTS, name, namespace=namespace)
    except NotFoundError:
        return _fail(
            f"placement {name!r} not found in namespace {namespace!r}; "
            "list them with `ocm get placements`"
        )
    clusters = await _items(client, gvr.MANAGED_CLUSTERS, None)
    all_decisions = await _items(client, gvr.PLACEMENT_DECISIONS, None)
    own = [
        d
        for d in all_decisions
        if _address(d)[0] == namespace
        and ((d.get("metadata") or {}).get("labels") or {}).get(PLACEMENT_LABEL) == name
    ]
    reasons = None
    if output == "wide":
        result = schedule(
            placement,
            clusters,
            await _items(client, gvr.MANAGED_CLUSTER_SETS, None),
            await _items(client, gvr.MANAGED_CLUSTER_SET_BINDINGS, namespace),
            await _items(client, gvr.ADDON_PLACEMENT_SCORES, None),
            all_decisions,
            dt.datetime.now(dt.UTC),
        )
        reasons = result.reasons()
    print(format_table(LIST_COLUMNS, placement_rows([placement])))
    print()
    print(format_table(CLUSTER_COLUMNS, cluster_rows(clusters, own, reasons)))
    return 0


async def _items(client: ApiClient, resource: gvr.Resource, namespace: str | None) -> list[Any]:
    return list((await client.list(resource, namespace=namespace)).get("items") or [])


def _address(obj: Obj) -> tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def _fail(message: str) -> int:
    print(f"ocm get placements: {message}", file=sys.stderr)
    return 1
