"""Prioritizers: weights from `spec.prioritizerPolicy` and the per-cluster scores in [-100, 100].

- Additive mode (the default) starts from Balance=1 and Steady=1 and overrides with
  `configurations`; Exact uses `configurations` only. Weight 0 disables a prioritizer.
- Balance: 100 for a cluster no other Placement chose, down to -100 for the most chosen one:
  `2 * trunc(100 * (0.5 - count / max_count))`.
- Steady: 100 for clusters already in this Placement's decisions, else 0.
- ResourceAllocatableCPU/Memory: min-max normalisation of `status.allocatable` over the
  feasible clusters, `trunc((ratio - 0.5) * 200)`; 100 for all when they are equal; clusters
  without both allocatable and capacity for the resource get no score (0).
- AddOn: the `scoreName` entry of AddOnPlacementScore `resourceName` in the cluster namespace;
  0 when missing or past `status.validUntil`.
The total is the sum of weight * score (Go's int64 truncation is reproduced with `int()`).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from ocm_core.api.cluster import RESOURCE_CPU, RESOURCE_MEMORY
from ocm_core.api.placement import (
    PRIORITIZER_ALLOCATABLE_CPU,
    PRIORITIZER_ALLOCATABLE_MEMORY,
    PRIORITIZER_BALANCE,
    PRIORITIZER_MODE_ADDITIVE,
    PRIORITIZER_MODE_EXACT,
    PRIORITIZER_STEADY,
    SCORE_TYPE_ADDON,
    SCORE_TYPE_BUILTIN,
)
from ocm_core.placement.cel import ScoreLookup
from ocm_core.placement.model import Cluster, Misconfigured, parse_time
from ocm_core.placement.quantity import InvalidQuantity, parse_quantity

MAX_SCORE: Final = 100
_RESOURCES: Final = {
    PRIORITIZER_ALLOCATABLE_CPU: RESOURCE_CPU,
    PRIORITIZER_ALLOCATABLE_MEMORY: RESOURCE_MEMORY,
}
BUILTINS: Final = (PRIORITIZER_BALANCE, PRIORITIZER_STEADY, *_RESOURCES)


@dataclass(frozen=True, slots=True)
class ScoreCoordinate:
    """Which prioritizer: a built-in name, or an AddOnPlacementScore resource and entry."""

    type: str
    builtin: str = ""
    resource_name: str = ""
    score_name: str = ""

    @property
    def name(self) -> str:
        if self.type == SCORE_TYPE_ADDON:
            return f"AddOn/{self.resource_name}/{self.score_name}"
        return self.builtin


@dataclass(frozen=True, slots=True)
class PrioritizerResult:
    """One prioritizer's weight and raw scores, kept for explaining the ranking."""

    name: str
    weight: int
    scores: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """Everything the prioritizers read besides the clusters."""

    decided: Set[str]
    other_decision_counts: Mapping[str, int]
    scores: ScoreLookup
    now: datetime


_DEFAULT_WEIGHTS: Final = {
    ScoreCoordinate(SCORE_TYPE_BUILTIN, PRIORITIZER_BALANCE): 1,
    ScoreCoordinate(SCORE_TYPE_BUILTIN, PRIORITIZER_STEADY): 1,
}


def resolve_weights(policy: Mapping[str, Any]) -> dict[ScoreCoordinate, int]:
    """Weights of enabled prioritizers; raises Misconfigured for a bad policy."""
    mode = policy.get("mode") or PRIORITIZER_MODE_ADDITIVE
    if mode == PRIORITIZER_MODE_EXACT:
        weights: dict[ScoreCoordinate, int] = {}
    elif mode == PRIORITIZER_MODE_ADDITIVE:
        weights = dict(_DEFAULT_WEIGHTS)
    else:
        raise Misconfigured("", f"incorrect prioritizer policy mode: {mode}")
    for config in policy.get("configurations") or []:
        coordinate = config.get("scoreCoordinate")
        if not coordinate:
            raise Misconfigured("", "scoreCoordinate field is required")
        weight = config.get("weight")
        weights[_coordinate(coordinate)] = 1 if weight is None else int(weight)
    enabled = {c: w for c, w in weights.items() if w != 0}
    for coordinate in enabled:
        if coordinate.type == SCORE_TYPE_BUILTIN and coordinate.builtin not in BUILTINS:
            raise Misconfigured("", f"incorrect builtin prioritizer: {coordinate.builtin}")
    return enabled


