"""PlacementDecision pagination, names, labels and ownership."""

from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    DECISION_GROUP_NAME_LABEL,
    PLACEMENT_LABEL,
)
from ocm_core.placement.decisions import build_decisions, stale_decisions
from ocm_core.placement.groups import DecisionGroup
from ocm_core.placement.model import PlacementRef
from tests.support.placement_builders import decision

REF = PlacementRef("apps", "web", "uid-1")


def names(count: int, prefix: str = "c") -> tuple[str, ...]:
    return tuple(f"{prefix}{i:04d}" for i in range(count))


def test_250_clusters_need_three_objects_of_at_most_100() -> None:
    decisions, groups = build_decisions(REF, [DecisionGroup("", names(250))])
    assert [d["metadata"]["name"] for d in decisions] == [
        "web-decision-1",
        "web-decision-2",
        "web-decision-3",
    ]
    assert [len(d["status"]["decisions"]) for d in decisions] == [100, 100, 50]
    assert decisions[0]["status"]["decisions"][0] == {"clusterName": "c0000", "reason": ""}
    assert groups == [
        {
            "decisionGroupIndex": 0,
            "decisionGroupName": "",
            "decisions": ["web-decision-1", "web-decision-2", "web-decision-3"],
            "clusterCount": 250,
        }
    ]


def test_exactly_100_fit_in_one_object() -> None:
    decisions, _ = build_decisions(REF, [DecisionGroup("", names(100))])
    assert len(decisions) == 1


def test_empty_group_gets_one_empty_object() -> None:
    decisions, groups = build_decisions(REF, [DecisionGroup("", ())])
    assert decisions[0]["status"] == {"decisions": []}
    assert groups[0]["decisions"] == ["web-decision-1"]


def test_labels_owner_and_numbering_across_groups() -> None:
    decisions, groups = build_decisions(
        REF, [DecisionGroup("canary", names(120, "a")), DecisionGroup("", names(5, "b"))]
    )
    labels = [d["metadata"]["labels"] for d in decisions]
    assert [d["metadata"]["name"] for d in decisions] == [
        "web-decision-1",
        "web-decision-2",
        "web-decision-3",
    ]
    assert labels[2] == {
        PLACEMENT_LABEL: "web",
        DECISION_GROUP_NAME_LABEL: "",
        DECISION_GROUP_INDEX_LABEL: "1",
    }
    assert labels[0][DECISION_GROUP_NAME_LABEL] == "canary"
    assert [g["decisions"] for g in groups] == [
        ["web-decision-1", "web-decision-2"],
        ["web-decision-3"],
    ]
    assert decisions[0]["metadata"]["namespace"] == "apps"
    assert decisions[0]["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "cluster.open-cluster-management.io/v1beta1",
            "kind": "Placement",
            "name": "web",
            "uid": "uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def test_stale_decisions_are_the_existing_ones_not_wanted() -> None:
    wanted, _ = build_decisions(REF, [DecisionGroup("", names(3))])
    existing = [
        decision("web", [], index=1),
        decision("web", [], index=2),
        decision("web", [], index=7),
    ]
    assert stale_decisions(existing, wanted) == ["web-decision-2", "web-decision-7"]
