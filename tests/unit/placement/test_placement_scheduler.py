"""The whole scheduling pass: conditions, decisions, reasons, requeue and stability."""

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocm_core.api.placement import SCHEDULING_DISABLE_ANNOTATION
from ocm_core.placement import SchedulingResult, schedule
from tests.support.placement_builders import (
    NOW,
    addon_score,
    binding,
    cluster,
    decision,
    label_set,
    placement,
    prioritizers,
)

SETS = [label_set("default"), label_set("prod")]
BINDINGS = [binding("default")]


def run(
    spec: dict[str, Any],
    clusters: list[dict[str, Any]],
    *,
    sets: list[dict[str, Any]] | None = None,
    bindings: list[dict[str, Any]] | None = None,
    scores: list[dict[str, Any]] | None = None,
    previous: list[dict[str, Any]] | None = None,
    obj: dict[str, Any] | None = None,
) -> SchedulingResult:
    return schedule(
        obj or placement(**spec),
        clusters,
        SETS if sets is None else sets,
        BINDINGS if bindings is None else bindings,
        scores or [],
        previous or [],
        NOW,
    )


def condition(result: SchedulingResult, kind: str) -> tuple[str, str, str]:
    (found,) = [c for c in result.status["conditions"] if c["type"] == kind]
    return found["status"], found["reason"], found["message"]


def satisfied(result: SchedulingResult) -> tuple[str, str, str]:
    return condition(result, "PlacementSatisfied")


def decided(result: SchedulingResult) -> list[str]:
    return [d["clusterName"] for pd in result.decisions for d in pd["status"]["decisions"]]


def test_all_clusters_selected_when_number_of_clusters_is_unset() -> None:
    result = run({}, [cluster("b"), cluster("a")])
    assert decided(result) == ["a", "b"]
    assert result.status["numberOfSelectedClusters"] == 2
    assert satisfied(result) == ("True", "AllDecisionsScheduled", "All cluster decisions scheduled")
    assert condition(result, "PlacementMisconfigured") == (
        "False",
        "Succeedconfigured",
        "Placement configurations check pass",
    )


def test_no_bindings() -> None:
    result = run({}, [cluster("a")], bindings=[])
    assert satisfied(result) == (
        "False",
        "NoManagedClusterSetBindings",
        "No valid ManagedClusterSetBindings found in placement namespace",
    )
    assert decided(result) == []
    assert [d["metadata"]["name"] for d in result.decisions] == ["p-decision-1"]


def test_no_intersection() -> None:
    result = run({"clusterSets": ["prod", "qa"]}, [cluster("a")])
    assert satisfied(result) == (
        "False",
        "NoIntersection",
        "None of ManagedClusterSets [prod,qa] is bound to placement namespace",
    )


def test_all_sets_empty() -> None:
    result = run({}, [cluster("a", clusterset="prod")])
    assert satisfied(result) == (
        "False",
        "AllManagedClusterSetsEmpty",
        "All ManagedClusterSets [default] have no member ManagedCluster",
    )
    assert result.reasons() == {
        "a": "ClusterSet: not a member of the eligible ManagedClusterSets [default]"
    }


def test_no_cluster_matched() -> None:
    spec = {
        "predicates": [
            {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"env": "x"}}}}
        ]
    }
    result = run(spec, [cluster("a")])
    assert satisfied(result) == (
        "False",
        "NoManagedClusterMatched",
        "No ManagedCluster matches any of the cluster predicate",
    )
    assert result.reasons() == {"a": "Predicate: labels do not match env=x"}


def test_not_all_decisions_scheduled() -> None:
    result = run({"numberOfClusters": 5}, [cluster("a"), cluster("b")])
    assert satisfied(result) == (
        "False",
        "NotAllDecisionsScheduled",
        "3 cluster decisions unscheduled",
    )
    assert result.status["numberOfSelectedClusters"] == 2


def test_number_of_clusters_takes_the_best_scores_and_explains_the_rest() -> None:
    spec = {"numberOfClusters": 2, "prioritizerPolicy": prioritizers(("ResourceAllocatableCPU", 1))}
    clusters = [cluster("a", cpu="1"), cluster("b", cpu="4"), cluster("c", cpu="8")]
    result = run(spec, clusters)
    assert result.selected == ("c", "b")
    assert decided(result) == ["b", "c"]
    assert result.scores == {"a": -100, "b": -14, "c": 100}
    assert result.reasons() == {"a": "Rank: ranked 3 of 3 with score -100; numberOfClusters is 2"}


