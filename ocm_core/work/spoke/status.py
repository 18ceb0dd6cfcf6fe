"""The status the agent writes: one ``resourceStatus.manifests[]`` entry per manifest and the
work-level conditions aggregated from them, with upstream's condition types and reasons.

Pure: the controller gathers a `ManifestOutcome` per manifest (what happened when applying,
what the live object looks like) and these functions turn outcomes into status. Condition
``lastTransitionTime`` moves only when a status changes (``meta.SetStatusCondition``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.api import work
from ocm_core.api.gvr import Resource
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.patching import (
    CONDITION_FALSE,
    CONDITION_TRUE,
    CONDITION_UNKNOWN,
    find_condition,
    set_condition,
)
from ocm_core.work.spoke.feedback import Feedback
from ocm_core.work.spoke.manifests import Manifest

Object = dict[str, Any]

_ANY_TRUE: Final = frozenset({work.CONDITION_PROGRESSING, work.CONDITION_DEGRADED})


@dataclass(slots=True)
class RuleCondition:
    type: str
    status: str
    reason: str
    message: str


@dataclass(slots=True)
class ManifestOutcome:
    """What the agent learned about one manifest in one reconcile."""

    manifest: Manifest
    resource: Resource | None = None
    namespace: str | None = None
    apply_error: str | None = None
    """None: applied (or deliberately left alone, e.g. ReadOnly)."""
    apply_reason: str = work.REASON_APPLIED_MANIFEST_FAILED
    live: Object | None = None
    fetch_error: str | None = None
    feedback: Feedback | None = None
    rules: list[RuleCondition] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.apply_error is None


def resource_meta(outcome: ManifestOutcome) -> Object:
    manifest = outcome.manifest
    return {
        "ordinal": manifest.ordinal,
        "group": manifest.group,
        "version": manifest.version,
        "kind": manifest.kind,
        "resource": outcome.resource.plural if outcome.resource else "",
        "name": manifest.name,
        "namespace": outcome.namespace or "",
    }


def _previous_manifest_conditions(
    previous: Mapping[str, Any], ordinal: int
) -> list[Mapping[str, Any]]:
    for entry in (previous.get("resourceStatus") or {}).get("manifests") or []:
        if (entry.get("resourceMeta") or {}).get("ordinal") == ordinal:
            return list(entry.get("conditions") or [])
    return []


def manifest_entry(
    outcome: ManifestOutcome, previous: Mapping[str, Any], generation: int, clock: Clock
) -> Object:
    """One ``resourceStatus.manifests[]`` entry; ``previous`` is the work's current status."""
    conditions = _previous_manifest_conditions(previous, outcome.manifest.ordinal)
    set_ = _setter(clock, generation)
    if outcome.applied:
        conditions = set_(
            conditions,
            work.CONDITION_APPLIED,
            CONDITION_TRUE,
            work.REASON_APPLIED_MANIFEST_COMPLETE,
            "Apply manifest complete",
        )
    else:
        conditions = set_(
            conditions,
            work.CONDITION_APPLIED,
            CONDITION_FALSE,
            outcome.apply_reason,
            f"Failed to apply manifest: {outcome.apply_error}",
        )
    conditions = set_(conditions, work.CONDITION_AVAILABLE, *_availability(outcome))
    entry: Object = {"resourceMeta": resource_meta(outcome), "conditions": conditions}
    if outcome.feedback is not None:
        entry["statusFeedback"] = {"values": outcome.feedback.values}
        conditions = set_(conditions, work.CONDITION_STATUS_FEEDBACK_SYNCED, *_synced(outcome))
    for rule in outcome.rules:
        conditions = set_(conditions, rule.type, rule.status, rule.reason, rule.message)
    entry["conditions"] = conditions
    return entry


def _setter(clock: Clock, generation: int) -> Any:
    def set_(
        conditions: Sequence[Mapping[str, Any]], type_: str, status: str, reason: str, message: str
    ) -> list[Object]:
        return set_condition(
            conditions,
            type=type_,
            status=status,
            reason=reason,
            message=message,
            observed_generation=generation,
            clock=clock,
        )

    return set_


def _availability(outcome: ManifestOutcome) -> tuple[str, str, str]:
    if outcome.resource is None or not outcome.manifest.name:
        return (
            CONDITION_UNKNOWN,
            work.REASON_INCOMPLETE_RESOURCE_META,
            "Resource meta is incomplete",
        )
    if outcome.fetch_error is not None:
        return (
            CONDITION_UNKNOWN,
            work.REASON_FETCHING_RESOURCE_FAILED,
            f"Failed to fetch resource: {outcome.fetch_error}",
        )
    if outcome.live is None:
        return CONDITION_FALSE, work.REASON_RESOURCE_NOT_AVAILABLE, "Resource is not available"
    return CONDITION_TRUE, work.REASON_RESOURCE_AVAILABLE, "Resource is available"