def score_clusters(
    weights: Mapping[ScoreCoordinate, int], clusters: Sequence[Cluster], inputs: ScoringInput
) -> tuple[dict[str, int], list[PrioritizerResult]]:
    """Total score per cluster and each prioritizer's contribution, by prioritizer name."""
    totals = dict.fromkeys((c.name for c in clusters), 0)
    results = []
    for coordinate, weight in sorted(weights.items(), key=lambda item: item[0].name):
        scores = _score(coordinate, clusters, inputs)
        for name, value in scores.items():
            totals[name] += value * weight
        results.append(PrioritizerResult(coordinate.name, weight, scores))
    return totals, results


def count_decisions(decisions: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many PlacementDecisions name each cluster (for Balance)."""
    counts: Counter[str] = Counter()
    for decision in decisions:
        for item in (decision.get("status") or {}).get("decisions") or []:
            if item.get("clusterName"):
                counts[item["clusterName"]] += 1
    return counts


def addon_expiries(
    weights: Mapping[ScoreCoordinate, int], clusters: Sequence[Cluster], inputs: ScoringInput
) -> list[datetime]:
    """Future `validUntil` times of the AddOn scores in use (when scores will change)."""
    expiries = []
    for coordinate in weights:
        if coordinate.type != SCORE_TYPE_ADDON:
            continue
        for cluster in clusters:
            obj = inputs.scores(cluster.name, coordinate.resource_name)
            valid_until = parse_time(((obj or {}).get("status") or {}).get("validUntil"))
            if valid_until is not None and valid_until > inputs.now:
                expiries.append(valid_until)
    return expiries


def balance_scores(clusters: Sequence[Cluster], counts: Mapping[str, int]) -> dict[str, int]:
    busiest = max(counts.values(), default=0)
    scores = {}
    for cluster in clusters:
        count = counts.get(cluster.name, 0)
        if count == 0:
            scores[cluster.name] = MAX_SCORE
        else:
            scores[cluster.name] = 2 * int(MAX_SCORE * (0.5 - count / busiest))
    return scores


def steady_scores(clusters: Sequence[Cluster], decided: Set[str]) -> dict[str, int]:
    return {c.name: MAX_SCORE if c.name in decided else 0 for c in clusters}


def allocatable_scores(clusters: Sequence[Cluster], resource: str) -> dict[str, int]:
    # Floats, like upstream's AsApproximateFloat64, so truncation lands on the same integers.
    values = {c.name: float(v) for c in clusters if (v := _allocatable(c, resource)) is not None}
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    if low == high:
        return dict.fromkeys(values, MAX_SCORE)
    return {
        name: int(((v - low) / (high - low) - 0.5) * 2.0 * MAX_SCORE) for name, v in values.items()
    }


def addon_scores(
    clusters: Sequence[Cluster], coordinate: ScoreCoordinate, inputs: ScoringInput
) -> dict[str, int]:
    scores = {}
    for cluster in clusters:
        scores[cluster.name] = 0
        obj = inputs.scores(cluster.name, coordinate.resource_name)
        status = (obj or {}).get("status") or {}
        valid_until = parse_time(status.get("validUntil"))
        if valid_until is not None and inputs.now > valid_until:
            continue
        for item in status.get("scores") or []:
            if item.get("name") == coordinate.score_name:
                scores[cluster.name] = int(item.get("value") or 0)
    return scores


def _score(
    coordinate: ScoreCoordinate, clusters: Sequence[Cluster], inputs: ScoringInput
) -> dict[str, int]:
    if coordinate.type == SCORE_TYPE_ADDON:
        return addon_scores(clusters, coordinate, inputs)
    if coordinate.builtin == PRIORITIZER_BALANCE:
        return balance_scores(clusters, inputs.other_decision_counts)
    if coordinate.builtin == PRIORITIZER_STEADY:
        return steady_scores(clusters, inputs.decided)
    return allocatable_scores(clusters, _RESOURCES[coordinate.builtin])


def _coordinate(obj: Mapping[str, Any]) -> ScoreCoordinate:
    kind = obj.get("type") or SCORE_TYPE_BUILTIN
    if kind == SCORE_TYPE_BUILTIN:
        return ScoreCoordinate(kind, builtin=obj.get("builtIn") or "")
    if kind == SCORE_TYPE_ADDON:
        addon = obj.get("addOn")
        if not addon:
            raise Misconfigured("", "addOn should not be empty")
        return ScoreCoordinate(
            kind,
            resource_name=addon.get("resourceName") or "",
            score_name=addon.get("scoreName") or "",
        )
    raise Misconfigured("", f"incorrect score coordinate type: {kind}")


def _allocatable(cluster: Cluster, resource: str) -> Decimal | None:
    if resource not in cluster.allocatable or resource not in cluster.capacity:
        return None
    try:
        return parse_quantity(cluster.allocatable[resource])
    except InvalidQuantity:
        return None
