"""Placement status: the PlacementSatisfied / PlacementMisconfigured conditions and the rest.

Reasons and messages are upstream's, checked in upstream's order. `lastTransitionTime` is
kept from the current status while a condition's status does not change
(`meta.SetStatusCondition` semantics), so an unchanged schedule writes an unchanged status.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocm_core.api.placement import (
    CONDITION_MISCONFIGURED,
    CONDITION_SATISFIED,
    REASON_ALL_SCHEDULED,
    REASON_ALL_SETS_EMPTY,
    REASON_MISCONFIGURED,
    REASON_NO_BINDINGS,
    REASON_NO_CLUSTER_MATCHED,
    REASON_NO_INTERSECTION,
    REASON_NOT_ALL_SCHEDULED,
    REASON_SUCCEED_CONFIGURED,
)
from ocm_core.placement.model import Misconfigured

TRUE = "True"
FALSE = "False"


@dataclass(frozen=True, slots=True)
class ScheduleFacts:
    """The counts the PlacementSatisfied condition is decided from."""

    requested_sets: Sequence[str]
    eligible_sets: Sequence[str]
    bindings: int
    candidates: int
    selected: int
    unscheduled: int


def satisfied_condition(facts: ScheduleFacts) -> dict[str, str]:
    if facts.bindings == 0:
        return _condition(
            CONDITION_SATISFIED,
            FALSE,
            REASON_NO_BINDINGS,
            "No valid ManagedClusterSetBindings found in placement namespace",
        )
    if not facts.eligible_sets:
        sets = ",".join(facts.requested_sets)
        return _condition(
            CONDITION_SATISFIED,
            FALSE,
            REASON_NO_INTERSECTION,
            f"None of ManagedClusterSets [{sets}] is bound to placement namespace",
        )
    if facts.candidates == 0:
        sets = ",".join(facts.eligible_sets)
        return _condition(
            CONDITION_SATISFIED,
            FALSE,
            REASON_ALL_SETS_EMPTY,
            f"All ManagedClusterSets [{sets}] have no member ManagedCluster",
        )
    if facts.selected == 0:
        return _condition(
            CONDITION_SATISFIED,
            FALSE,
            REASON_NO_CLUSTER_MATCHED,
            "No ManagedCluster matches any of the cluster predicate",
        )
    if facts.unscheduled <= 0:
        return _condition(
            CONDITION_SATISFIED, TRUE, REASON_ALL_SCHEDULED, "All cluster decisions scheduled"
        )
    return _condition(
        CONDITION_SATISFIED,
        FALSE,
        REASON_NOT_ALL_SCHEDULED,
        f"{facts.unscheduled} cluster decisions unscheduled",
    )


def misconfigured_condition(error: Misconfigured | None) -> dict[str, str]:
    if error is None:
        return _condition(
            CONDITION_MISCONFIGURED,
            FALSE,
            REASON_SUCCEED_CONFIGURED,
            "Placement configurations check pass",
        )
    return _condition(CONDITION_MISCONFIGURED, TRUE, REASON_MISCONFIGURED, str(error))


def placement_status(
    current: Mapping[str, Any],
    conditions: Sequence[Mapping[str, str]],
    selected: int,
    decision_groups: Sequence[Mapping[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The new `status` of the Placement, merging conditions into the current ones."""
    merged = [dict(c) for c in current.get("conditions") or []]
    for condition in conditions:
        _set_condition(merged, condition, now)
    return {
        "numberOfSelectedClusters": selected,
        "decisionGroups": [dict(group) for group in decision_groups],
        "conditions": merged,
    }


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _set_condition(conditions: list[dict[str, Any]], new: Mapping[str, str], now: datetime) -> None:
    for existing in conditions:
        if existing.get("type") != new["type"]:
            continue
        if existing.get("status") != new["status"] or "lastTransitionTime" not in existing:
            existing["lastTransitionTime"] = format_time(now)
        existing.update(new)
        return
    conditions.append({**new, "lastTransitionTime": format_time(now)})


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}
