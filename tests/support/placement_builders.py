"""Small builders for the API dicts the placement tests feed the scheduler."""

from datetime import UTC, datetime
from typing import Any

from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.api.placement import PLACEMENT_LABEL

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
NAMESPACE = "apps"


def cluster(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    clusterset: str | None = "default",
    claims: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    cpu: str | None = None,
    memory: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    all_labels = dict(labels or {})
    if clusterset is not None:
        all_labels[CLUSTER_SET_LABEL] = clusterset
    metadata: dict[str, Any] = {"name": name, "labels": all_labels}
    if deleting:
        metadata["deletionTimestamp"] = "2026-06-01T11:00:00Z"
    resources = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": metadata,
        "spec": {"hubAcceptsClient": True, "taints": taints or []},
        "status": {
            "clusterClaims": [{"name": k, "value": v} for k, v in (claims or {}).items()],
            "allocatable": dict(resources),
            "capacity": dict(resources),
        },
    }


def label_set(name: str, selector: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ManagedClusterSet; with a selector it is a LabelSelector set, else exclusive-label."""
    cluster_selector: dict[str, Any] = {"selectorType": "ExclusiveClusterSetLabel"}
    if selector is not None:
        cluster_selector = {"selectorType": "LabelSelector", "labelSelector": selector}
    return {"metadata": {"name": name}, "spec": {"clusterSelector": cluster_selector}}


def binding(cluster_set: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "metadata": {"name": cluster_set, "namespace": namespace},
        "spec": {"clusterSet": cluster_set},
    }


def placement(name: str = "p", namespace: str = NAMESPACE, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1beta1",
        "kind": "Placement",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": spec,
    }


def decision(
    placement_name: str, clusters: list[str], namespace: str = NAMESPACE, index: int = 1
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{placement_name}-decision-{index}",
            "namespace": namespace,
            "labels": {PLACEMENT_LABEL: placement_name},
        },
        "status": {"decisions": [{"clusterName": c, "reason": ""} for c in clusters]},
    }


def addon_score(
    cluster_name: str, resource: str, scores: dict[str, int], valid_until: str | None = None
) -> dict[str, Any]:
    status: dict[str, Any] = {"scores": [{"name": k, "value": v} for k, v in scores.items()]}
    if valid_until is not None:
        status["validUntil"] = valid_until
    return {"metadata": {"name": resource, "namespace": cluster_name}, "status": status}


def prioritizers(*configs: tuple[str, int], mode: str = "Exact") -> dict[str, Any]:
    """A prioritizerPolicy with built-in prioritizers (name, weight)."""
    return {
        "mode": mode,
        "configurations": [
            {"scoreCoordinate": {"type": "BuiltIn", "builtIn": name}, "weight": weight}
            for name, weight in configs
        ],
    }
