"""One scheduling pass for one Placement: clusters in, PlacementDecisions and status out.

The pipeline is upstream's: eligible cluster sets → predicate filter → taint filter →
prioritizers → rank (score descending, then name) → take `numberOfClusters` (with the
topology spread constraints) → decision groups → PlacementDecisions of at most 100 clusters.
Every cluster that is not chosen gets a Rejection saying which step left it out.
Nothing here does I/O: the controller lists the objects, calls `schedule`, then writes
`decisions`, deletes `stale_decisions`, patches `status` and requeues after `requeue_after`.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ocm_core.api.placement import SCHEDULING_DISABLE_ANNOTATION, SORT_BY_SCORE
from ocm_core.placement.decisions import build_decisions, stale_decisions
from ocm_core.placement.groups import DecisionGroup, GroupStrategy, build_groups
from ocm_core.placement.model import (
    Cluster,
    Misconfigured,
    PlacementRef,
    Rejection,
    Stage,
    decided_clusters,
)
from ocm_core.placement.predicates import compile_predicates, filter_by_predicates
from ocm_core.placement.prioritizers import (
    PrioritizerResult,
    ScoringInput,
    addon_expiries,
    count_decisions,
    resolve_weights,
    score_clusters,
)
from ocm_core.placement.selection import select_candidates
from ocm_core.placement.spread import parse_spread_policy, select_spread
from ocm_core.placement.status import (
    ScheduleFacts,
    misconfigured_condition,
    placement_status,
    satisfied_condition,
)
from ocm_core.placement.taints import filter_by_taints, parse_tolerations

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SchedulingResult:
    """What one pass decided. `disabled` results carry nothing to write."""

    disabled: bool
    selected: tuple[str, ...] = ()
    decisions: tuple[dict[str, Any], ...] = ()
    stale_decisions: tuple[str, ...] = ()
    status: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, int] = field(default_factory=dict)
    prioritizers: tuple[PrioritizerResult, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    misconfigured: Misconfigured | None = None
    requeue_after: timedelta | None = None

    def reasons(self) -> dict[str, str]:
        """Cluster name → why it was not chosen, for `ocm get placement -o wide`."""
        return {r.cluster: r.describe() for r in self.rejections}


@dataclass(frozen=True, slots=True)
class _Plan:
    """The filtered, ranked and selected clusters of one pass."""

    selected: list[Cluster]
    groups: list[DecisionGroup]
    scores: dict[str, int]
    prioritizers: list[PrioritizerResult]
    rejections: list[Rejection]
    expiries: list[datetime]


def schedule(
    placement: Obj,
    clusters: Sequence[Obj],
    sets: Sequence[Obj],
    bindings: Sequence[Obj],
    scores: Sequence[Obj],
    previous_decisions: Sequence[Obj],
    now: datetime,
) -> SchedulingResult:
    """Schedule `placement`.

    `clusters`, `sets`, `bindings` and `scores` (AddOnPlacementScores) may span all
    namespaces; `previous_decisions` should be every PlacementDecision on the hub: this
    Placement's own ones feed Steady, NoSelectIfNew and stale-object cleanup, the others feed
    Balance. `now` must be timezone-aware.
    """
    metadata = placement.get("metadata") or {}
    if (metadata.get("annotations") or {}).get(SCHEDULING_DISABLE_ANNOTATION) == "true":
        return SchedulingResult(disabled=True)
    ref = PlacementRef.from_dict(placement)
    spec = placement.get("spec") or {}
    own = [d for d in previous_decisions if ref.owns(d)]
    inputs = ScoringInput(
        decided={name for d in own for name in decided_clusters(d)},
        other_decision_counts=count_decisions(d for d in previous_decisions if not ref.owns(d)),
        scores=_score_lookup(scores),
        now=now,
    )
    views = [Cluster.from_dict(c) for c in clusters]
    selection = select_candidates(
        ref.namespace, spec.get("clusterSets") or [], views, sets, bindings
    )
    error: Misconfigured | None = None
    try:
        plan = _plan(spec, selection.candidates, inputs)
    except Misconfigured as caught:
        error = caught
        plan = _misconfigured_plan(selection.candidates, caught)
    decisions, group_status = build_decisions(ref, plan.groups)
    wanted = spec.get("numberOfClusters")
    facts = ScheduleFacts(
        requested_sets=selection.requested_sets,
        eligible_sets=selection.eligible_sets,
        bindings=len(selection.bound_sets),
        candidates=len(selection.candidates),
        selected=len(plan.selected),
        unscheduled=(wanted - len(plan.selected)) if wanted is not None else 0,
    )
    conditions = [misconfigured_condition(error), satisfied_condition(facts)]
    return SchedulingResult(
        disabled=False,
        selected=tuple(c.name for c in plan.selected),
        decisions=tuple(decisions),
        stale_decisions=tuple(stale_decisions(own, decisions)),
        status=placement_status(
            placement.get("status") or {}, conditions, len(plan.selected), group_status, now
        ),
        scores=plan.scores,
        prioritizers=tuple(plan.prioritizers),
        rejections=(*selection.rejections, *plan.rejections),
        misconfigured=error,
        requeue_after=_requeue_after(plan.expiries, now),
    )


def _plan(spec: Obj, candidates: Sequence[Cluster], inputs: ScoringInput) -> _Plan:
    # Compile everything first so a misconfiguration anywhere selects nothing.
    predicates = compile_predicates(spec.get("predicates") or [], inputs.scores)
    tolerations = parse_tolerations(spec.get("tolerations") or [])
    weights = resolve_weights(spec.get("prioritizerPolicy") or {})
    constraints = parse_spread_policy(spec.get("spreadPolicy") or {})
    strategy = GroupStrategy.parse(spec.get("decisionStrategy") or {})

    matched, rejections = filter_by_predicates(predicates, candidates)
    feasible, untolerated, taint_expiry = filter_by_taints(
        matched, tolerations, inputs.decided, inputs.now
    )
    rejections += untolerated
    totals, prioritizers = score_clusters(weights, feasible, inputs)
    ranked = sorted(feasible, key=lambda c: (-totals[c.name], c.name))
    wanted = spec.get("numberOfClusters")
    limit = len(ranked) if wanted is None else max(0, int(wanted))
    outcome = select_spread(ranked, limit, constraints)
    rejections += outcome.rejections
    rejections += _rank_rejections(ranked, outcome.leftover, totals, limit)
    groups = build_groups(strategy, outcome.selected, _group_order(spec, totals))
    expiries = addon_expiries(weights, feasible, inputs)
    if taint_expiry is not None:
        expiries.append(taint_expiry)
    return _Plan(outcome.selected, groups, totals, prioritizers, rejections, expiries)


def _misconfigured_plan(candidates: Sequence[Cluster], error: Misconfigured) -> _Plan:
    rejections = [Rejection(c.name, Stage.MISCONFIGURED, str(error)) for c in candidates]
    return _Plan([], [DecisionGroup("", ())], {}, [], rejections, [])


def _rank_rejections(
    ranked: Sequence[Cluster], leftover: Sequence[Cluster], totals: Mapping[str, int], limit: int
) -> list[Rejection]:
    position = {c.name: index + 1 for index, c in enumerate(ranked)}
    return [
        Rejection(
            c.name,
            Stage.RANK,
            f"ranked {position[c.name]} of {len(ranked)} with score {totals[c.name]}; "
            f"numberOfClusters is {limit}",
        )
        for c in leftover
    ]


def _group_order(spec: Obj, totals: Mapping[str, int]) -> Callable[[Sequence[str]], list[str]]:
    if spec.get("sortBy") == SORT_BY_SCORE:
        return lambda names: sorted(names, key=lambda n: (-totals.get(n, 0), n))
    return sorted


def _score_lookup(scores: Sequence[Obj]) -> Callable[[str, str], Obj | None]:
    index = {
        (
            (s.get("metadata") or {}).get("namespace", ""),
            (s.get("metadata") or {}).get("name", ""),
        ): s
        for s in scores
    }
    return lambda namespace, name: index.get((namespace, name))


def _requeue_after(expiries: Sequence[datetime], now: datetime) -> timedelta | None:
    future = [moment for moment in expiries if moment > now]
    return min(future) - now if future else None
