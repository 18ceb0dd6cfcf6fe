"""The placement APIs: Placement, PlacementDecision and AddOnPlacementScore.

Label keys, condition types and reasons are the upstream wire values so that clusteradm,
add-on managers and ManifestWorkReplicaSets written for OCM read our decisions unchanged.
"""

from typing import Final

from ocm_core.api.cluster import GROUP, ApiResource

PLACEMENTS: Final = ApiResource(GROUP, "v1beta1", "placements", "Placement", True)
PLACEMENT_DECISIONS: Final = ApiResource(
    GROUP, "v1beta1", "placementdecisions", "PlacementDecision", True
)
ADDON_PLACEMENT_SCORES: Final = ApiResource(
    GROUP, "v1alpha1", "addonplacementscores", "AddOnPlacementScore", True
)

# Labels every PlacementDecision carries.
PLACEMENT_LABEL: Final = "cluster.open-cluster-management.io/placement"
DECISION_GROUP_NAME_LABEL: Final = "cluster.open-cluster-management.io/decision-group-name"
DECISION_GROUP_INDEX_LABEL: Final = "cluster.open-cluster-management.io/decision-group-index"

# A Placement with this annotation set to "true" is left alone by the scheduler.
SCHEDULING_DISABLE_ANNOTATION: Final = (
    "cluster.open-cluster-management.io/experimental-scheduling-disable"
)

# One PlacementDecision holds at most this many clusters; more spill into further objects.
MAX_DECISIONS_PER_OBJECT: Final = 100

# Placement conditions.
CONDITION_SATISFIED: Final = "PlacementSatisfied"
CONDITION_MISCONFIGURED: Final = "PlacementMisconfigured"

# PlacementSatisfied reasons.
REASON_NO_BINDINGS: Final = "NoManagedClusterSetBindings"
REASON_NO_INTERSECTION: Final = "NoIntersection"
REASON_ALL_SETS_EMPTY: Final = "AllManagedClusterSetsEmpty"
REASON_NO_CLUSTER_MATCHED: Final = "NoManagedClusterMatched"
REASON_ALL_SCHEDULED: Final = "AllDecisionsScheduled"
REASON_NOT_ALL_SCHEDULED: Final = "NotAllDecisionsScheduled"

# PlacementMisconfigured reasons (upstream spells the second one this way).
REASON_MISCONFIGURED: Final = "Misconfigured"
REASON_SUCCEED_CONFIGURED: Final = "Succeedconfigured"

# prioritizerPolicy.mode values.
PRIORITIZER_MODE_ADDITIVE: Final = "Additive"
PRIORITIZER_MODE_EXACT: Final = "Exact"

# scoreCoordinate.type values.
SCORE_TYPE_BUILTIN: Final = "BuiltIn"
SCORE_TYPE_ADDON: Final = "AddOn"

# Built-in prioritizers.
PRIORITIZER_BALANCE: Final = "Balance"
PRIORITIZER_STEADY: Final = "Steady"
PRIORITIZER_ALLOCATABLE_CPU: Final = "ResourceAllocatableCPU"
PRIORITIZER_ALLOCATABLE_MEMORY: Final = "ResourceAllocatableMemory"

# Toleration operators.
TOLERATION_OP_EQUAL: Final = "Equal"
TOLERATION_OP_EXISTS: Final = "Exists"

# spreadConstraints values.
TOPOLOGY_KEY_TYPE_LABEL: Final = "Label"
TOPOLOGY_KEY_TYPE_CLAIM: Final = "Claim"
WHEN_UNSATISFIABLE_DO_NOT_SCHEDULE: Final = "DoNotSchedule"
WHEN_UNSATISFIABLE_SCHEDULE_ANYWAY: Final = "ScheduleAnyway"

# sortBy values (order of clusters inside PlacementDecisions).
SORT_BY_CLUSTER_NAME: Final = "ClusterName"
SORT_BY_SCORE: Final = "Score"
