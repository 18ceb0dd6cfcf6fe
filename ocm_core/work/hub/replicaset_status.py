"""Pure reading of ManifestWorks for a ManifestWorkReplicaSet: rollout state, counts, groups.

`rollout_status` turns one cluster's ManifestWork conditions into a `ClusterStatus` for the
rollout planner:

- no work, or a work whose spec hash is not the template's: ToApply (it must be written);
- the agent has not reported `Applied` True or False for the current generation yet:
  Progressing since the template was written (`ROLLOUT_TIME_ANNOTATION`, else creation);
- `Applied` False: Failed (it counts against maxFailures);
- `Progressing` False: Succeeded; `Progressing` True or Unknown: Progressing, or Failed when
  `Degraded` is True (upstream's reading, conditions of older generations ignored);
- no `Progressing` condition (an agent without condition rules): `Degraded` True is Failed,
  `Available` False is still Progressing, anything else Succeeded.

`summarize` counts works by condition for `status.summary`; `decision_groups` rebuilds a
Placement's decision groups from its PlacementDecisions' labels; `replica_set_conditions`
turns what a deploy pass found (`DeployOutcome`) into the three status conditions.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    DECISION_GROUP_NAME_LABEL,
)
from ocm_core.api.work import (
    CONDITION_APPLIED,
    CONDITION_AVAILABLE,
    CONDITION_DEGRADED,
    CONDITION_MANIFEST_WORK_APPLIED,
    CONDITION_PLACEMENT_ROLLED_OUT,
    CONDITION_PLACEMENT_VERIFIED,
    CONDITION_PROGRESSING,
    REASON_AS_EXPECTED,
    REASON_COMPLETE,
    REASON_INVALID_MANIFEST_WORK_NAME,
    REASON_NOT_AS_EXPECTED,
    REASON_PLACEMENT_DECISION_EMPTY,
    REASON_PLACEMENT_DECISION_NOT_FOUND,
    REASON_PROCESSING,
    REASON_PROGRESSING,
)
from ocm_core.placement.model import decided_clusters, parse_time
from ocm_core.placement.rollout import ClusterState, ClusterStatus, DecisionGroup
from ocm_core.runtime.patching import CONDITION_FALSE, CONDITION_TRUE, find_condition

SPEC_HASH_ANNOTATION: Final = "work.open-cluster-management.io/manifestworkreplicaset-spec-hash"
"""On each ManifestWork we write: the hash of the template it was written from, so an
API server defaulting fields in the spec does not make every work look outdated."""
ROLLOUT_TIME_ANNOTATION: Final = (
    "work.open-cluster-management.io/manifestworkreplicaset-rollout-time"
)
"""When the current template was written to the work: a progress deadline counts from here,
so updating an old work does not time out at once."""

Obj = Mapping[str, Any]


def spec_hash(work: Obj | None) -> str | None:
    if work is None:
        return None
    return ((work.get("metadata") or {}).get("annotations") or {}).get(SPEC_HASH_ANNOTATION)


def rollout_status(cluster: str, work: Obj | None, template_hash: str) -> ClusterStatus:
    """See the module docstring."""
    if work is None or spec_hash(work) != template_hash:
        return ClusterStatus(cluster, ClusterState.TO_APPLY)
    metadata = work.get("metadata") or {}
    conditions = (work.get("status") or {}).get("conditions") or []
    generation = metadata.get("generation")
    applied, progressing, degraded, available = (
        _current(conditions, kind, generation)
        for kind in (
            CONDITION_APPLIED,
            CONDITION_PROGRESSING,
            CONDITION_DEGRADED,
            CONDITION_AVAILABLE,
        )
    )
    if applied is None or applied.get("status") not in (CONDITION_TRUE, CONDITION_FALSE):
        written = (metadata.get("annotations") or {}).get(ROLLOUT_TIME_ANNOTATION)
        since = parse_time(written or metadata.get("creationTimestamp"))
        return ClusterStatus(cluster, ClusterState.PROGRESSING, since)
    if applied.get("status") == CONDITION_FALSE:
        return _since(cluster, ClusterState.FAILED, applied)
    if progressing is not None:
        if progressing.get("status") == CONDITION_FALSE:
            return _since(cluster, ClusterState.SUCCEEDED, progressing)
        if _is_true(degraded):
            return _since(cluster, ClusterState.FAILED, degraded or progressing)
        return _since(cluster, ClusterState.PROGRESSING, progressing)
    if degraded is not None and _is_true(degraded):
        return _since(cluster, ClusterState.FAILED, degraded)
    if available is not None and available.get("status") == CONDITION_FALSE:
        return _since(cluster, ClusterState.PROGRESSING, available)
    latest = max((available, applied), key=lambda c: str((c or {}).get("lastTransitionTime")))
    return _since(cluster, ClusterState.SUCCEEDED, latest or applied)


def summarize(works: Iterable[Obj], template_hash: str, desired_total: int) -> dict[str, int]:
    """`status.summary`: works by condition, how many carry the current template."""
    counts = {
        "total": 0,
        "desiredTotal": desired_total,
        "applied": 0,
        "available": 0,
        "degraded": 0,
        "progressing": 0,
        "updated": 0,
    }
    for work in works:
        conditions = (work.get("status") or {}).get("conditions") or []
        counts["total"] += 1
        counts["updated"] += spec_hash(work) == template_hash
        for counter, condition in (
            ("applied", CONDITION_APPLIED),
            ("available", CONDITION_AVAILABLE),
            ("degraded", CONDITION_DEGRADED),
            ("progressing", CONDITION_PROGRESSING),
        ):
            found = find_condition(conditions, condition)
            counts[counter] += found is not None and found.get("status") == CONDITION_TRUE
    return counts


def failed_to_apply(work: Obj) -> bool:
    found = find_condition((work.get("status") or {}).get("conditions"), CONDITION_APPLIED)
    return found is not None and found.get("status") == CONDITION_FALSE


def decision_groups(decisions: Iterable[Obj]) -> list[DecisionGroup]:
    """A Placement's decision groups, by the group labels on its PlacementDecisions."""
    by_index: dict[int, tuple[str, list[str]]] = {}
    for decision in sorted(decisions, key=lambda d: (d.get("metadata") or {}).get("name", "")):
        labels = (decision.get("metadata") or {}).get("labels") or {}
        index_text = labels.get(DECISION_GROUP_INDEX_LABEL, "0")
        index = int(index_text) if index_text.isdigit() else 0
        _, clusters = by_index.setdefault(index, (labels.get(DECISION_GROUP_NAME_LABEL, ""), []))
        clusters.extend(decided_clusters(decision))
    return [
        DecisionGroup(index, name, tuple(clusters))
        for index, (name, clusters) in sorted(by_index.items())
    ]