def test_equal_scores_rank_by_name() -> None:
    result = run({"numberOfClusters": 1}, [cluster("b"), cluster("a")])
    assert result.selected == ("a",)


def test_misconfiguration_selects_nothing_and_is_reported() -> None:
    spec = {"prioritizerPolicy": prioritizers(("Fastest", 1))}
    result = run(spec, [cluster("a")])
    assert condition(result, "PlacementMisconfigured") == (
        "True",
        "Misconfigured",
        ":incorrect builtin prioritizer: Fastest",
    )
    assert satisfied(result)[1] == "NoManagedClusterMatched"
    assert decided(result) == []
    assert result.reasons()["a"].startswith("Misconfigured:")


def test_predicate_misconfiguration_names_the_plugin() -> None:
    spec = {"predicates": [{"requiredClusterSelector": {"celSelector": {"celExpressions": ["("]}}}]}
    status, reason, message = condition(run(spec, [cluster("a")]), "PlacementMisconfigured")
    assert (status, reason) == ("True", "Misconfigured")
    assert message.startswith("Predicate:spec.predicates[0].requiredClusterSelector.celSelector")


def test_disabled_placement_is_skipped() -> None:
    obj = placement()
    obj["metadata"]["annotations"] = {SCHEDULING_DISABLE_ANNOTATION: "true"}
    result = run({}, [cluster("a")], obj=obj)
    assert result.disabled
    assert result.decisions == ()


def test_stale_decisions_are_listed_for_deletion() -> None:
    previous = [
        decision("p", ["a"], index=1),
        decision("p", ["b"], index=2),
        decision("other", ["a"]),
    ]
    result = run({}, [cluster("a")], previous=previous)
    assert result.stale_decisions == ("p-decision-2",)


def test_balance_counts_other_placements_only() -> None:
    previous = [decision("other", ["a"]), decision("p", ["b"])]
    spec = {"numberOfClusters": 1, "prioritizerPolicy": prioritizers(("Balance", 1))}
    result = run(spec, [cluster("a"), cluster("b")], previous=previous)
    assert result.scores == {"a": -100, "b": 100}


def test_steady_keeps_existing_decisions() -> None:
    previous = [decision("p", ["b"])]
    result = run({"numberOfClusters": 1}, [cluster("a"), cluster("b")], previous=previous)
    assert result.selected == ("b",)


def test_decisions_over_100_clusters_are_paginated() -> None:
    result = run({}, [cluster(f"c{i:03d}") for i in range(230)])
    assert [len(pd["status"]["decisions"]) for pd in result.decisions] == [100, 100, 30]
    assert result.status["decisionGroups"][0]["clusterCount"] == 230


def test_sort_by_score_orders_clusters_inside_decisions() -> None:
    spec = {"sortBy": "Score", "prioritizerPolicy": prioritizers(("ResourceAllocatableCPU", 1))}
    result = run(spec, [cluster("a", cpu="1"), cluster("b", cpu="9"), cluster("c", cpu="5")])
    assert decided(result) == ["b", "c", "a"]


def test_requeue_at_the_earliest_toleration_or_score_expiry() -> None:
    taint = {"key": "k", "effect": "NoSelect", "timeAdded": "2026-06-01T11:59:00Z"}
    spec = {
        "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 600}],
        "prioritizerPolicy": {
            "configurations": [
                {
                    "scoreCoordinate": {
                        "type": "AddOn",
                        "addOn": {"resourceName": "r", "scoreName": "s"},
                    }
                }
            ]
        },
    }
    scores = [addon_score("b", "r", {"s": 1}, valid_until="2026-06-01T12:05:00Z")]
    result = run(spec, [cluster("a", taints=[taint]), cluster("b")], scores=scores)
    assert result.requeue_after == timedelta(minutes=5)
    assert run(spec, [cluster("a", taints=[taint])]).requeue_after == timedelta(minutes=9)
    assert run({}, [cluster("a")]).requeue_after is None


def test_last_transition_time_is_kept_while_the_condition_holds() -> None:
    first = run({}, [cluster("a")])
    obj = placement()
    obj["status"] = {
        "conditions": [
            dict(c, lastTransitionTime="2020-01-01T00:00:00Z") for c in first.status["conditions"]
        ]
    }
    again = run({}, [cluster("a")], obj=obj)
    assert {c["lastTransitionTime"] for c in again.status["conditions"]} == {"2020-01-01T00:00:00Z"}
    changed = run({}, [], obj=obj)
    times = {c["type"]: c["lastTransitionTime"] for c in changed.status["conditions"]}
    assert times["PlacementSatisfied"] == "2026-06-01T12:00:00Z"
    assert times["PlacementMisconfigured"] == "2020-01-01T00:00:00Z"


