"""Frozen views of the API objects the scheduler reads, and the verdict types it returns.

Objects arrive as JSON-like dicts; each is read once into a small view so the scheduling
steps work on typed fields instead of `.get()` chains.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ocm_core.api.placement import PLACEMENT_LABEL


class Stage(StrEnum):
    """The scheduling step that left a cluster out, in pipeline order."""

    CLUSTER_SET = "ClusterSet"
    DELETING = "Deleting"
    MISCONFIGURED = "Misconfigured"
    PREDICATE = "Predicate"
    TAINT = "TaintToleration"
    SPREAD = "Spread"
    RANK = "Rank"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one cluster is not in the decisions."""

    cluster: str
    stage: Stage
    message: str

    def describe(self) -> str:
        return f"{self.stage}: {self.message}"


class Misconfigured(Exception):
    """The Placement spec cannot be scheduled as written; reported in PlacementMisconfigured."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"{plugin}:{message}")
        self.plugin = plugin
        self.message = message


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str
    time_added: datetime | None

    def describe(self) -> str:
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


@dataclass(frozen=True, slots=True)
class Cluster:
    """The parts of a ManagedCluster that scheduling reads; `obj` is the original dict."""

    name: str
    labels: Mapping[str, str]
    claims: Mapping[str, str]
    taints: tuple[Taint, ...]
    allocatable: Mapping[str, Any]
    capacity: Mapping[str, Any]
    deleting: bool
    obj: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "Cluster":
        metadata = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        return cls(
            name=metadata.get("name", ""),
            labels=metadata.get("labels") or {},
            claims={
                claim.get("name", ""): claim.get("value", "")
                for claim in status.get("clusterClaims") or []
            },
            taints=tuple(
                Taint(
                    key=taint.get("key", ""),
                    value=taint.get("value", ""),
                    effect=taint.get("effect", ""),
                    time_added=parse_time(taint.get("timeAdded")),
                )
                for taint in spec.get("taints") or []
            ),
            allocatable=status.get("allocatable") or {},
            capacity=status.get("capacity") or {},
            deleting=bool(metadata.get("deletionTimestamp")),
            obj=obj,
        )


@dataclass(frozen=True, slots=True)
class PlacementRef:
    """Identity of the Placement being scheduled."""

    namespace: str
    name: str
    uid: str

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "PlacementRef":
        metadata = obj.get("metadata") or {}
        return cls(metadata.get("namespace", ""), metadata.get("name", ""), metadata.get("uid", ""))

    def owns(self, decision: Mapping[str, Any]) -> bool:
        """True for PlacementDecisions written for this Placement."""
        metadata = decision.get("metadata") or {}
        labels = metadata.get("labels") or {}
        return (
            metadata.get("namespace") == self.namespace and labels.get(PLACEMENT_LABEL) == self.name
        )


def decided_clusters(decision: Mapping[str, Any]) -> list[str]:
    """Cluster names listed in one PlacementDecision's status."""
    return [
        d["clusterName"]
        for d in (decision.get("status") or {}).get("decisions") or []
        if d.get("clusterName")
    ]


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 timestamp as written by Kubernetes ("2026-01-02T03:04:05Z"), or None."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