def _synced(outcome: ManifestOutcome) -> tuple[str, str, str]:
    assert outcome.feedback is not None
    if outcome.feedback.problems:
        return (
            CONDITION_FALSE,
            work.REASON_STATUS_FEEDBACK_SYNC_FAILED,
            "; ".join(outcome.feedback.problems),
        )
    if not outcome.feedback.values:
        return (
            CONDITION_FALSE,
            work.REASON_NO_STATUS_FEEDBACK_SYNCED,
            "No status feedback value has been synced",
        )
    return CONDITION_TRUE, work.REASON_STATUS_FEEDBACK_SYNCED, "Status feedback is synced"


def work_conditions(
    previous: Sequence[Mapping[str, Any]],
    entries: Sequence[Mapping[str, Any]],
    generation: int,
    clock: Clock,
) -> list[Object]:
    """Work-level Applied and Available, plus rule-defined types aggregated from manifests."""
    set_ = _setter(clock, generation)
    total = len(entries)
    applied = _count(entries, work.CONDITION_APPLIED, CONDITION_TRUE)
    conditions: list[Object] = [dict(c) for c in previous]
    if applied == total:
        conditions = set_(
            conditions,
            work.CONDITION_APPLIED,
            CONDITION_TRUE,
            work.REASON_APPLIED_MANIFEST_WORK_COMPLETE,
            "Apply manifest work complete",
        )
    else:
        conditions = set_(
            conditions,
            work.CONDITION_APPLIED,
            CONDITION_FALSE,
            work.REASON_APPLIED_MANIFEST_WORK_FAILED,
            f"Failed to apply manifest work: {total - applied} of {total} manifests failed",
        )
    conditions = set_(conditions, work.CONDITION_AVAILABLE, *_work_availability(entries))
    for condition_type in _rule_types(entries):
        conditions = set_(conditions, condition_type, *_aggregate_rule(entries, condition_type))
    return conditions


def _count(entries: Sequence[Mapping[str, Any]], condition_type: str, status: str) -> int:
    return sum(
        1
        for entry in entries
        if (found := find_condition(entry.get("conditions"), condition_type)) is not None
        and found.get("status") == status
    )


def _work_availability(entries: Sequence[Mapping[str, Any]]) -> tuple[str, str, str]:
    total = len(entries)
    available = _count(entries, work.CONDITION_AVAILABLE, CONDITION_TRUE)
    unknown = _count(entries, work.CONDITION_AVAILABLE, CONDITION_UNKNOWN)
    if available == total:
        return (
            CONDITION_TRUE,
            work.REASON_RESOURCES_AVAILABLE,
            "All resources are available",
        )
    if unknown and available + unknown == total:
        return (
            CONDITION_UNKNOWN,
            work.REASON_RESOURCES_STATUS_UNKNOWN,
            f"{unknown} of {total} resources have unknown status",
        )
    return (
        CONDITION_FALSE,
        work.REASON_RESOURCES_NOT_AVAILABLE,
        f"{total - available} of {total} resources are not available",
    )


def _rule_types(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for entry in entries:
        for condition in entry.get("conditions") or []:
            if condition.get("reason") == work.REASON_CONDITION_RULE_EVALUATED:
                seen.setdefault(str(condition["type"]), None)
    return list(seen)


def _aggregate_rule(
    entries: Sequence[Mapping[str, Any]], condition_type: str
) -> tuple[str, str, str]:
    """Progressing (upstream) and Degraded (ours: a single degraded manifest degrades the work)
    are True if any manifest is; every other type is False if any manifest is."""
    statuses = [
        str(found.get("status"))
        for entry in entries
        if (found := find_condition(entry.get("conditions"), condition_type)) is not None
    ]
    if condition_type in _ANY_TRUE:
        status = CONDITION_TRUE if CONDITION_TRUE in statuses else CONDITION_FALSE
    elif CONDITION_FALSE in statuses:
        status = CONDITION_FALSE
    elif CONDITION_UNKNOWN in statuses:
        status = CONDITION_UNKNOWN
    else:
        status = CONDITION_TRUE
    message = f"Aggregated from {len(statuses)} manifest condition(s)"
    return status, work.REASON_CONDITION_RULES_AGGREGATED, message