def test_spread_across_zones_end_to_end() -> None:
    spec = {
        "numberOfClusters": 3,
        "spreadPolicy": {
            "spreadConstraints": [
                {
                    "topologyKey": "zone",
                    "topologyKeyType": "Label",
                    "whenUnsatisfiable": "DoNotSchedule",
                }
            ]
        },
    }
    clusters = [cluster(f"c{i}", {"zone": "abc"[i % 3]}) for i in range(9)]
    result = run(spec, clusters)
    assert sorted(
        c["metadata"]["labels"]["zone"]
        for c in clusters
        if c["metadata"]["name"] in result.selected
    ) == ["a", "b", "c"]


@pytest.mark.parametrize("count", [0, 1, 99, 100, 101, 250])
def test_decision_objects_hold_every_selected_cluster_once(count: int) -> None:
    result = run({}, [cluster(f"c{i:03d}") for i in range(count)])
    assert sorted(decided(result)) == sorted(f"c{i:03d}" for i in range(count))
    assert len(result.decisions) == max(1, -(-count // 100))


cluster_specs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),  # zone
        st.integers(min_value=1, max_value=64),  # cpu
        st.booleans(),  # matches the predicate
    ),
    min_size=1,
    max_size=30,
)


def fleet(specs: list[tuple[str, int, bool]]) -> list[dict[str, Any]]:
    return [
        cluster(f"c{i:02d}", {"zone": zone, "tier": "gold" if gold else "bronze"}, cpu=str(cpu))
        for i, (zone, cpu, gold) in enumerate(specs)
    ]


STABLE_SPEC = {
    "numberOfClusters": 4,
    "predicates": [
        {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"tier": "gold"}}}}
    ],
    "prioritizerPolicy": prioritizers(
        ("Steady", 3), ("ResourceAllocatableCPU", 1), mode="Additive"
    ),
    "spreadPolicy": {
        "spreadConstraints": [{"topologyKey": "zone", "topologyKeyType": "Label", "maxSkew": 1}]
    },
}


def as_decisions(result: SchedulingResult) -> list[dict[str, Any]]:
    return [dict(pd) for pd in result.decisions]


@settings(max_examples=60, deadline=None)
@given(specs=cluster_specs)
def test_same_input_and_previous_decisions_give_the_same_output(
    specs: list[tuple[str, int, bool]],
) -> None:
    clusters = fleet(specs)
    first = run(STABLE_SPEC, clusters)
    second = run(STABLE_SPEC, clusters, previous=as_decisions(first))
    third = run(STABLE_SPEC, clusters, previous=as_decisions(second))
    assert second.decisions == first.decisions
    assert third.decisions == second.decisions
    assert second.stale_decisions == ()


OUTSIDERS: dict[str, dict[str, Any]] = {
    "Predicate": {"labels": {"tier": "bronze"}},
    "ClusterSet": {"labels": {"tier": "gold"}, "clusterset": "prod"},
    "TaintToleration": {
        "labels": {"tier": "gold"},
        "taints": [
            {"key": "maintenance", "effect": "NoSelect", "timeAdded": "2026-06-01T10:00:00Z"}
        ],
    },
}


@settings(max_examples=60, deadline=None)
@given(
    specs=cluster_specs,
    zone=st.sampled_from(["a", "b", "c", "z"]),
    cpu=st.integers(1, 1000),
    why=st.sampled_from(sorted(OUTSIDERS)),
)
def test_adding_an_unselectable_cluster_does_not_churn_decisions(
    specs: list[tuple[str, int, bool]], zone: str, cpu: int, why: str
) -> None:
    clusters = fleet(specs)
    first = run(STABLE_SPEC, clusters)
    shape = OUTSIDERS[why]
    outsider = cluster(
        "zz-new",
        {"zone": zone, **shape["labels"]},
        clusterset=shape.get("clusterset", "default"),
        taints=shape.get("taints"),
        cpu=str(cpu),
    )
    second = run(STABLE_SPEC, [*clusters, outsider], previous=as_decisions(first))
    assert second.decisions == first.decisions
    assert second.reasons()["zz-new"].startswith(f"{why}:")
