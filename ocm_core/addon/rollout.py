"""Install strategies and rollout: which clusters get the add-on, and when new configs reach them.

`Placements` installs the add-on on every cluster the listed Placements decide (their
PlacementDecisions); `Manual` (the default) leaves ManagedClusterAddOns to users. With rollout
`All` a changed config is released to every cluster at once; with `Progressive` (or
`ProgressivePerGroup`, treated alike here) at most `maxConcurrency` clusters of a placement may
be applying a new config at a time; the others wait with `Configured=False`. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocm_core.api import addon
from ocm_core.api.placement import PLACEMENT_LABEL


@dataclass(frozen=True)
class PlacementRef:
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def install_placements(cma: Mapping[str, Any]) -> list[PlacementRef]:
    """The Placements of a `Placements` install strategy (empty for Manual)."""
    strategy = (cma.get("spec") or {}).get("installStrategy") or {}
    if strategy.get("type", addon.INSTALL_STRATEGY_MANUAL) != addon.INSTALL_STRATEGY_PLACEMENTS:
        return []
    return [
        PlacementRef(str(p.get("namespace", "")), str(p.get("name", "")))
        for p in strategy.get("placements") or ()
        if p.get("name")
    ]


def decided_clusters(placement: PlacementRef, decisions: Iterable[Mapping[str, Any]]) -> set[str]:
    """Cluster names in the PlacementDecisions of `placement`."""
    clusters: set[str] = set()
    for decision in decisions:
        metadata = decision.get("metadata") or {}
        labels = metadata.get("labels") or {}
        if metadata.get("namespace") != placement.namespace:
            continue
        if labels.get(PLACEMENT_LABEL) != placement.name:
            continue
        for entry in (decision.get("status") or {}).get("decisions") or ():
            if entry.get("clusterName"):
                clusters.add(str(entry["clusterName"]))
    return clusters


def placements_of_cluster(
    cma: Mapping[str, Any], cluster: str, decisions: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Keys of the install-strategy Placements that selected `cluster`, in spec order."""
    return [p.key for p in install_placements(cma) if cluster in decided_clusters(p, decisions)]


def rollout_strategy(cma: Mapping[str, Any], placement_key: str) -> Mapping[str, Any]:
    strategy = (cma.get("spec") or {}).get("installStrategy") or {}
    for p in strategy.get("placements") or ():
        if f"{p.get('namespace')}/{p.get('name')}" == placement_key:
            return p.get("rolloutStrategy") or {"type": addon.ROLLOUT_ALL}
    return {"type": addon.ROLLOUT_ALL}


def max_concurrency(strategy: Mapping[str, Any], total: int) -> int | None:
    """How many clusters may roll at once (None: no limit), from `maxConcurrency` (int or %)."""
    kind = strategy.get("type", addon.ROLLOUT_ALL)
    if kind == addon.ROLLOUT_ALL:
        return None
    options = strategy.get("progressive") or strategy.get("progressivePerGroup") or {}
    raw = options.get("maxConcurrency")
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.endswith("%"):
        return max(1, math.ceil(total * float(raw[:-1]) / 100))
    return max(1, int(raw))


def may_release(*, limit: int | None, rolling_elsewhere: int) -> bool:
    """Whether one more cluster may start applying a new config."""
    return limit is None or rolling_elsewhere < limit
