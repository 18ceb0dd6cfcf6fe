"""Upstream wire names of registration (``specs/ocm-apis.md`` §1): labels, finalizers, roles,
secrets, the lease, condition reasons and the certificate subject format. Exact strings: upstream
agents, ``clusteradm`` and add-on managers rely on them."""

from __future__ import annotations

from typing import Final

# -- labels and annotations ----------------------------------------------------------------------
CLUSTER_NAME_LABEL: Final = "open-cluster-management.io/cluster-name"
AUTO_ACCEPTED_ANNOTATION: Final = "open-cluster-management.io/automatically-accepted-on"
SPOKE_ONLY_CLAIM_LABEL: Final = "open-cluster-management.io/spoke-only"

# -- finalizers ----------------------------------------------------------------------------------
RBAC_CLEANUP_FINALIZER: Final = "cluster.open-cluster-management.io/api-resource-cleanup"
RESOURCE_CLEANUP_FINALIZER: Final = "cluster.open-cluster-management.io/resource-cleanup"
WORK_CLEANUP_FINALIZER: Final = "cluster.open-cluster-management.io/manifest-work-cleanup"

# -- hub RBAC ------------------------------------------------------------------------------------
RBAC_GROUP: Final = "rbac.authorization.k8s.io"
REGISTRATION_ROLE: Final = "open-cluster-management:managedcluster:registration"
WORK_ROLE: Final = "open-cluster-management:managedcluster:work"
BOOTSTRAP_ROLE: Final = "open-cluster-management:bootstrap"
BOOTSTRAP_GROUP: Final = "system:bootstrappers:managedcluster"


def cluster_role_name(cluster: str) -> str:
    """The per-cluster ClusterRole (and its ClusterRoleBinding)."""
    return f"open-cluster-management:managedcluster:{cluster}"


def registration_binding_name(cluster: str) -> str:
    return f"open-cluster-management:managedcluster:{cluster}:registration"


def work_binding_name(cluster: str) -> str:
    return f"open-cluster-management:managedcluster:{cluster}:work"


# -- identity ------------------------------------------------------------------------------------
SUBJECT_PREFIX: Final = "system:open-cluster-management:"
MANAGED_CLUSTERS_GROUP: Final = "system:open-cluster-management:managed-clusters"


def cluster_group(cluster: str) -> str:
    """The group every certificate of ``cluster`` carries (and the RBAC subject)."""
    return f"{SUBJECT_PREFIX}{cluster}"


def cluster_token_group(cluster: str) -> str:
    """The second subject group, used by non-CSR registration drivers."""
    return f"open-cluster-management:{cluster}"


def agent_user(cluster: str, agent_id: str) -> str:
    """The certificate CN (and user name) of one agent of ``cluster``."""
    return f"{SUBJECT_PREFIX}{cluster}:{agent_id}"


# -- CSRs ----------------------------------------------------------------------------------------
KUBE_APISERVER_CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client"
CSR_USAGES: Final = ("digital signature", "key encipherment", "client auth")
CSR_APPROVED: Final = "Approved"
CSR_DENIED: Final = "Denied"
CSR_FAILED: Final = "Failed"
AUTO_APPROVED_REASON: Final = "AutoApprovedByHubCSRApprovingController"
MAX_PENDING_CSRS: Final = 10

# -- lease ---------------------------------------------------------------------------------------
LEASE_NAME: Final = "managed-cluster-lease"
DEFAULT_LEASE_DURATION_SECONDS: Final = 60
LEASE_GRACE_MULTIPLIER: Final = 5

# -- spoke ---------------------------------------------------------------------------------------
AGENT_NAMESPACE: Final = "open-cluster-management-agent"
BOOTSTRAP_SECRET: Final = "bootstrap-hub-kubeconfig"
HUB_KUBECONFIG_SECRET: Final = "hub-kubeconfig-secret"
KEY_KUBECONFIG: Final = "kubeconfig"
KEY_TLS_CERT: Final = "tls.crt"
KEY_TLS_KEY: Final = "tls.key"
KEY_CLUSTER_NAME: Final = "cluster-name"
KEY_AGENT_NAME: Final = "agent-name"
HUB_CONTEXT: Final = "default-context"
HUB_USER: Final = "default-auth"
HUB_CONTEXT_NAMESPACE: Final = "configuration"

# -- condition reasons (types are in ocm_core.api.cluster) ---------------------------------------
REASON_ACCEPTED: Final = "HubClusterAdminAccepted"
REASON_DENIED: Final = "HubClusterAdminDenied"
REASON_JOINED: Final = "ManagedClusterJoined"
REASON_AVAILABLE: Final = "ManagedClusterAvailable"
REASON_KUBE_APISERVER_UNAVAILABLE: Final = "ManagedClusterKubeAPIServerUnavailable"
REASON_LEASE_UPDATE_STOPPED: Final = "ManagedClusterLeaseUpdateStopped"
REASON_CLOCK_SYNCED: Final = "ManagedClusterClockSynced"
REASON_CLOCK_OUT_OF_SYNC: Final = "ManagedClusterClockOutOfSync"
CONDITION_CERT_ROTATED: Final = "ClusterCertificateRotated"
REASON_CERT_UPDATED: Final = "ClientCertificateUpdated"
REASON_CERT_UPDATE_FAILED: Final = "ClientCertificateUpdateFailed"
CONDITION_DELETING: Final = "Deleting"
REASON_RESOURCE_REMAINING: Final = "ResourceRemaining"
REASON_NO_RESOURCE: Final = "NoResource"
EVENT_AVAILABLE_UNKNOWN: Final = "AvailableUnknown"
