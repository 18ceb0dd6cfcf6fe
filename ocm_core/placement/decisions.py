"""PlacementDecision objects and `status.decisionGroups` for a set of decision groups.

Names are `<placement>-decision-<n>` with n counting from 1 across all groups; each object
holds at most 100 clusters, carries the placement, group-name and group-index labels and a
controller ownerReference to the Placement. A group with no clusters still gets one empty
object, so "nothing selected" is visible to consumers.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    DECISION_GROUP_NAME_LABEL,
    MAX_DECISIONS_PER_OBJECT,
    PLACEMENT_DECISIONS,
    PLACEMENT_LABEL,
    PLACEMENTS,
)
from ocm_core.placement.groups import DecisionGroup
from ocm_core.placement.model import PlacementRef


def decision_name(placement: str, index: int) -> str:
    return f"{placement}-decision-{index}"


def build_decisions(
    placement: PlacementRef, groups: Sequence[DecisionGroup]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The desired PlacementDecisions and the matching `status.decisionGroups` entries."""
    decisions: list[dict[str, Any]] = []
    group_status: list[dict[str, Any]] = []
    for group_index, group in enumerate(groups):
        names = []
        for page in _pages(group.clusters):
            name = decision_name(placement.name, len(decisions) + 1)
            decisions.append(_decision(placement, name, group, group_index, page))
            names.append(name)
        group_status.append(
            {
                "decisionGroupIndex": group_index,
                "decisionGroupName": group.name,
                "decisions": names,
                "clusterCount": len(group.clusters),
            }
        )
    return decisions, group_status


def stale_decisions(
    existing: Iterable[Mapping[str, Any]], desired: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Names of this Placement's existing PlacementDecisions that are no longer wanted."""
    wanted = {d["metadata"]["name"] for d in desired}
    names = ((d.get("metadata") or {}).get("name", "") for d in existing)
    return sorted(name for name in names if name not in wanted)


def _pages(clusters: Sequence[str]) -> list[Sequence[str]]:
    if not clusters:
        return [()]
    return [
        clusters[start : start + MAX_DECISIONS_PER_OBJECT]
        for start in range(0, len(clusters), MAX_DECISIONS_PER_OBJECT)
    ]


def _decision(
    placement: PlacementRef,
    name: str,
    group: DecisionGroup,
    group_index: int,
    clusters: Sequence[str],
) -> dict[str, Any]:
    return {
        "apiVersion": PLACEMENT_DECISIONS.api_version,
        "kind": PLACEMENT_DECISIONS.kind,
        "metadata": {
            "name": name,
            "namespace": placement.namespace,
            "labels": {
                PLACEMENT_LABEL: placement.name,
                DECISION_GROUP_NAME_LABEL: group.name,
                DECISION_GROUP_INDEX_LABEL: str(group_index),
            },
            "ownerReferences": [
                {
                    "apiVersion": PLACEMENTS.api_version,
                    "kind": PLACEMENTS.kind,
                    "name": placement.name,
                    "uid": placement.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "status": {"decisions": [{"clusterName": c, "reason": ""} for c in clusters]},
    }