def available_groups_message(groups: Sequence[DecisionGroup], written: set[str]) -> str:
    """`placementSummary[].availableDecisionGroups` as upstream words it: the Placement's
    decision groups, then clusters with a work out of all decided clusters."""
    clusters = [c for g in groups for c in g.clusters]
    applied = sum(1 for c in clusters if c in written)
    return f"{len(groups)} ({applied} / {len(clusters)} clusters applied)"


@dataclass
class DeployOutcome:
    """What one deploy pass found, for the status."""

    wanted: dict[str, str] = field(default_factory=dict)
    """cluster → placement name whose work the cluster keeps."""
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    name_clashes: list[str] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    recheck_after: float | None = None

    def recheck(self, seconds: float) -> None:
        self.recheck_after = min(seconds, self.recheck_after or seconds)


Condition = tuple[str, str, str, str]
"""type, status, reason, message"""


def replica_set_conditions(
    found: DeployOutcome, works: Sequence[Obj], total: Mapping[str, int]
) -> list[Condition]:
    """PlacementVerified, PlacementRolledOut and ManifestworkApplied, in that order."""
    return [_verified(found), _rolled_out(found), _applied(found, works, total)]


def _verified(found: DeployOutcome) -> Condition:
    kind = CONDITION_PLACEMENT_VERIFIED
    if found.missing:
        missing = ",".join(found.missing)
        return (
            kind,
            CONDITION_FALSE,
            REASON_PLACEMENT_DECISION_NOT_FOUND,
            (f"Placements not found: {missing}"),
        )
    if found.invalid:
        return kind, CONDITION_FALSE, REASON_NOT_AS_EXPECTED, "; ".join(found.invalid)
    if not found.wanted:
        return (
            kind,
            CONDITION_FALSE,
            REASON_PLACEMENT_DECISION_EMPTY,
            ("the placements decided no cluster"),
        )
    return kind, CONDITION_TRUE, REASON_AS_EXPECTED, ""


def _rolled_out(found: DeployOutcome) -> Condition:
    kind = CONDITION_PLACEMENT_ROLLED_OUT
    if found.complete and found.wanted:
        return kind, CONDITION_TRUE, REASON_COMPLETE, ""
    return kind, CONDITION_FALSE, REASON_PROGRESSING, ""


def _applied(found: DeployOutcome, works: Sequence[Obj], total: Mapping[str, int]) -> Condition:
    kind = CONDITION_MANIFEST_WORK_APPLIED
    if found.name_clashes:
        clusters = ",".join(found.name_clashes)
        return (
            kind,
            CONDITION_FALSE,
            REASON_INVALID_MANIFEST_WORK_NAME,
            (
                f"a ManifestWork of that name that this ManifestWorkReplicaSet does not own "
                f"exists in cluster namespaces {clusters}"
            ),
        )
    if any(failed_to_apply(w) for w in works):
        return (
            kind,
            CONDITION_FALSE,
            REASON_NOT_AS_EXPECTED,
            (f"{total['applied']} of {total['total']} ManifestWorks applied"),
        )
    if total["total"] and total["applied"] == total["total"]:
        return kind, CONDITION_TRUE, REASON_AS_EXPECTED, ""
    return (
        kind,
        CONDITION_FALSE,
        REASON_PROCESSING,
        (f"{total['applied']} of {total['total']} ManifestWorks applied"),
    )


def _current(conditions: Sequence[Obj], kind: str, generation: object) -> Obj | None:
    """Condition `kind` if it was observed for this generation (or says nothing about it)."""
    found = find_condition(conditions, kind)
    if found is None or found.get("observedGeneration", generation) != generation:
        return None
    return found


def _is_true(condition: Obj | None) -> bool:
    return condition is not None and condition.get("status") == CONDITION_TRUE


def _since(cluster: str, state: ClusterState, condition: Obj) -> ClusterStatus:
    return ClusterStatus(cluster, state, parse_time(condition.get("lastTransitionTime")))
