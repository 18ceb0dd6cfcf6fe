"""Topology spread constraints, with a hypothesis property for maxSkew under DoNotSchedule."""

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocm_core.placement.model import Cluster, Misconfigured, Stage
from ocm_core.placement.spread import SpreadConstraint, parse_spread_policy, select_spread
from tests.support.placement_builders import cluster


def zone_clusters(*zones: str) -> list[Cluster]:
    """Clusters in rank order, one per zone entry ("" means no zone label)."""
    return [
        Cluster.from_dict(
            cluster(f"c{i:03d}", {"zone": z} if z else {}, claims={"region": z} if z else {})
        )
        for i, z in enumerate(zones)
    ]


def constraint(
    max_skew: int = 1, hard: bool = True, key_type: str = "Label", key: str = "zone"
) -> SpreadConstraint:
    when = "DoNotSchedule" if hard else "ScheduleAnyway"
    return SpreadConstraint(key, key_type, max_skew, when)


def zones_of(clusters: list[Cluster], key: str = "zone") -> Counter[str]:
    return Counter(c.labels.get(key, "") for c in clusters)


def test_without_constraints_the_top_ranked_are_taken() -> None:
    ranked = zone_clusters("a", "a", "b")
    outcome = select_spread(ranked, 2, [])
    assert [c.name for c in outcome.selected] == ["c000", "c001"]
    assert [c.name for c in outcome.leftover] == ["c002"]


def test_do_not_schedule_balances_across_zones_in_rank_order() -> None:
    ranked = zone_clusters("a", "a", "a", "b", "b", "c")
    outcome = select_spread(ranked, 3, [constraint()])
    assert [c.name for c in outcome.selected] == ["c000", "c003", "c005"]
    assert outcome.rejections == []


def test_max_skew_two_allows_more_in_the_best_zone() -> None:
    ranked = zone_clusters("a", "a", "a", "b", "b", "c")
    outcome = select_spread(ranked, 4, [constraint(max_skew=2)])
    # The third "a" would put a 3 ahead of the empty zone c; the second "b" is next best.
    assert zones_of(outcome.selected) == Counter({"a": 2, "b": 2})


def test_unsatisfiable_do_not_schedule_selects_fewer_and_says_why() -> None:
    ranked = zone_clusters("a", "a", "a", "a", "b")
    outcome = select_spread(ranked, 5, [constraint()])
    assert zones_of(outcome.selected) == Counter({"a": 2, "b": 1})
    assert {r.stage for r in outcome.rejections} == {Stage.SPREAD}
    assert outcome.rejections[0].message == (
        "label zone=a already has 2 selected and the least-selected domain has 1; "
        "one more would exceed maxSkew 1"
    )


def test_schedule_anyway_prefers_balance_but_fills_the_count() -> None:
    ranked = zone_clusters("a", "a", "a", "a", "b")
    outcome = select_spread(ranked, 5, [constraint(hard=False)])
    assert len(outcome.selected) == 5
    # The b cluster is pulled forward to keep the skew while that is possible.
    assert [c.name for c in outcome.selected][:3] == ["c000", "c004", "c001"]


def test_do_not_schedule_leaves_out_clusters_without_the_key() -> None:
    ranked = zone_clusters("", "a", "b")
    outcome = select_spread(ranked, 3, [constraint()])
    assert [c.name for c in outcome.selected] == ["c001", "c002"]
    assert outcome.rejections[0].cluster == "c000"
    assert "has no label 'zone'" in outcome.rejections[0].message


def test_schedule_anyway_keeps_clusters_without_the_key() -> None:
    ranked = zone_clusters("", "a", "b")
    assert len(select_spread(ranked, 3, [constraint(hard=False)]).selected) == 3


def test_claims_as_topology() -> None:
    ranked = zone_clusters("eu", "eu", "us")
    outcome = select_spread(ranked, 2, [constraint(key_type="Claim", key="region")])
    assert [c.claims["region"] for c in outcome.selected] == ["eu", "us"]


def test_two_constraints_both_hold_greedily() -> None:
    objs = [
        cluster(f"c{i}", {"zone": zone, "rack": rack})
        for i, (zone, rack) in enumerate(
            [("a", "r1"), ("a", "r1"), ("b", "r1"), ("b", "r2"), ("a", "r2")]
        )
    ]
    ranked = [Cluster.from_dict(o) for o in objs]
    outcome = select_spread(ranked, 4, [constraint(), constraint(key="rack")])
    # Greedy in rank order: c0, c3, c1; then c2 would skew racks and c4 would skew zones.
    assert [c.name for c in outcome.selected] == ["c0", "c3", "c1"]
    assert zones_of(outcome.selected) == Counter({"a": 2, "b": 1})
    assert zones_of(outcome.selected, "rack") == Counter({"r1": 2, "r2": 1})


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ({"spreadConstraints": [{"topologyKeyType": "Label"}]}, "topologyKey is required"),
        (
            {"spreadConstraints": [{"topologyKey": "z", "topologyKeyType": "Node"}]},
            "Label or Claim",
        ),
        (
            {"spreadConstraints": [{"topologyKey": "z", "topologyKeyType": "Label", "maxSkew": 0}]},
            "maxSkew",
        ),
        (
            {
                "spreadConstraints": [
                    {"topologyKey": "z", "topologyKeyType": "Label", "whenUnsatisfiable": "Maybe"}
                ]
            },
            "whenUnsatisfiable",
        ),
        (
            {"spreadConstraints": [{"topologyKey": "z", "topologyKeyType": "Label"}] * 9},
            "at most 8",
        ),
    ],
)
def test_bad_constraints_are_misconfigured(policy: dict[str, Any], fragment: str) -> None:
    with pytest.raises(Misconfigured) as caught:
        parse_spread_policy(policy)
    assert fragment in caught.value.message


def test_defaults() -> None:
    (parsed,) = parse_spread_policy(
        {"spreadConstraints": [{"topologyKey": "z", "topologyKeyType": "Label"}]}
    )
    assert (parsed.max_skew, parsed.when_unsatisfiable) == (1, "ScheduleAnyway")


@settings(max_examples=200, deadline=None)
@given(
    zones=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=40),
    limit=st.integers(min_value=0, max_value=45),
    max_skew=st.integers(min_value=1, max_value=3),
)
def test_do_not_schedule_never_exceeds_max_skew_and_takes_as_many_as_possible(
    zones: list[str], limit: int, max_skew: int
) -> None:
    ranked = zone_clusters(*zones)
    outcome = select_spread(ranked, limit, [constraint(max_skew=max_skew)])
    counts = {zone: 0 for zone in set(zones)} | dict(zones_of(outcome.selected))
    assert max(counts.values()) - min(counts.values()) <= max_skew
    # The best any selection can do: every zone at most (smallest zone size + maxSkew).
    supply = Counter(zones)
    best = sum(min(n, min(supply.values()) + max_skew) for n in supply.values())
    assert len(outcome.selected) == min(limit, best)
    chosen = {c.name for c in outcome.selected}
    explained = {r.cluster for r in outcome.rejections} | {c.name for c in outcome.leftover}
    assert chosen.isdisjoint(explained)
    assert chosen | explained == {c.name for c in ranked}
