"""Names of the `work.open-cluster-management.io` API, exactly as upstream OCM spells them.

Owns the strings of ManifestWork, AppliedManifestWork and ManifestWorkReplicaSet: group,
versions, kinds, resources, finalizers, labels, annotations, enum values, condition types and
reasons, and the work agent's upstream defaults (`specs/ocm-apis.md` §2). Pure data plus the
two name builders upstream agents rely on; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from typing import Final

# -- group, versions, kinds, resources ----------------------------------------------------

GROUP: Final = "work.open-cluster-management.io"
"""API group of every kind in this module."""
VERSION: Final = "v1"
"""Version of ManifestWork and AppliedManifestWork."""
REPLICA_SET_VERSION: Final = "v1alpha1"
"""Version of ManifestWorkReplicaSet."""

MANIFEST_WORK_KIND: Final = "ManifestWork"
MANIFEST_WORK_RESOURCE: Final = "manifestworks"
"""Namespaced: lives in the cluster namespace on the hub."""
APPLIED_MANIFEST_WORK_KIND: Final = "AppliedManifestWork"
APPLIED_MANIFEST_WORK_RESOURCE: Final = "appliedmanifestworks"
"""Cluster-scoped, on the spoke; written by the work agent."""
REPLICA_SET_KIND: Final = "ManifestWorkReplicaSet"
REPLICA_SET_RESOURCE: Final = "manifestworkreplicasets"
REPLICA_SET_SHORT_NAME: Final = "mwrs"

# -- finalizers, labels, annotations ------------------------------------------------------

MANIFEST_WORK_FINALIZER: Final = "cluster.open-cluster-management.io/manifest-work-cleanup"
"""Added by the spoke agent to the hub ManifestWork; nothing is applied until it is present."""
APPLIED_MANIFEST_WORK_FINALIZER: Final = (
    "cluster.open-cluster-management.io/applied-manifest-work-cleanup"
)
"""On the AppliedManifestWork; removed once every owned resource is gone."""
REPLICA_SET_FINALIZER: Final = "work.open-cluster-management.io/manifest-work-cleanup"
"""On a ManifestWorkReplicaSet, held until its ManifestWorks are cleaned up."""

REPLICA_SET_LABEL: Final = "work.open-cluster-management.io/manifestworkreplicaset"
"""On works created by a ManifestWorkReplicaSet; value `<namespace>.<name>`."""
PLACEMENT_NAME_LABEL: Final = "work.open-cluster-management.io/placementname"
"""On works created by a ManifestWorkReplicaSet; value the Placement name."""

CONFIG_SPEC_HASH_ANNOTATION: Final = "open-cluster-management.io/config-spec-hash"
"""Skips unchanged server-side applies; on add-on works, a JSON map of config spec hashes."""

# -- spec enums ---------------------------------------------------------------------------

PROPAGATION_FOREGROUND: Final = "Foreground"
"""Default delete propagation: owned resources are deleted with the work."""
PROPAGATION_ORPHAN: Final = "Orphan"
PROPAGATION_SELECTIVELY_ORPHAN: Final = "SelectivelyOrphan"

UPDATE_STRATEGY_UPDATE: Final = "Update"
"""Default update strategy."""
UPDATE_STRATEGY_CREATE_ONLY: Final = "CreateOnly"
UPDATE_STRATEGY_SERVER_SIDE_APPLY: Final = "ServerSideApply"
UPDATE_STRATEGY_READ_ONLY: Final = "ReadOnly"
DEFAULT_FIELD_MANAGER: Final = "work-agent"
"""Server-side-apply field managers must start with this prefix."""
IGNORE_ON_SPOKE_PRESENT: Final = "OnSpokePresent"
"""Default ignoreFields condition."""
IGNORE_ON_SPOKE_CHANGE: Final = "OnSpokeChange"

FEEDBACK_WELL_KNOWN_STATUS: Final = "WellKnownStatus"
FEEDBACK_JSON_PATHS: Final = "JSONPaths"
FEEDBACK_SCRAPE_POLL: Final = "Poll"
"""Default feedback scrape type."""
FEEDBACK_SCRAPE_WATCH: Final = "Watch"
FEEDBACK_VALUE_INTEGER: Final = "Integer"
FEEDBACK_VALUE_STRING: Final = "String"
FEEDBACK_VALUE_BOOLEAN: Final = "Boolean"
FEEDBACK_VALUE_JSON_RAW: Final = "JsonRaw"
FEEDBACK_JSON_RAW_MAX_LENGTH: Final = 1024

CONDITION_RULE_WELL_KNOWN: Final = "WellKnownConditions"
CONDITION_RULE_CEL: Final = "CEL"

EXECUTOR_SUBJECT_SERVICE_ACCOUNT: Final = "ServiceAccount"
"""The only executor subject type."""
EXECUTE_AS_VERB: Final = "execute-as"
"""SAR verb on `manifestworks` the hub checks for the requesting user of an executor."""
NIL_EXECUTOR_NAMESPACE: Final = ""
NIL_EXECUTOR_NAME: Final = "klusterlet-work-sa"
"""Implied executor when `executor` is nil and gate NilExecutorValidating is on."""

CASCADE_DELETION_BACKGROUND: Final = "Background"
"""Default ManifestWorkReplicaSet cascade deletion policy."""
CASCADE_DELETION_FOREGROUND: Final = "Foreground"

# -- well-known status feedback fields ----------------------------------------------------

WELL_KNOWN_STATUS_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "Deployment": ("ReadyReplicas", "Replicas", "AvailableReplicas"),
    "DaemonSet": ("NumberReady", "DesiredNumberScheduled", "NumberAvailable"),
    "Job": ("JobComplete", "JobSucceeded"),
    "Pod": ("PodReady", "PodPhase"),
}
"""Feedback names reported under WellKnownStatus, by kind."""

# -- conditions ---------------------------------------------------------------------------

CONDITION_APPLIED: Final = "Applied"
CONDITION_AVAILABLE: Final = "Available"
CONDITION_PROGRESSING: Final = "Progressing"
CONDITION_DEGRADED: Final = "Degraded"
CONDITION_COMPLETE: Final = "Complete"
CONDITION_DELETING: Final = "Deleting"
CONDITION_STATUS_FEEDBACK_SYNCED: Final = "StatusFeedbackSynced"

# Per-manifest reasons.
REASON_APPLIED_MANIFEST_COMPLETE: Final = "AppliedManifestComplete"
REASON_APPLIED_MANIFEST_FAILED: Final = "AppliedManifestFailed"
REASON_APPLIED_MANIFEST_SSA_IGNORE_FIELD_ERROR: Final = "AppliedManifestSSAIgnoreFieldError"
REASON_RESOURCE_AVAILABLE: Final = "ResourceAvailable"
REASON_RESOURCE_NOT_AVAILABLE: Final = "ResourceNotAvailable"
REASON_FETCHING_RESOURCE_FAILED: Final = "FetchingResourceFailed"
REASON_INCOMPLETE_RESOURCE_META: Final = "IncompleteResourceMeta"
REASON_STATUS_FEEDBACK_SYNCED: Final = "StatusFeedbackSynced"
REASON_NO_STATUS_FEEDBACK_SYNCED: Final = "NoStatusFeedbackSynced"
REASON_STATUS_FEEDBACK_SYNC_FAILED: Final = "StatusFeedbackSyncFailed"
REASON_CONDITION_RULE_EVALUATED: Final = "ConditionRuleEvaluated"
REASON_CONDITION_RULE_INVALID: Final = "ConditionRuleInvalid"
REASON_CONDITION_RULE_EXPRESSION_ERROR: Final = "ConditionRuleExpressionError"
REASON_CONDITION_RULE_INTERNAL_ERROR: Final = "ConditionRuleInternalError"

# Work-level reasons.
REASON_APPLIED_MANIFEST_WORK_COMPLETE: Final = "AppliedManifestWorkComplete"
REASON_APPLIED_MANIFEST_WORK_FAILED: Final = "AppliedManifestWorkFailed"
REASON_RESOURCES_AVAILABLE: Final = "ResourcesAvailable"
REASON_RESOURCES_NOT_AVAILABLE: Final = "ResourcesNotAvailable"
REASON_RESOURCES_STATUS_UNKNOWN: Final = "ResourcesStatusUnknown"
REASON_CONDITION_RULES_AGGREGATED: Final = "ConditionRulesAggregated"
REASON_WORK_DELETING: Final = "WorkDeleting"

# ManifestWorkReplicaSet conditions and reasons.
CONDITION_PLACEMENT_VERIFIED: Final = "PlacementVerified"
CONDITION_PLACEMENT_ROLLED_OUT: Final = "PlacementRolledOut"
CONDITION_MANIFEST_WORK_APPLIED: Final = "ManifestworkApplied"
"""Upstream spelling (lower-case w)."""
REASON_AS_EXPECTED: Final = "AsExpected"
REASON_PLACEMENT_DECISION_NOT_FOUND: Final = "PlacementDecisionNotFound"
REASON_PLACEMENT_DECISION_EMPTY: Final = "PlacementDecisionEmpty"
REASON_NOT_AS_EXPECTED: Final = "NotAsExpected"
REASON_PROGRESSING: Final = "Progressing"
REASON_COMPLETE: Final = "Complete"
REASON_PROCESSING: Final = "Processing"
REASON_INVALID_MANIFEST_WORK_NAME: Final = "InvalidManifestWorkName"

# -- limits and agent defaults ------------------------------------------------------------

MANIFEST_LIMIT_BYTES: Final = 500 * 1024
"""Hub webhook limit on the total size of a work's manifests (`--manifestLimit`)."""
STATUS_SYNC_INTERVAL_SECONDS: Final = 10
"""Work agent `--status-sync-interval`."""
RESYNC_INTERVAL_SECONDS: Final = 4 * 60
"""Work agent ManifestWork resync (jittered)."""
EVICTION_GRACE_PERIOD_SECONDS: Final = 60 * 60
"""`--appliedmanifestwork-eviction-grace-period`; 100 years or more disables eviction."""
WORKLOAD_AGENT_WORKERS: Final = 10
"""`--workload-agent-workers`."""
HUB_KUBECONFIG_SECRET: Final = "hub-kubeconfig-secret"
"""Spoke secret holding the agent's hub kubeconfig."""


def hub_hash(hub_server_url: str) -> str:
    """Upstream's hub hash: sha256 hex of the hub API server URL (also the default agent ID)."""
    return hashlib.sha256(hub_server_url.encode("utf-8")).hexdigest()


def applied_manifest_work_name(hub_hash_value: str, work_name: str) -> str:
    """Name of the AppliedManifestWork for a hub ManifestWork: `<hubHash>-<workName>`."""
    return f"{hub_hash_value}-{work_name}"


def executor_sar_name(namespace: str, name: str) -> str:
    """Resource name of the `execute-as` SAR for a ServiceAccount executor."""
    return f"system:serviceaccount:{namespace}:{name}"
