"""Which Placements a change to a cluster, set, binding, score or decision affects.

Each function maps one changed object to the keys (``namespace/name``) of the Placements that
must be rescheduled, reading the other informers' caches: a cluster change reaches the
Placements in every namespace bound to a set the cluster belongs to, a set change the
namespaces bound to it, a binding change its own namespace. Update filters drop writes the
scheduler cannot see (status heartbeats, our own status patches) so a quiet hub stays quiet.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Final

from ocm_core.api.placement import PLACEMENT_LABEL
from ocm_core.placement.model import Cluster
from ocm_core.placement.selection import set_members
from ocm_core.runtime.cache import Cache
from ocm_core.runtime.keys import key_of, make_key

Obj = Mapping[str, Any]

# Fields that change on every write or on health heartbeats but never change a schedule.
_VOLATILE_METADATA: Final = ("resourceVersion", "managedFields", "generation")


class PlacementTriggers:
    """Key functions and update filters over the shared caches; see the module docstring."""

    def __init__(self, placements: Cache, sets: Cache, bindings: Cache, clusters: Cache) -> None:
        self._placements = placements
        self._sets = sets
        self._bindings = bindings
        self._clusters = clusters

    def for_cluster(self, cluster: Obj) -> Iterable[str]:
        view = Cluster.from_dict(cluster)
        set_names = [
            _name(cluster_set) for cluster_set in self._sets if set_members(cluster_set, [view])
        ]
        return self._in_namespaces(self._namespaces_binding(set_names))

    def for_set(self, cluster_set: Obj) -> Iterable[str]:
        return self._in_namespaces(self._namespaces_binding([_name(cluster_set)]))

    def for_binding(self, binding: Obj) -> Iterable[str]:
        return self._in_namespaces({_namespace(binding)})

    def for_score(self, score: Obj) -> Iterable[str]:
        """AddOnPlacementScores live in the namespace named after their cluster."""
        cluster = self._clusters.get_named(_namespace(score))
        return self.for_cluster(cluster) if cluster is not None else ()

    @staticmethod
    def for_decision(decision: Obj) -> Iterable[str]:
        """The owning Placement, so a deleted or edited decision is rewritten."""
        metadata = decision.get("metadata") or {}
        placement = (metadata.get("labels") or {}).get(PLACEMENT_LABEL)
        return (make_key(metadata.get("namespace"), placement),) if placement else ()

    def _namespaces_binding(self, set_names: Iterable[str]) -> set[str]:
        wanted = set(set_names)
        return {_namespace(b) for b in self._bindings if _name(b) in wanted}

    def _in_namespaces(self, namespaces: Iterable[str]) -> list[str]:
        return [key_of(p) for ns in sorted(namespaces) for p in self._placements.list(namespace=ns)]


def placement_changed(old: Obj, new: Obj) -> bool:
    """Spec, labels, annotations (the scheduling-disable switch) or deletion changed."""
    return _without_status(old) != _without_status(new)


def cluster_changed(old: Obj, new: Obj) -> bool:
    """Anything but conditions changed: CEL predicates may read any other field."""
    return _without_conditions(old) != _without_conditions(new)


def _without_status(obj: Obj) -> dict[str, Any]:
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _VOLATILE_METADATA}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


def _without_conditions(obj: Obj) -> dict[str, Any]:
    status = {k: v for k, v in (obj.get("status") or {}).items() if k != "conditions"}
    return {**_without_status(obj), "status": status}


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _namespace(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))
