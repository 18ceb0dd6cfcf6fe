"""`ocm get placements`: the parser registry and the table rows."""

from __future__ import annotations

from ocm_core.cli.__main__ import build_parser
from ocm_core.cli.get import KINDS
from ocm_core.cli.placements import cluster_rows, format_table, placement_rows
from tests.support.placement_builders import decision, placement


def test_get_placement_parses_like_kubectl() -> None:
    args = build_parser().parse_args(["get", "placement", "p", "-n", "apps", "-o", "wide"])
    assert (args.name, args.namespace, args.output) == ("p", "apps", "wide")
    assert args.handler is KINDS["placements"].handler
    listing = build_parser().parse_args(["get", "placements"])
    assert (listing.name, listing.namespace, listing.output) == (None, None, None)


def test_placement_rows_show_the_satisfied_condition() -> None:
    p = placement("p")
    p["status"] = {
        "numberOfSelectedClusters": 2,
        "conditions": [
            {"type": "PlacementSatisfied", "status": "True", "reason": "AllDecisionsScheduled"}
        ],
    }
    assert placement_rows([p]) == [("apps", "p", "True", "AllDecisionsScheduled", "2")]


def test_wide_rows_list_the_clusters_left_out_with_the_reason() -> None:
    clusters = [{"metadata": {"name": n}} for n in ("c3", "c1", "c2")]
    decisions = [decision("p", ["c1"])]
    reasons = {"c2": "Predicate: no predicate matched"}
    assert cluster_rows(clusters, decisions, None) == [("c1", "p-decision-1", "")]
    assert cluster_rows(clusters, decisions, reasons) == [
        ("c1", "p-decision-1", ""),
        ("c2", "<none>", "Predicate: no predicate matched"),
        ("c3", "<none>", "not scheduled yet"),
    ]


def test_tables_align_columns() -> None:
    table = format_table(("A", "LONGER"), [("value", "x")])
    assert table.splitlines() == ["A       LONGER", "value   x"]


def test_every_kind_shares_the_one_get_command() -> None:
    parser = build_parser()
    for kind in ("clusters", "addons", "placements"):
        args = parser.parse_args(["get", kind, "--kubeconfig", "k"])
        assert (args.handler, args.kubeconfig) == (KINDS[kind].handler, "k")
    assert parser.parse_args(["get", "addons", "--cluster", "c1"]).cluster == "c1"
