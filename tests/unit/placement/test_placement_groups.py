"""Decision groups: clustersPerDecisionGroup and named groupClusterSelectors."""

from typing import Any

import pytest

from ocm_core.placement.groups import DecisionGroup, GroupStrategy, build_groups, group_length
from ocm_core.placement.model import Cluster, Misconfigured
from tests.support.placement_builders import cluster


def clusters(count: int, canary: int = 0) -> list[Cluster]:
    return [
        Cluster.from_dict(cluster(f"c{i:02d}", {"canary": "true"} if i < canary else {}))
        for i in range(count)
    ]


def strategy(per_group: Any = None, groups: list[dict[str, Any]] | None = None) -> GroupStrategy:
    group_strategy: dict[str, Any] = {"decisionGroups": groups or []}
    if per_group is not None:
        group_strategy["clustersPerDecisionGroup"] = per_group
    return GroupStrategy.parse({"groupStrategy": group_strategy})


def sizes(groups: list[DecisionGroup]) -> list[tuple[str, int]]:
    return [(g.name, len(g.clusters)) for g in groups]


def test_default_is_one_group_sorted_by_name() -> None:
    selected = list(reversed(clusters(3)))
    assert build_groups(strategy(), selected) == [DecisionGroup("", ("c00", "c01", "c02"))]


def test_nothing_selected_still_gives_one_empty_group() -> None:
    assert build_groups(strategy(), []) == [DecisionGroup("", ())]


@pytest.mark.parametrize(
    ("per_group", "expected"),
    [
        (4, [4, 4, 2]),
        ("4", [4, 4, 2]),
        ("25%", [3, 3, 3, 1]),  # ceil(2.5)
        ("100%", [10]),
        (0, [10]),
        (50, [10]),
    ],
)
def test_clusters_per_group(per_group: Any, expected: list[int]) -> None:
    groups = build_groups(strategy(per_group), clusters(10))
    assert [len(g.clusters) for g in groups] == expected


def test_named_groups_take_their_clusters_first_and_are_chunked_too() -> None:
    groups = build_groups(
        strategy(
            2,
            [
                {
                    "groupName": "canary",
                    "groupClusterSelector": {"labelSelector": {"matchLabels": {"canary": "true"}}},
                }
            ],
        ),
        clusters(6, canary=3),
    )
    assert sizes(groups) == [("canary", 2), ("canary", 1), ("", 2), ("", 1)]
    assert groups[0].clusters == ("c00", "c01")


def test_a_cluster_goes_to_the_first_matching_group_only() -> None:
    everything: dict[str, Any] = {"groupClusterSelector": {"labelSelector": {}}}
    groups = build_groups(
        strategy(
            groups=[{"groupName": "first", **everything}, {"groupName": "second", **everything}]
        ),
        clusters(2),
    )
    assert sizes(groups) == [("first", 2)]


def test_group_length_rounds_percentages_up() -> None:
    assert group_length("33%", 10) == 4
    assert group_length("1%", 10) == 1


@pytest.mark.parametrize("per_group", ["ten", "10 %", True])
def test_bad_clusters_per_group_is_misconfigured(per_group: Any) -> None:
    with pytest.raises(Misconfigured):
        strategy(per_group)


def test_bad_group_selector_is_misconfigured() -> None:
    bad = {
        "groupName": "g",
        "groupClusterSelector": {
            "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}
        },
    }
    with pytest.raises(Misconfigured, match="decisionGroups\\[0\\]"):
        strategy(groups=[bad])
