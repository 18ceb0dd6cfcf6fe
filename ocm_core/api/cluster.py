"""The `cluster.open-cluster-management.io` cluster APIs: ManagedCluster, sets, bindings, claims.

Names here are the upstream wire names; other components (registration, placement, the CLI)
import them instead of spelling the strings again.
"""

from typing import Final, NamedTuple

GROUP: Final = "cluster.open-cluster-management.io"


class ApiResource(NamedTuple):
    """One served resource: where it lives and what it is called."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


MANAGED_CLUSTERS: Final = ApiResource(GROUP, "v1", "managedclusters", "ManagedCluster", False)
MANAGED_CLUSTER_SETS: Final = ApiResource(
    GROUP, "v1beta2", "managedclustersets", "ManagedClusterSet", False
)
MANAGED_CLUSTER_SET_BINDINGS: Final = ApiResource(
    GROUP, "v1beta2", "managedclustersetbindings", "ManagedClusterSetBinding", True
)
# ClusterClaims live on the spoke; the agent copies them into ManagedCluster.status.clusterClaims.
CLUSTER_CLAIMS: Final = ApiResource(GROUP, "v1alpha1", "clusterclaims", "ClusterClaim", False)

# Set membership for ExclusiveClusterSetLabel sets.
CLUSTER_SET_LABEL: Final = "cluster.open-cluster-management.io/clusterset"

# ManagedClusterSet.spec.clusterSelector.selectorType values.
SELECTOR_TYPE_EXCLUSIVE_LABEL: Final = "ExclusiveClusterSetLabel"
SELECTOR_TYPE_LABEL_SELECTOR: Final = "LabelSelector"

# The two sets the hub keeps: `default` (label-selected, new clusters land here) and
# `global` (an empty LabelSelector, so every cluster).
DEFAULT_CLUSTER_SET: Final = "default"
GLOBAL_CLUSTER_SET: Final = "global"
# A `default` set carrying this annotation set to "false" keeps a user-edited selector.
CLUSTER_SET_AUTOUPDATE_ANNOTATION: Final = "cluster.open-cluster-management.io/autoupdate"

# Taint effects (ManagedCluster.spec.taints[].effect).
TAINT_NO_SELECT: Final = "NoSelect"
TAINT_PREFER_NO_SELECT: Final = "PreferNoSelect"
TAINT_NO_SELECT_IF_NEW: Final = "NoSelectIfNew"
TAINT_EFFECTS: Final = (TAINT_NO_SELECT, TAINT_PREFER_NO_SELECT, TAINT_NO_SELECT_IF_NEW)

# Taints the hub sets from the Available condition.
TAINT_UNAVAILABLE: Final = "cluster.open-cluster-management.io/unavailable"
TAINT_UNREACHABLE: Final = "cluster.open-cluster-management.io/unreachable"

# ManagedCluster condition types.
CONDITION_HUB_ACCEPTED: Final = "HubAcceptedManagedCluster"
CONDITION_JOINED: Final = "ManagedClusterJoined"
CONDITION_AVAILABLE: Final = "ManagedClusterConditionAvailable"
CONDITION_CLOCK_SYNCED: Final = "ManagedClusterConditionClockSynced"

# ManagedClusterSet / ManagedClusterSetBinding conditions and reasons.
CONDITION_CLUSTER_SET_EMPTY: Final = "ClusterSetEmpty"
REASON_NO_CLUSTER_MATCHED: Final = "NoClusterMatched"
REASON_CLUSTERS_SELECTED: Final = "ClustersSelected"
CONDITION_BOUND: Final = "Bound"
REASON_CLUSTER_SET_BOUND: Final = "ClusterSetBound"
REASON_CLUSTER_SET_NOT_FOUND: Final = "ClusterSetNotFound"

# Allocatable/capacity resource names the built-in prioritizers read.
RESOURCE_CPU: Final = "cpu"
RESOURCE_MEMORY: Final = "memory"
