"""``conditionRules`` of a manifest: the built-in (WellKnownConditions) definitions.

Upstream ships ``Complete`` for Job and Pod. We add ``Progressing`` and ``Degraded`` for the
workload kinds (Deployment, StatefulSet, DaemonSet) because the work-level Progressing/Degraded
conditions are only ever derived from rules. For any other kind a rule reads the object's own
``status.conditions`` entry of that type. CEL rules are reported as ``ConditionRuleInvalid``:
this agent does not evaluate CEL yet. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ocm_core.api import work
from ocm_core.runtime.patching import CONDITION_FALSE, CONDITION_TRUE, find_condition
from ocm_core.work.spoke.status import RuleCondition

Verdict = tuple[str, str] | None
"""(status, message), or None when the object says nothing yet."""

_WORKLOADS: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet"})


def _own_condition(live: Mapping[str, Any], condition_type: str) -> Verdict:
    found = find_condition((live.get("status") or {}).get("conditions"), condition_type)
    if found is None:
        return None
    return str(found.get("status")), str(found.get("message") or found.get("reason") or "")


def _job_complete(live: Mapping[str, Any]) -> Verdict:
    if (verdict := _own_condition(live, "Complete")) and verdict[0] == CONDITION_TRUE:
        return CONDITION_TRUE, "Job is complete"
    if (verdict := _own_condition(live, "Failed")) and verdict[0] == CONDITION_TRUE:
        return CONDITION_TRUE, "Job failed"
    return CONDITION_FALSE, "Job is not complete"


def _pod_complete(live: Mapping[str, Any]) -> Verdict:
    phase = (live.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return CONDITION_TRUE, f"Pod phase is {phase}"
    return CONDITION_FALSE, f"Pod phase is {phase or 'unknown'}"


def _desired_replicas(live: Mapping[str, Any]) -> int:
    spec, status = live.get("spec") or {}, live.get("status") or {}
    if live.get("kind") == "DaemonSet":
        return int(status.get("desiredNumberScheduled") or 0)
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)


def _ready_replicas(live: Mapping[str, Any]) -> int:
    status = live.get("status") or {}
    if live.get("kind") == "DaemonSet":
        return int(status.get("numberReady") or 0)
    return int(status.get("readyReplicas") or 0)


def _workload_progressing(live: Mapping[str, Any]) -> Verdict:
    metadata, status = live.get("metadata") or {}, live.get("status") or {}
    observed = status.get("observedGeneration")
    if observed is not None and int(observed) < int(metadata.get("generation") or 0):
        return CONDITION_TRUE, "the controller has not observed the latest spec yet"
    desired, ready = _desired_replicas(live), _ready_replicas(live)
    if ready < desired:
        return CONDITION_TRUE, f"{ready} of {desired} replicas are ready"
    return CONDITION_FALSE, f"{ready} of {desired} replicas are ready"


def _workload_degraded(live: Mapping[str, Any]) -> Verdict:
    failure = _own_condition(live, "ReplicaFailure")
    if failure and failure[0] == CONDITION_TRUE:
        return CONDITION_TRUE, failure[1] or "replica failure"
    available = _own_condition(live, "Available")
    if available and available[0] == CONDITION_FALSE:
        return CONDITION_TRUE, available[1] or "not available"
    return CONDITION_FALSE, "no failure reported"


_BUILT_IN: Final[dict[tuple[str, str], Callable[[Mapping[str, Any]], Verdict]]] = {
    ("Job", work.CONDITION_COMPLETE): _job_complete,
    ("Pod", work.CONDITION_COMPLETE): _pod_complete,
    **{(kind, work.CONDITION_PROGRESSING): _workload_progressing for kind in _WORKLOADS},
    **{(kind, work.CONDITION_DEGRADED): _workload_degraded for kind in _WORKLOADS},
}


def evaluate(
    rules: Sequence[Mapping[str, Any]], kind: str, live: Mapping[str, Any] | None
) -> list[RuleCondition]:
    """The manifest conditions ``rules`` define for ``live`` (nothing while it is missing)."""
    if live is None:
        return []
    results = []
    for rule in rules:
        condition_type = str(rule.get("condition") or "")
        if rule.get("type") != work.CONDITION_RULE_WELL_KNOWN:
            results.append(
                RuleCondition(
                    condition_type,
                    "Unknown",
                    work.REASON_CONDITION_RULE_INVALID,
                    f"condition rule type {rule.get('type')!r} is not supported by this agent",
                )
            )
            continue
        check = _BUILT_IN.get((kind, condition_type))
        verdict = check(live) if check else _own_condition(live, condition_type)
        if verdict is None:
            continue
        status, message = verdict
        results.append(
            RuleCondition(condition_type, status, work.REASON_CONDITION_RULE_EVALUATED, message)
        )
    return results
