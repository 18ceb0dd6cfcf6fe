"""Topology spread: `spec.spreadPolicy.spreadConstraints` applied while taking clusters by rank.

Upstream ships this field without behaviour; here it is implemented with pod-topology-spread
semantics. A constraint groups candidates into topology domains by a label or claim value.
The skew of a constraint is the largest minus the smallest number of selected clusters over
its domains (every domain that has a feasible cluster counts, selected or not).

Clusters are taken greedily in rank order. A candidate may be taken only if, for every
`DoNotSchedule` constraint, taking it keeps the skew ≤ maxSkew; candidates that also keep the
`ScheduleAnyway` constraints within maxSkew are preferred (earlier constraints weigh more),
otherwise the best-ranked allowed one is taken. Taking stops at the cluster limit, or when no
candidate is allowed: the skew of a `DoNotSchedule` constraint therefore never exceeds
maxSkew, and fewer clusters than asked are chosen when the domains cannot hold more. For one
constraint this takes as many clusters as any selection within maxSkew could.
Under `DoNotSchedule`, clusters without the topology key are not selected.
"""

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.api.placement import (
    TOPOLOGY_KEY_TYPE_CLAIM,
    TOPOLOGY_KEY_TYPE_LABEL,
    WHEN_UNSATISFIABLE_DO_NOT_SCHEDULE,
    WHEN_UNSATISFIABLE_SCHEDULE_ANYWAY,
)
from ocm_core.placement.model import Cluster, Misconfigured, Rejection, Stage

PLUGIN: Final = "Spread"
MAX_CONSTRAINTS: Final = 8

# A cluster's domain under each constraint (None: no topology key under ScheduleAnyway).
DomainKey = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class SpreadConstraint:
    topology_key: str
    key_type: str
    max_skew: int
    when_unsatisfiable: str

    @property
    def hard(self) -> bool:
        return self.when_unsatisfiable == WHEN_UNSATISFIABLE_DO_NOT_SCHEDULE

    def domain(self, cluster: Cluster) -> str | None:
        source = cluster.labels if self.key_type == TOPOLOGY_KEY_TYPE_LABEL else cluster.claims
        return source.get(self.topology_key)

    def describe(self, domain: str | None) -> str:
        return f"{self.key_type.lower()} {self.topology_key}={domain}"


@dataclass(frozen=True, slots=True)
class SpreadOutcome:
    """Selected clusters in selection order, spread rejections, and rank-limited leftovers."""

    selected: list[Cluster]
    rejections: list[Rejection]
    leftover: list[Cluster]


def parse_spread_policy(policy: Mapping[str, Any]) -> tuple[SpreadConstraint, ...]:
    items = policy.get("spreadConstraints") or []
    if len(items) > MAX_CONSTRAINTS:
        raise Misconfigured(PLUGIN, f"at most {MAX_CONSTRAINTS} spreadConstraints are allowed")
    return tuple(_constraint(index, item or {}) for index, item in enumerate(items))


def select_spread(
    ranked: Sequence[Cluster], limit: int, constraints: Sequence[SpreadConstraint]
) -> SpreadOutcome:
    """Take up to `limit` clusters from `ranked` (best first) honouring the constraints."""
    if not constraints:
        return SpreadOutcome(list(ranked[:limit]), [], list(ranked[limit:]))
    eligible, rejections = _drop_missing_keys(ranked, constraints)
    queues: dict[DomainKey, deque[tuple[int, Cluster]]] = {}
    for rank, cluster in enumerate(eligible):
        key = tuple(c.domain(cluster) for c in constraints)
        queues.setdefault(key, deque()).append((rank, cluster))
    counts: list[dict[str | None, int]] = [
        dict.fromkeys({key[i] for key in queues if key[i] is not None}, 0)
        for i in range(len(constraints))
    ]
    selected: list[Cluster] = []
    while len(selected) < limit:
        best = _best_queue(queues, counts, constraints)
        if best is None:
            break
        _, cluster = queues[best].popleft()
        for index, domain in enumerate(best):
            if domain is not None:
                counts[index][domain] += 1
        selected.append(cluster)
    remaining = sorted((item for queue in queues.values() for item in queue), key=lambda i: i[0])
    if len(selected) >= limit:
        return SpreadOutcome(selected, rejections, [cluster for _, cluster in remaining])
    rejections += [
        Rejection(cluster.name, Stage.SPREAD, _blocked_message(cluster, counts, constraints))
        for _, cluster in remaining
    ]
    return SpreadOutcome(selected, rejections, [])


