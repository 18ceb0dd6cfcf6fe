"""Which clusters a Placement may choose from: bound ManagedClusterSets and their members.

A set counts when a ManagedClusterSetBinding in the Placement's namespace names it and the set
exists; `spec.clusterSets` narrows those. Membership is by the exclusive clusterset label or by
the set's label selector (the `global` set's empty selector takes every cluster).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocm_core.api.cluster import (
    CLUSTER_SET_LABEL,
    DEFAULT_CLUSTER_SET,
    GLOBAL_CLUSTER_SET,
    MANAGED_CLUSTER_SETS,
    SELECTOR_TYPE_EXCLUSIVE_LABEL,
    SELECTOR_TYPE_LABEL_SELECTOR,
)
from ocm_core.placement.labelselector import InvalidSelector, LabelSelector
from ocm_core.placement.model import Cluster, Rejection, Stage


@dataclass(frozen=True, slots=True)
class SetSelection:
    """The outcome of the cluster-set step."""

    bound_sets: tuple[str, ...]
    requested_sets: tuple[str, ...]
    eligible_sets: tuple[str, ...]
    candidates: tuple[Cluster, ...]
    members: int
    rejections: tuple[Rejection, ...]


def select_candidates(
    namespace: str,
    requested_sets: Sequence[str],
    clusters: Sequence[Cluster],
    cluster_sets: Sequence[Mapping[str, Any]],
    bindings: Sequence[Mapping[str, Any]],
) -> SetSelection:
    """Candidates are members of eligible sets that are not being deleted, sorted by name."""
    sets_by_name = {(s.get("metadata") or {}).get("name", ""): s for s in cluster_sets}
    bound = sorted(
        {
            name
            for binding in bindings
            if (binding.get("metadata") or {}).get("namespace") == namespace
            and (name := (binding.get("metadata") or {}).get("name", "")) in sets_by_name
        }
    )
    eligible = [name for name in bound if not requested_sets or name in requested_sets]
    members: dict[str, Cluster] = {}
    for set_name in eligible:
        for cluster in set_members(sets_by_name[set_name], clusters):
            members[cluster.name] = cluster
    rejections = [
        Rejection(c.name, Stage.CLUSTER_SET, _not_member_message(eligible))
        for c in clusters
        if c.name not in members
    ]
    rejections += [
        Rejection(c.name, Stage.DELETING, "the ManagedCluster is being deleted")
        for c in members.values()
        if c.deleting
    ]
    candidates = sorted((c for c in members.values() if not c.deleting), key=lambda c: c.name)
    return SetSelection(
        bound_sets=tuple(bound),
        requested_sets=tuple(requested_sets),
        eligible_sets=tuple(eligible),
        candidates=tuple(candidates),
        members=len(members),
        rejections=tuple(rejections),
    )


def set_members(cluster_set: Mapping[str, Any], clusters: Sequence[Cluster]) -> list[Cluster]:
    """Clusters that belong to one ManagedClusterSet; an invalid selector selects none."""
    name = (cluster_set.get("metadata") or {}).get("name", "")
    selector_spec = (cluster_set.get("spec") or {}).get("clusterSelector") or {}
    selector_type = selector_spec.get("selectorType") or SELECTOR_TYPE_EXCLUSIVE_LABEL
    if selector_type == SELECTOR_TYPE_EXCLUSIVE_LABEL:
        return [c for c in clusters if c.labels.get(CLUSTER_SET_LABEL) == name]
    if selector_type != SELECTOR_TYPE_LABEL_SELECTOR:
        return []
    try:
        selector = LabelSelector.parse(
            selector_spec.get("labelSelector"), field="spec.clusterSelector.labelSelector"
        )
    except InvalidSelector:
        return []
    return [c for c in clusters if selector.matches(c.labels)]


def default_cluster_set() -> dict[str, Any]:
    """The `default` set the hub keeps: clusters labelled with its name."""
    return _cluster_set(DEFAULT_CLUSTER_SET, {"selectorType": SELECTOR_TYPE_EXCLUSIVE_LABEL})


def global_cluster_set() -> dict[str, Any]:
    """The `global` set the hub keeps: an empty label selector, so every cluster."""
    return _cluster_set(
        GLOBAL_CLUSTER_SET, {"selectorType": SELECTOR_TYPE_LABEL_SELECTOR, "labelSelector": {}}
    )


def _cluster_set(name: str, selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": MANAGED_CLUSTER_SETS.api_version,
        "kind": MANAGED_CLUSTER_SETS.kind,
        "metadata": {"name": name},
        "spec": {"clusterSelector": selector},
    }


def _not_member_message(eligible: Sequence[str]) -> str:
    if not eligible:
        return "no ManagedClusterSet is eligible for this placement"
    return f"not a member of the eligible ManagedClusterSets [{','.join(eligible)}]"
