"""ManifestWork conditions → rollout state, and the status summary."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.placement.rollout import ClusterState, DecisionGroup
from ocm_core.work.hub.replicaset_status import (
    SPEC_HASH_ANNOTATION,
    available_groups_message,
    decision_groups,
    rollout_status,
    summarize,
)
from tests.support.placement_builders import decision

HASH = "h1"


def work(generation: int = 2, template_hash: str = HASH, **conditions: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "generation": generation,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {SPEC_HASH_ANNOTATION: template_hash},
        },
        "status": {
            "conditions": [
                {
                    "type": kind,
                    "status": value,
                    "observedGeneration": 2,
                    "lastTransitionTime": "2026-01-01T00:05:00Z",
                }
                for kind, value in conditions.items()
            ]
        },
    }


@pytest.mark.parametrize(
    ("obj", "state"),
    [
        (None, ClusterState.TO_APPLY),
        (work(template_hash="old", Applied="True"), ClusterState.TO_APPLY),
        (work(), ClusterState.PROGRESSING),
        (work(generation=3, Applied="True"), ClusterState.PROGRESSING),
        (work(Applied="False"), ClusterState.FAILED),
        (work(Applied="True", Degraded="True", Progressing="True"), ClusterState.FAILED),
        (work(Applied="True", Progressing="True"), ClusterState.PROGRESSING),
        (work(Applied="True", Progressing="False"), ClusterState.SUCCEEDED),
        (work(Applied="True", Available="False"), ClusterState.PROGRESSING),
        (work(Applied="True", Available="True"), ClusterState.SUCCEEDED),
        (work(Applied="True", Progressing="Unknown"), ClusterState.PROGRESSING),
        (work(Applied="True", Progressing="False", Degraded="True"), ClusterState.SUCCEEDED),
        (work(Applied="True", Degraded="True"), ClusterState.FAILED),
        (work(Applied="Unknown"), ClusterState.PROGRESSING),
    ],
)
def test_work_conditions_give_the_rollout_state(
    obj: dict[str, Any] | None, state: ClusterState
) -> None:
    assert rollout_status("c1", obj, HASH).state is state


def test_summary_counts_true_conditions_and_current_templates() -> None:
    works = [
        work(Applied="True", Available="True"),
        work(template_hash="old", Applied="True", Degraded="True"),
    ]
    assert summarize(works, HASH, desired_total=3) == {
        "total": 2,
        "desiredTotal": 3,
        "applied": 2,
        "available": 1,
        "degraded": 1,
        "progressing": 0,
        "updated": 1,
    }


def test_decision_groups_come_from_the_group_labels() -> None:
    first, second, third = (
        decision("p", ["a"]),
        decision("p", ["b"], index=2),
        decision("p", ["c"], index=3),
    )
    first["metadata"]["labels"]["cluster.open-cluster-management.io/decision-group-index"] = "0"
    second["metadata"]["labels"]["cluster.open-cluster-management.io/decision-group-index"] = "0"
    third["metadata"]["labels"]["cluster.open-cluster-management.io/decision-group-index"] = "1"
    groups = decision_groups([third, second, first])
    assert [(g.index, g.clusters) for g in groups] == [(0, ("a", "b")), (1, ("c",))]


def test_available_decision_groups_reads_as_upstream() -> None:
    groups = [DecisionGroup(0, "", ("a", "b")), DecisionGroup(1, "", ("c",))]
    assert available_groups_message(groups, {"a", "b"}) == "2 (2 / 3 clusters applied)"
