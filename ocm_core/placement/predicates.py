"""The predicate filter: `spec.predicates[].requiredClusterSelector`.

Inside one selector the label, claim and CEL parts are ANDed; the predicates are ORed; no
predicates means every candidate passes. A selector that cannot be compiled makes the whole
Placement misconfigured (plugin "Predicate").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from celpy import celtypes

from ocm_core.placement.cel import CelSelector, InvalidExpression, ScoreLookup, cluster_to_cel
from ocm_core.placement.labelselector import InvalidSelector, LabelSelector
from ocm_core.placement.model import Cluster, Misconfigured, Rejection, Stage

PLUGIN: Final = "Predicate"


@dataclass(frozen=True, slots=True)
class ClusterSelector:
    """One compiled `requiredClusterSelector` (or a decision group's `groupClusterSelector`)."""

    labels: LabelSelector
    claims: LabelSelector
    cel: CelSelector | None = None

    @classmethod
    def parse(
        cls, obj: Mapping[str, Any] | None, *, field: str, scores: ScoreLookup | None = None
    ) -> "ClusterSelector":
        """Compile a selector dict; raises InvalidSelector / InvalidExpression."""
        obj = obj or {}
        claim_expressions = (obj.get("claimSelector") or {}).get("matchExpressions")
        cel_expressions = (obj.get("celSelector") or {}).get("celExpressions") or []
        cel = None
        if cel_expressions and scores is not None:
            cel = CelSelector.compile(
                cel_expressions, scores, field=f"{field}.celSelector.celExpressions"
            )
        return cls(
            labels=LabelSelector.parse(obj.get("labelSelector"), field=f"{field}.labelSelector"),
            claims=LabelSelector.parse(
                {"matchExpressions": claim_expressions}, field=f"{field}.claimSelector"
            ),
            cel=cel,
        )

    def matches(self, cluster: Cluster) -> bool:
        return self.labels.matches(cluster.labels) and self.claims.matches(cluster.claims)

    def mismatch(self, cluster: Cluster, cel_value: "_CelCache") -> str | None:
        """Which part of the selector the cluster fails, or None when it matches."""
        if not self.labels.matches(cluster.labels):
            return f"labels do not match {self.labels.describe()}"
        if not self.claims.matches(cluster.claims):
            return f"claims do not match {self.claims.describe()}"
        if self.cel is not None:
            failed = self.cel.first_false(cel_value.get(cluster))
            if failed is not None:
                return f"celExpressions[{failed}] is not true: {self.cel.expressions[failed]}"
        return None


class _CelCache:
    """Converts each cluster to a CEL value at most once across all predicates."""

    def __init__(self) -> None:
        self._values: dict[str, celtypes.MapType] = {}

    def get(self, cluster: Cluster) -> celtypes.MapType:
        value = self._values.get(cluster.name)
        if value is None:
            value = self._values[cluster.name] = cluster_to_cel(cluster.obj)
        return value


def compile_predicates(
    predicates: Sequence[Mapping[str, Any]], scores: ScoreLookup
) -> tuple[ClusterSelector, ...]:
    """Compile `spec.predicates`; raises Misconfigured naming the bad field."""
    selectors = []
    for index, predicate in enumerate(predicates):
        field = f"spec.predicates[{index}].requiredClusterSelector"
        try:
            selectors.append(
                ClusterSelector.parse(
                    (predicate or {}).get("requiredClusterSelector"), field=field, scores=scores
                )
            )
        except (InvalidSelector, InvalidExpression) as error:
            raise Misconfigured(PLUGIN, str(error)) from error
    return tuple(selectors)


def filter_by_predicates(
    selectors: Sequence[ClusterSelector], clusters: Sequence[Cluster]
) -> tuple[list[Cluster], list[Rejection]]:
    """Split clusters into those matching any predicate and the rest (with the reason)."""
    if not selectors:
        return list(clusters), []
    cel_values = _CelCache()
    passed: list[Cluster] = []
    rejected: list[Rejection] = []
    for cluster in clusters:
        reasons = []
        for selector in selectors:
            reason = selector.mismatch(cluster, cel_values)
            if reason is None:
                passed.append(cluster)
                break
            reasons.append(reason)
        else:
            rejected.append(Rejection(cluster.name, Stage.PREDICATE, _explain(reasons)))
    return passed, rejected


def _explain(reasons: Sequence[str]) -> str:
    if len(reasons) == 1:
        return reasons[0]
    return "; ".join(f"predicates[{i}]: {reason}" for i, reason in enumerate(reasons))
