"""Prioritizer weights (Additive/Exact) and the score formulas."""

from collections import Counter
from typing import Any

import pytest

from ocm_core.placement.model import Cluster, Misconfigured
from ocm_core.placement.prioritizers import (
    ScoreCoordinate,
    ScoringInput,
    allocatable_scores,
    balance_scores,
    count_decisions,
    resolve_weights,
    score_clusters,
    steady_scores,
)
from tests.support.placement_builders import NOW, addon_score, cluster, decision, prioritizers


def views(*objs: dict[str, Any]) -> list[Cluster]:
    return [Cluster.from_dict(o) for o in objs]


def builtin(name: str) -> ScoreCoordinate:
    return ScoreCoordinate("BuiltIn", builtin=name)


def inputs(
    decided: set[str] | None = None,
    counts: dict[str, int] | None = None,
    scores: list[dict[str, Any]] | None = None,
) -> ScoringInput:
    index = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in scores or []}
    return ScoringInput(
        decided=decided or set(),
        other_decision_counts=counts or {},
        scores=lambda ns, name: index.get((ns, name)),
        now=NOW,
    )


def test_additive_mode_defaults_to_balance_and_steady() -> None:
    assert resolve_weights({}) == {builtin("Balance"): 1, builtin("Steady"): 1}


def test_additive_mode_overrides_and_adds() -> None:
    policy = prioritizers(("Steady", 3), ("ResourceAllocatableCPU", 2), mode="Additive")
    assert resolve_weights(policy) == {
        builtin("Balance"): 1,
        builtin("Steady"): 3,
        builtin("ResourceAllocatableCPU"): 2,
    }


def test_exact_mode_uses_only_the_configurations_and_zero_disables() -> None:
    policy = prioritizers(("ResourceAllocatableMemory", 1), ("Balance", 0))
    assert resolve_weights(policy) == {builtin("ResourceAllocatableMemory"): 1}


def test_weight_defaults_to_one_and_addon_coordinates_are_named() -> None:
    policy = {
        "mode": "Exact",
        "configurations": [
            {"scoreCoordinate": {"type": "AddOn", "addOn": {"resourceName": "r", "scoreName": "s"}}}
        ],
    }
    ((coordinate, weight),) = resolve_weights(policy).items()
    assert (coordinate.name, weight) == ("AddOn/r/s", 1)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"mode": "Sometimes"}, "incorrect prioritizer policy mode: Sometimes"),
        ({"configurations": [{"weight": 1}]}, "scoreCoordinate field is required"),
        (prioritizers(("Fastest", 1)), "incorrect builtin prioritizer: Fastest"),
        ({"configurations": [{"scoreCoordinate": {"type": "AddOn"}}]}, "addOn should not be empty"),
    ],
)
def test_bad_policies_are_misconfigured(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(Misconfigured) as caught:
        resolve_weights(policy)
    assert caught.value.message == message


def test_unknown_builtin_with_weight_zero_is_ignored() -> None:
    assert resolve_weights(prioritizers(("Fastest", 0))) == {}


def test_balance_formula() -> None:
    clusters = views(cluster("idle"), cluster("one"), cluster("two"), cluster("three"))
    scores = balance_scores(clusters, {"one": 1, "two": 2, "three": 3})
    # 2 * trunc(100 * (0.5 - count/max)): 1/3 -> 2*16, 2/3 -> 2*(-16), 3/3 -> -100
    assert scores == {"idle": 100, "one": 32, "two": -32, "three": -100}


def test_count_decisions() -> None:
    counted = count_decisions([decision("x", ["a", "b"]), decision("y", ["a"])])
    assert counted == Counter({"a": 2, "b": 1})


def test_steady_formula() -> None:
    assert steady_scores(views(cluster("a"), cluster("b")), {"a"}) == {"a": 100, "b": 0}


def test_allocatable_cpu_min_max_normalisation() -> None:
    clusters = views(
        cluster("small", cpu="2"), cluster("mid", cpu="3500m"), cluster("big", cpu="8")
    )
    # (3.5 - 2) / 6 = 0.25 -> (0.25 - 0.5) * 200 = -50
    assert allocatable_scores(clusters, "cpu") == {"small": -100, "mid": -50, "big": 100}


def test_allocatable_memory_units_equal_values_and_missing_data() -> None:
    clusters = views(cluster("a", memory="1Gi"), cluster("b", memory="1024Mi"), cluster("none"))
    assert allocatable_scores(clusters, "memory") == {"a": 100, "b": 100}
    assert allocatable_scores(views(cluster("none")), "memory") == {}


def test_allocatable_needs_capacity_too() -> None:
    obj = cluster("a", cpu="4")
    del obj["status"]["capacity"]["cpu"]
    assert allocatable_scores(views(obj, cluster("b", cpu="2")), "cpu") == {"b": 100}


def test_addon_scores_valid_expired_and_missing() -> None:
    coordinate = ScoreCoordinate("AddOn", resource_name="usage", score_name="cpu")
    scores = [
        addon_score("fresh", "usage", {"cpu": 70}, valid_until="2026-06-01T13:00:00Z"),
        addon_score("stale", "usage", {"cpu": 90}, valid_until="2026-06-01T11:00:00Z"),
        addon_score("other-entry", "usage", {"mem": 50}),
    ]
    clusters = views(cluster("fresh"), cluster("stale"), cluster("other-entry"), cluster("none"))
    totals, _ = score_clusters({coordinate: 2}, clusters, inputs(scores=scores))
    assert totals == {"fresh": 140, "stale": 0, "other-entry": 0, "none": 0}


def test_totals_are_weighted_sums_with_per_prioritizer_records() -> None:
    clusters = views(cluster("a", cpu="1"), cluster("b", cpu="3"))
    weights = {builtin("Steady"): 2, builtin("ResourceAllocatableCPU"): -1}
    totals, results = score_clusters(weights, clusters, inputs(decided={"a"}))
    assert totals == {"a": 2 * 100 + -1 * -100, "b": 2 * 0 + -1 * 100}
    assert [(r.name, r.weight) for r in results] == [("ResourceAllocatableCPU", -1), ("Steady", 2)]