def _constraint(index: int, obj: Mapping[str, Any]) -> SpreadConstraint:
    where = f"spec.spreadPolicy.spreadConstraints[{index}]"
    key = obj.get("topologyKey") or ""
    key_type = obj.get("topologyKeyType") or ""
    max_skew = obj.get("maxSkew", 1)
    when = obj.get("whenUnsatisfiable") or WHEN_UNSATISFIABLE_SCHEDULE_ANYWAY
    if not key:
        raise Misconfigured(PLUGIN, f"{where}.topologyKey is required")
    if key_type not in (TOPOLOGY_KEY_TYPE_LABEL, TOPOLOGY_KEY_TYPE_CLAIM):
        raise Misconfigured(PLUGIN, f"{where}.topologyKeyType must be Label or Claim")
    if not isinstance(max_skew, int) or max_skew < 1:
        raise Misconfigured(PLUGIN, f"{where}.maxSkew must be an integer of at least 1")
    if when not in (WHEN_UNSATISFIABLE_DO_NOT_SCHEDULE, WHEN_UNSATISFIABLE_SCHEDULE_ANYWAY):
        raise Misconfigured(
            PLUGIN, f"{where}.whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"
        )
    return SpreadConstraint(key, key_type, max_skew, when)


def _drop_missing_keys(
    ranked: Sequence[Cluster], constraints: Sequence[SpreadConstraint]
) -> tuple[list[Cluster], list[Rejection]]:
    eligible, rejections = [], []
    for cluster in ranked:
        missing = next((c for c in constraints if c.hard and c.domain(cluster) is None), None)
        if missing is None:
            eligible.append(cluster)
            continue
        message = (
            f"has no {missing.key_type.lower()} {missing.topology_key!r}, which a "
            "DoNotSchedule spread constraint needs"
        )
        rejections.append(Rejection(cluster.name, Stage.SPREAD, message))
    return eligible, rejections


def _best_queue(
    queues: Mapping[DomainKey, deque[tuple[int, Cluster]]],
    counts: Sequence[Mapping[str | None, int]],
    constraints: Sequence[SpreadConstraint],
) -> DomainKey | None:
    best: DomainKey | None = None
    best_order: tuple[tuple[int, ...], int] | None = None
    for key, queue in queues.items():
        if not queue:
            continue
        fits = [_fits(counts[i], key[i], c.max_skew) for i, c in enumerate(constraints)]
        if not all(fit for fit, c in zip(fits, constraints, strict=True) if c.hard):
            continue
        soft_misses = tuple(
            int(not fit) for fit, c in zip(fits, constraints, strict=True) if not c.hard
        )
        order = (soft_misses, queue[0][0])
        if best_order is None or order < best_order:
            best, best_order = key, order
    return best


def _fits(counts: Mapping[str | None, int], domain: str | None, max_skew: int) -> bool:
    """Whether one more cluster in `domain` keeps this constraint's skew within max_skew."""
    if domain is None:
        return True
    after = counts[domain] + 1
    others = min((n for d, n in counts.items() if d != domain), default=after)
    return after - min(after, others) <= max_skew


def _blocked_message(
    cluster: Cluster,
    counts: Sequence[Mapping[str | None, int]],
    constraints: Sequence[SpreadConstraint],
) -> str:
    for index, constraint in enumerate(constraints):
        domain = constraint.domain(cluster)
        if constraint.hard and not _fits(counts[index], domain, constraint.max_skew):
            least = min(counts[index].values())
            return (
                f"{constraint.describe(domain)} already has {counts[index][domain]} selected and "
                f"the least-selected domain has {least}; one more would exceed maxSkew "
                f"{constraint.max_skew}"
            )
    return "no spread domain can take another cluster"
