"""``ocm get KIND``: kubectl-like listings of hub objects, one entry per kind in `KINDS`.

To add a kind, write its handler (``async def(args) -> int``) in its own module and add a
`Kind` here; every kind gets ``--kubeconfig`` (default ``$KUBECONFIG``), and ``add_arguments``
adds its own flags.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ocm_core.cli import addon, clusters, placements

Handler = Callable[[argparse.Namespace], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Kind:
    help: str
    handler: Handler
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    aliases: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "clusters": Kind(
        "ManagedClusters: accepted, joined, available", clusters.run_get, aliases=("cluster",)
    ),
    "addons": Kind(
        "ManagedClusterAddOns and their conditions",
        addon.get_addons,
        addon.add_get_arguments,
        aliases=("addon",),
    ),
    "placements": Kind(
        "Placements and the clusters they chose (-o wide: why the others were not)",
        placements.run,
        placements.add_arguments,
        aliases=("placement",),
    ),
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = subparsers.add_parser("get", help="list hub objects")
    kinds = get.add_subparsers(dest="kind", required=True, metavar="KIND")
    for name, kind in KINDS.items():
        parser = kinds.add_parser(name, help=kind.help, aliases=list(kind.aliases))
        parser.add_argument("--kubeconfig", help="hub kubeconfig (default: $KUBECONFIG)")
        if kind.add_arguments is not None:
            kind.add_arguments(parser)
        parser.set_defaults(handler=kind.handler)
