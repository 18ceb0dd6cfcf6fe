"""Pure reading of ManifestWorks for a ManifestWorkReplicaSet: rollout state, counts, groups.

`rollout_status` turns one cluster's ManifestWork conditions into a `ClusterStatus` for the
rollout planner:

- no work, or a work whose spec hash is not the template's: ToApply (it must be written);
- the agent has not reported `Applied` for the current generation yet: Progressing since
  the work was created;
- `Applied` False, or `Degraded` True: Failed;
- `Progressing` True: Progressing; `Progressing` False: Succeeded (since its transition);
- no `Progressing` condition: `Available` False means still Progressing, otherwise Succeeded.

`summarize` counts works by condition for `status.summary`; `decision_groups` rebuilds a
Placement's decision groups from its PlacementDecisions' labels.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    DECISION_GROUP_NAME_LABEL,
)
from ocm_core.api.work import (
    CONDITION_APPLIED,
    CONDITION_AVAILABLE,
    CONDITION_DEGRADED,
    CONDITION_PROGRESSING,
)
from ocm_core.placement.model import decided_clusters, parse_time
from ocm_core.placement.rollout import ClusterState, ClusterStatus, DecisionGroup
from ocm_core.runtime.patching import CONDITION_FALSE, CONDITION_TRUE, find_condition

SPEC_HASH_ANNOTATION: Final = "work.open-cluster-management.io/manifestworkreplicaset-spec-hash"
"""On each ManifestWork we write: the hash of the template it was written from, so an
API server defaulting fields in the spec does not make every work look outdated."""

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
    applied = find_condition(conditions, CONDITION_APPLIED)
    if applied is None or applied.get("observedGeneration", metadata.get("generation")) != (
        metadata.get("generation")
    ):
        return ClusterStatus(
            cluster, ClusterState.PROGRESSING, parse_time(metadata.get("creationTimestamp"))
        )
    if applied.get("status") == CONDITION_FALSE:
        return _since(cluster, ClusterState.FAILED, applied)
    degraded = find_condition(conditions, CONDITION_DEGRADED)
    if degraded is not None and degraded.get("status") == CONDITION_TRUE:
        return _since(cluster, ClusterState.FAILED, degraded)
    progressing = find_condition(conditions, CONDITION_PROGRESSING)
    if progressing is not None:
        state = (
            ClusterState.PROGRESSING
            if progressing.get("status") == CONDITION_TRUE
            else ClusterState.SUCCEEDED
        )
        return _since(cluster, state, progressing)
    available = find_condition(conditions, CONDITION_AVAILABLE)
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
        for field, condition in (
            ("applied", CONDITION_APPLIED),
            ("available", CONDITION_AVAILABLE),
            ("degraded", CONDITION_DEGRADED),
            ("progressing", CONDITION_PROGRESSING),
        ):
            found = find_condition(conditions, condition)
            counts[field] += found is not None and found.get("status") == CONDITION_TRUE
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
    """`placementSummary[].availableDecisionGroups`: groups with every cluster's work written,
    then clusters with a work out of all decided clusters."""
    complete = sum(1 for g in groups if g.clusters and all(c in written for c in g.clusters))
    clusters = [c for g in groups for c in g.clusters]
    applied = sum(1 for c in clusters if c in written)
    return f"{complete} ({applied} / {len(clusters)} clusters applied)"


def _since(cluster: str, state: ClusterState, condition: Obj) -> ClusterStatus:
    return ClusterStatus(cluster, state, parse_time(condition.get("lastTransitionTime")))
