"""Benchmark: one Placement scheduled over 5,000 clusters spread across 3 zones.

Each scenario runs `--passes` scheduling passes (the first without previous decisions, the
rest fed the previous pass's PlacementDecisions, as the controller would) and prints the
median, fastest and slowest pass and the number of PlacementDecision objects written.

    .venv/bin/python bench/placement.py [--clusters 5000] [--passes 7]
"""

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.placement import SchedulingResult, schedule

ZONES = ("zone-a", "zone-b", "zone-c")
NAMESPACE = "bench"


@dataclass(frozen=True)
class Scenario:
    name: str
    spec: dict[str, Any]


def make_clusters(count: int) -> list[dict[str, Any]]:
    return [
        {
            "metadata": {
                "name": f"cluster-{i:05d}",
                "labels": {CLUSTER_SET_LABEL: "default", "zone": ZONES[i % len(ZONES)]},
            },
            "spec": {"hubAcceptsClient": True},
            "status": {
                # Deterministic spread of allocatable CPU between 2 and 64 cores.
                "allocatable": {"cpu": f"{2000 + (i * 7919) % 62000}m", "memory": "64Gi"},
                "capacity": {"cpu": "64", "memory": "64Gi"},
            },
        }
        for i in range(count)
    ]


def scenarios() -> list[Scenario]:
    spread = {
        "spreadConstraints": [
            {
                "topologyKey": "zone",
                "topologyKeyType": "Label",
                "maxSkew": 1,
                "whenUnsatisfiable": "DoNotSchedule",
            }
        ]
    }
    cpu = {
        "mode": "Additive",
        "configurations": [
            {
                "scoreCoordinate": {"type": "BuiltIn", "builtIn": "ResourceAllocatableCPU"},
                "weight": 2,
            }
        ],
    }
    return [
        Scenario("all clusters", {"prioritizerPolicy": cpu, "spreadPolicy": spread}),
        Scenario(
            "numberOfClusters=300",
            {"numberOfClusters": 300, "prioritizerPolicy": cpu, "spreadPolicy": spread},
        ),
        Scenario(
            "all, 10% groups",
            {
                "prioritizerPolicy": cpu,
                "spreadPolicy": spread,
                "decisionStrategy": {"groupStrategy": {"clustersPerDecisionGroup": "10%"}},
            },
        ),
    ]


def run(scenario: Scenario, clusters: Sequence[dict[str, Any]], passes: int) -> list[Any]:
    placement = {
        "metadata": {"name": "bench", "namespace": NAMESPACE, "uid": "bench-uid"},
        "spec": scenario.spec,
    }
    sets = [{"metadata": {"name": "default"}, "spec": {"clusterSelector": {}}}]
    bindings = [{"metadata": {"name": "default", "namespace": NAMESPACE}}]
    previous: list[dict[str, Any]] = []
    timings = []
    result: SchedulingResult | None = None
    for _ in range(passes):
        started = time.perf_counter()
        result = schedule(placement, clusters, sets, bindings, [], previous, datetime.now(UTC))
        timings.append(time.perf_counter() - started)
        previous = list(result.decisions)
    assert result is not None
    zones = {zone: 0 for zone in ZONES}
    selected = set(result.selected)
    for obj in clusters:
        if obj["metadata"]["name"] in selected:
            zones[obj["metadata"]["labels"]["zone"]] += 1
    return [
        scenario.name,
        f"{statistics.median(timings) * 1000:.0f}",
        f"{min(timings) * 1000:.0f}",
        f"{max(timings) * 1000:.0f}",
        str(len(result.selected)),
        "/".join(str(n) for n in zones.values()),
        str(len(result.decisions)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=5000)
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    clusters = make_clusters(args.clusters)
    header = ["scenario", "median ms", "min ms", "max ms", "selected", "per zone", "decisions"]
    rows = [header] + [run(s, clusters, args.passes) for s in scenarios()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"{args.clusters} clusters, {args.passes} passes per scenario")
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
