"""Cluster sets: the ``default`` and ``global`` sets, the default membership label, set status
and binding status (``specs/ocm-apis.md`` §1.9).

- `DefaultClusterSetsController` keeps ``default`` (ExclusiveClusterSetLabel) and ``global``
  (LabelSelector ``{}``) present and rolls back selector edits of ``default`` unless it is
  annotated ``cluster.open-cluster-management.io/autoupdate=false``.
- `ClusterSetLabelController` puts clusters without a set label into ``default`` (upstream's
  mutating webhook does this on write; we do it right after).
- `ClusterSetStatusController` sets ``ClusterSetEmpty`` from the clusters a set selects; only
  a cluster's arrival, departure or label change can change that.
- `ClusterSetBindingController` sets ``Bound`` from whether the bound set exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import AlreadyExistsError
from ocm_core.kube.protocol import KubeApi
from ocm_core.placement.labelselector import InvalidSelector, LabelSelector
from ocm_core.runtime import Clock, Informer, Result, keys, patching

Object = dict[str, Any]
RESYNC_SECONDS: Final = 10.0

_DEFAULT_SELECTOR: Final = {"selectorType": cluster_api.SELECTOR_TYPE_EXCLUSIVE_LABEL}
_GLOBAL_SELECTOR: Final = {
    "selectorType": cluster_api.SELECTOR_TYPE_LABEL_SELECTOR,
    "labelSelector": {},
}
WANTED_SELECTORS: Final[Mapping[str, Mapping[str, Any]]] = {
    cluster_api.DEFAULT_CLUSTER_SET: _DEFAULT_SELECTOR,
    cluster_api.GLOBAL_CLUSTER_SET: _GLOBAL_SELECTOR,
}


def cluster_set(name: str, selector: Mapping[str, Any]) -> Object:
    return {
        "apiVersion": gvr.MANAGED_CLUSTER_SETS.api_version,
        "kind": gvr.MANAGED_CLUSTER_SETS.kind,
        "metadata": {"name": name},
        "spec": {"clusterSelector": dict(selector)},
    }


def set_matcher(cluster_set_obj: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """Whether the set selects a cluster, as a function of the cluster (the selector is parsed
    once, not once per cluster); an invalid selector selects nothing."""
    selector = (cluster_set_obj.get("spec") or {}).get("clusterSelector") or {}
    kind = selector.get("selectorType") or cluster_api.SELECTOR_TYPE_EXCLUSIVE_LABEL
    if kind == cluster_api.SELECTOR_TYPE_EXCLUSIVE_LABEL:
        name = cluster_set_obj["metadata"]["name"]
        return lambda cluster: _labels(cluster).get(cluster_api.CLUSTER_SET_LABEL) == name
    try:
        parsed = LabelSelector.parse(selector.get("labelSelector"), field="labelSelector")
    except InvalidSelector:
        return lambda _cluster: False
    return lambda cluster: parsed.matches(_labels(cluster))


def labels_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Update filter: set membership depends on a cluster's labels only."""
    return _labels(old) != _labels(new)


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


class DefaultClusterSetsController:
    def __init__(self, api: KubeApi, sets: Informer) -> None:
        self.api = api
        self.sets = sets

    async def reconcile(self, key: str) -> Result | None:
        wanted = WANTED_SELECTORS.get(key)
        if wanted is None:
            return None
        current = self.sets.cache.get(key)
        if current is None:
            with contextlib.suppress(AlreadyExistsError):
                await self.api.create(gvr.MANAGED_CLUSTER_SETS, cluster_set(key, wanted))
            return Result(requeue_after=RESYNC_SECONDS)
        annotations = (current.get("metadata") or {}).get("annotations") or {}
        if annotations.get(cluster_api.CLUSTER_SET_AUTOUPDATE_ANNOTATION) == "false":
            return None
        selector = (current.get("spec") or {}).get("clusterSelector") or {}
        if selector != wanted:
            body = {
                "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
                "spec": {"clusterSelector": patching.merge_patch_diff(selector, wanted)},
            }
            await self.api.patch(gvr.MANAGED_CLUSTER_SETS, key, body)
        return Result(requeue_after=RESYNC_SECONDS)


class ClusterSetLabelController:
    def __init__(self, api: KubeApi, clusters: Informer) -> None:
        self.api = api
        self.clusters = clusters

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None or patching.is_deleting(cluster):
            return None
        labels = (cluster.get("metadata") or {}).get("labels") or {}
        if labels.get(cluster_api.CLUSTER_SET_LABEL):
            return None
        body = {
            "metadata": {"labels": {cluster_api.CLUSTER_SET_LABEL: cluster_api.DEFAULT_CLUSTER_SET}}
        }
        await self.api.patch(gvr.MANAGED_CLUSTERS, key, body)
        return None


class ClusterSetStatusController:
    def __init__(self, api: KubeApi, sets: Informer, clusters: Informer, clock: Clock) -> None:
        self.api = api
        self.sets = sets
        self.clusters = clusters
        self.clock = clock

    def all_sets(self, _cluster: Mapping[str, Any]) -> Iterable[str]:
        """Key function: any cluster change may change any set's membership."""
        return self.sets.cache.keys()

    async def reconcile(self, key: str) -> Result | None:
        cluster_set_obj = self.sets.cache.get(key)
        if cluster_set_obj is None:
            return None
        matches = set_matcher(cluster_set_obj)
        count = sum(1 for cluster in self.clusters.cache if matches(cluster))
        status = dict(cluster_set_obj.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=cluster_api.CONDITION_CLUSTER_SET_EMPTY,
            status=patching.CONDITION_FALSE if count else patching.CONDITION_TRUE,
            reason=cluster_api.REASON_CLUSTERS_SELECTED
            if count
            else cluster_api.REASON_NO_CLUSTER_MATCHED,
            message=f"{count} ManagedClusters selected" if count else "No ManagedCluster selected",
            clock=self.clock,
        )
        await patching.patch_status(self.api, gvr.MANAGED_CLUSTER_SETS, cluster_set_obj, status)
        return None


class ClusterSetBindingController:
    def __init__(self, api: KubeApi, bindings: Informer, sets: Informer, clock: Clock) -> None:
        self.api = api
        self.bindings = bindings
        self.sets = sets
        self.clock = clock

    def bindings_of_set(self, cluster_set_obj: Mapping[str, Any]) -> Iterable[str]:
        """Key function: a set's add/delete changes the bindings that name it."""
        name = (cluster_set_obj.get("metadata") or {}).get("name")
        return [
            keys.key_of(b)
            for b in self.bindings.cache
            if (b.get("spec") or {}).get("clusterSet") == name
        ]

    async def reconcile(self, key: str) -> Result | None:
        binding = self.bindings.cache.get(key)
        if binding is None:
            return None
        set_name = str((binding.get("spec") or {}).get("clusterSet") or "")
        bound = bool(set_name) and self.sets.cache.get(set_name) is not None
        status = dict(binding.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=cluster_api.CONDITION_BOUND,
            status=patching.CONDITION_TRUE if bound else patching.CONDITION_FALSE,
            reason=cluster_api.REASON_CLUSTER_SET_BOUND
            if bound
            else cluster_api.REASON_CLUSTER_SET_NOT_FOUND,
            message=f"Bound to ManagedClusterSet {set_name}"
            if bound
            else f"ManagedClusterSet {set_name} is not found",
            clock=self.clock,
        )
        await patching.patch_status(self.api, gvr.MANAGED_CLUSTER_SET_BINDINGS, binding, status)
        return None
