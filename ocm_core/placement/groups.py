"""Decision groups: `spec.decisionStrategy.groupStrategy`.

Each `decisionGroups[]` entry takes, in order, the selected clusters its `groupClusterSelector`
matches that no earlier group took; the rest form unnamed groups. Every group is sorted and
cut into chunks of `clustersPerDecisionGroup` (a count or a percentage of all selected
clusters, rounded up; default "100%"). There is always at least one, possibly empty, group.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.placement.labelselector import InvalidSelector
from ocm_core.placement.model import Cluster, Misconfigured
from ocm_core.placement.predicates import ClusterSelector

DEFAULT_CLUSTERS_PER_GROUP: Final = "100%"
_PERCENT: Final = re.compile(r"^(\d+(?:\.\d+)?)%$")


@dataclass(frozen=True, slots=True)
class GroupRule:
    name: str
    selector: ClusterSelector


@dataclass(frozen=True, slots=True)
class GroupStrategy:
    rules: tuple[GroupRule, ...]
    clusters_per_group: int | str

    @classmethod
    def parse(cls, decision_strategy: Mapping[str, Any]) -> "GroupStrategy":
        strategy = decision_strategy.get("groupStrategy") or {}
        rules = []
        for index, group in enumerate(strategy.get("decisionGroups") or []):
            field = f"spec.decisionStrategy.groupStrategy.decisionGroups[{index}]"
            try:
                selector = ClusterSelector.parse(
                    group.get("groupClusterSelector"), field=f"{field}.groupClusterSelector"
                )
            except InvalidSelector as error:
                raise Misconfigured("", str(error)) from error
            rules.append(GroupRule(group.get("groupName") or "", selector))
        per_group = strategy.get("clustersPerDecisionGroup", DEFAULT_CLUSTERS_PER_GROUP)
        group_length(per_group, 1)  # validate now rather than after scheduling
        return cls(tuple(rules), per_group)


@dataclass(frozen=True, slots=True)
class DecisionGroup:
    name: str
    clusters: tuple[str, ...]


def group_length(per_group: int | str, total: int) -> int:
    """Clusters per group for `total` selected clusters; out-of-range values mean all."""
    if isinstance(per_group, bool):
        raise Misconfigured("", f"{per_group} invalid type: must be an integer or a percentage")
    if isinstance(per_group, int):
        length = per_group
    elif isinstance(per_group, str) and per_group.isdigit():
        length = int(per_group)
    elif isinstance(per_group, str) and (match := _PERCENT.match(per_group)):
        length = math.ceil(float(match[1]) / 100 * total)
    else:
        raise Misconfigured("", f"{per_group} invalid type: string is not a percentage")
    return total if length <= 0 or length > total else length


def build_groups(
    strategy: GroupStrategy,
    selected: Sequence[Cluster],
    order: Callable[[Sequence[str]], list[str]] = sorted,
) -> list[DecisionGroup]:
    """Divide the selected clusters; `order` sorts each group's names before chunking."""
    length = group_length(strategy.clusters_per_group, len(selected))
    remaining = {cluster.name: cluster for cluster in selected}
    groups: list[DecisionGroup] = []
    for rule in strategy.rules:
        matched = [name for name, c in remaining.items() if rule.selector.matches(c)]
        for name in matched:
            del remaining[name]
        groups += _chunks(rule.name, order(matched), length)
    groups += _chunks("", order(list(remaining)), length)
    return groups or [DecisionGroup("", ())]


def _chunks(name: str, clusters: Sequence[str], length: int) -> list[DecisionGroup]:
    if not clusters:
        return []
    return [
        DecisionGroup(name, tuple(clusters[start : start + length]))
        for start in range(0, len(clusters), length)
    ]
