"""Names of the `addon.open-cluster-management.io` API, exactly as upstream OCM spells them.

Owns the strings of ClusterManagementAddOn, ManagedClusterAddOn, AddOnDeploymentConfig and
AddOnTemplate and of the add-on framework around them: group and versions (v1alpha1 is
stored, controllers speak v1beta1), kinds and resources, annotations, labels, finalizers, enum
values, condition types and reasons, default namespaces, and the names upstream derives from an
add-on name (works, secrets, CSR subjects). Source: `specs/ocm-apis.md` §4. No I/O.
"""

from __future__ import annotations

from typing import Final

# -- group, versions, kinds, resources ----------------------------------------------------

GROUP: Final = "addon.open-cluster-management.io"
V1ALPHA1: Final = "v1alpha1"
V1BETA1: Final = "v1beta1"
STORAGE_VERSION: Final = V1ALPHA1
"""Version objects are stored in; the other served version is converted to and from it."""
PREFERRED_VERSION: Final = V1BETA1
"""Version every controller reads and writes."""

CLUSTER_MANAGEMENT_ADDON_KIND: Final = "ClusterManagementAddOn"
CLUSTER_MANAGEMENT_ADDON_RESOURCE: Final = "clustermanagementaddons"
"""Cluster-scoped; the object name is the add-on name."""
MANAGED_CLUSTER_ADDON_KIND: Final = "ManagedClusterAddOn"
MANAGED_CLUSTER_ADDON_RESOURCE: Final = "managedclusteraddons"
"""In the cluster namespace; the object name is the add-on name."""
ADDON_DEPLOYMENT_CONFIG_KIND: Final = "AddOnDeploymentConfig"
ADDON_DEPLOYMENT_CONFIG_RESOURCE: Final = "addondeploymentconfigs"
ADDON_TEMPLATE_KIND: Final = "AddOnTemplate"
ADDON_TEMPLATE_RESOURCE: Final = "addontemplates"
ADDON_TEMPLATE_VERSION: Final = V1ALPHA1
"""AddOnTemplate is served as v1alpha1 only."""

# -- annotations --------------------------------------------------------------------------

ANNOTATION_PREFIX: Final = "addon.open-cluster-management.io"
"""ManagedCluster annotations with this prefix are copied onto its ManagedClusterAddOns."""
LIFECYCLE_ANNOTATION: Final = "addon.open-cluster-management.io/lifecycle"
"""On a ClusterManagementAddOn: who manages its add-ons."""
LIFECYCLE_ADDON_MANAGER: Final = "addon-manager"
"""The hub addon-manager installs the add-on (the default when the annotation is absent)."""
LIFECYCLE_SELF: Final = "self"
"""The add-on's own manager installs it; the hub addon-manager leaves it alone."""
INSTALL_NAMESPACE_ANNOTATION: Final = "addon.open-cluster-management.io/v1alpha1-install-namespace"
"""Carries v1alpha1 `spec.installNamespace` through v1beta1, which has no such field."""
HOSTING_CLUSTER_NAME_ANNOTATION: Final = "addon.open-cluster-management.io/hosting-cluster-name"
"""On a ManagedClusterAddOn: selects Hosted mode and names the hosting cluster."""
HOSTED_MANIFEST_LOCATION_ANNOTATION: Final = (
    "addon.open-cluster-management.io/hosted-manifest-location"
)
"""On a rendered manifest in Hosted mode: where it goes."""
HOSTED_MANIFEST_LOCATION_MANAGED: Final = "managed"
HOSTED_MANIFEST_LOCATION_HOSTING: Final = "hosting"
HOSTED_MANIFEST_LOCATION_NONE: Final = "none"
PRE_DELETE_HOOK_ANNOTATION: Final = "addon.open-cluster-management.io/addon-pre-delete"
"""On a rendered Job/Pod: run it before the add-on is removed."""
DELETION_ORPHAN_ANNOTATION: Final = "addon.open-cluster-management.io/deletion-orphan"
"""On a rendered manifest: keep it on the spoke when the add-on is removed."""
DISABLE_AUTOMATIC_INSTALLATION_ANNOTATION: Final = (
    "addon.open-cluster-management.io/disable-automatic-installation"
)
CONFIG_SPEC_HASH_ANNOTATION: Final = "open-cluster-management.io/config-spec-hash"
"""On add-on ManifestWorks: JSON map `<resource>.<group>/<namespace>/<name>` -> spec hash."""
IMAGE_REGISTRIES_ANNOTATION: Final = "open-cluster-management.io/image-registries"
"""On a ManagedCluster: image registry overrides, below AddOnDeploymentConfig registries."""

# -- labels and finalizers ----------------------------------------------------------------

ADDON_NAME_LABEL: Final = "open-cluster-management.io/addon-name"
"""On add-on works, CSRs and other hub objects of an add-on."""
ADDON_NAMESPACE_LABEL: Final = "open-cluster-management.io/addon-namespace"
"""On add-on works in Hosted mode."""
TOKEN_INFRA_ADDON_LABEL: Final = "addon.open-cluster-management.io/name"
TOKEN_INFRA_LABEL: Final = "addon.open-cluster-management.io/token-infrastructure"
"""With value "true" on the ServiceAccount, Role and RoleBinding of token registration."""
PRE_DELETE_HOOK_FINALIZER: Final = "addon.open-cluster-management.io/addon-pre-delete"
"""On a ManagedClusterAddOn while its pre-delete hook runs."""

# -- defaults -----------------------------------------------------------------------------

DEFAULT_INSTALL_NAMESPACE: Final = "open-cluster-management-agent-addon"
"""Install namespace of add-on agents when nothing else sets one."""
RESERVED_NO_DEFAULT_CONFIG_NAME: Final = "__reserved_no_default__"
"""v1beta1 default config name standing for "v1alpha1 had no defaultConfig" (never a real name)."""
KUBE_APISERVER_CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client"
"""Signer of kubeClient registrations."""
MANIFEST_WORK_SIZE_LIMIT: Final = 500 * 1024
"""ManifestWork size limit; the work builder splits manifests at 80 % of it."""
MANIFEST_WORK_SPLIT_BYTES: Final = MANIFEST_WORK_SIZE_LIMIT * 8 // 10

# -- spec enums ---------------------------------------------------------------------------

INSTALL_STRATEGY_MANUAL: Final = "Manual"
"""Default install strategy: ManagedClusterAddOns are created by hand."""
INSTALL_STRATEGY_PLACEMENTS: Final = "Placements"
ROLLOUT_ALL: Final = "All"
"""Default rollout type."""
ROLLOUT_PROGRESSIVE: Final = "Progressive"
ROLLOUT_PROGRESSIVE_PER_GROUP: Final = "ProgressivePerGroup"
HEALTH_CHECK_LEASE: Final = "Lease"
"""Default health check mode. The API has no `None` mode: non-lease probes map to Customized."""
HEALTH_CHECK_CUSTOMIZED: Final = "Customized"

REGISTRATION_KUBE_CLIENT: Final = "kubeClient"
"""v1beta1 `status.registrations[].type` for hub kubeconfig registrations."""
REGISTRATION_CUSTOM_SIGNER: Final = "customSigner"
DRIVER_CSR: Final = "csr"
"""kubeClient driver: a CSR signed by the kube-apiserver-client signer (the default)."""
DRIVER_TOKEN: Final = "token"
"""kubeClient driver: TokenRequest on the hub ServiceAccount `<addon>-agent`."""

TEMPLATE_REGISTRATION_KUBE_CLIENT: Final = "KubeClient"
"""AddOnTemplate `registration[].type` (capitalised, unlike the v1beta1 status enum)."""
TEMPLATE_REGISTRATION_CUSTOM_SIGNER: Final = "CustomSigner"
TEMPLATE_PERMISSION_CURRENT_CLUSTER: Final = "CurrentCluster"
TEMPLATE_PERMISSION_SINGLE_NAMESPACE: Final = "SingleNamespace"
TEMPLATE_CLUSTER_NAME_PLACEHOLDER: Final = "{{CLUSTER_NAME}}"
TEMPLATE_INSTALL_NAMESPACE_PLACEHOLDER: Final = "{{INSTALL_NAMESPACE}}"
TEMPLATE_HUB_KUBECONFIG_PLACEHOLDER: Final = "{{HUB_KUBECONFIG}}"
TEMPLATE_HUB_KUBECONFIG_PATH: Final = "/managed/hub-kubeconfig/kubeconfig"
"""Default value of `{{HUB_KUBECONFIG}}`."""
TEMPLATE_HUB_KUBECONFIG_MOUNT: Final = "/managed/hub-kubeconfig"
TEMPLATE_PROXY_CA_MOUNT: Final = "/managed/proxy-ca"

# -- conditions ---------------------------------------------------------------------------

CONDITION_AVAILABLE: Final = "Available"
CONDITION_DEGRADED: Final = "Degraded"
CONDITION_PROGRESSING: Final = "Progressing"
CONDITION_CONFIGURED: Final = "Configured"
CONDITION_REGISTRATION_APPLIED: Final = "RegistrationApplied"
CONDITION_MANIFEST_APPLIED: Final = "ManifestApplied"
CONDITION_HOSTING_MANIFEST_APPLIED: Final = "HostingManifestApplied"
CONDITION_HOOK_MANIFEST_COMPLETED: Final = "HookManifestCompleted"
CONDITION_HOSTING_CLUSTER_VALIDITY: Final = "HostingClusterValidity"
CONDITION_TOKEN_INFRASTRUCTURE_READY: Final = "TokenInfrastructureReady"
CONDITION_CLUSTER_CERTIFICATE_ROTATED: Final = "ClusterCertificateRotated"

REASON_SET_PERMISSION_APPLIED: Final = "SetPermissionApplied"
REASON_NIL_REGISTRATION: Final = "NilRegistration"
REASON_SET_PERMISSION_FAILED: Final = "SetPermissionFailed"
REASON_PERMISSION_CONFIG_PENDING: Final = "PermissionConfigPending"
REASON_ADDON_MANIFEST_APPLIED: Final = "AddonManifestApplied"
REASON_MANIFEST_WORK_APPLY_FAILED: Final = "ManifestWorkApplyFailed"
REASON_ADDON_MANIFEST_APPLIED_FAILED: Final = "AddonManifestAppliedFailed"
REASON_LEASE_UPDATED: Final = "ManagedClusterAddOnLeaseUpdated"
REASON_LEASE_UPDATE_STOPPED: Final = "ManagedClusterAddOnLeaseUpdateStopped"
REASON_LEASE_NOT_FOUND: Final = "ManagedClusterAddOnLeaseNotFound"
REASON_WORK_NOT_FOUND: Final = "WorkNotFound"
REASON_WORK_NOT_APPLIED: Final = "WorkNotApplied"
REASON_WORK_APPLY_FAILED: Final = "WorkApplyFailed"
REASON_NO_PROBE_RESULT: Final = "NoProbeResult"
REASON_PROBE_UNAVAILABLE: Final = "ProbeUnavailable"
REASON_PROBE_AVAILABLE: Final = "ProbeAvailable"
REASON_CONFIGURATIONS_CONFIGURED: Final = "ConfigurationsConfigured"
REASON_CONFIGURATIONS_NOT_CONFIGURED: Final = "ConfigurationsNotConfigured"
REASON_PROGRESSING: Final = "Progressing"
REASON_COMPLETED: Final = "Completed"
REASON_FAILED: Final = "Failed"
REASON_WAITING_FOR_CANARY: Final = "WaitingForCanary"
REASON_CONFIGURATION_UNSUPPORTED: Final = "ConfigurationUnsupported"
REASON_WAITING_FOR_MANIFEST_APPLIED: Final = "WaitingForManifestApplied"

# -- health and registration timing -------------------------------------------------------

LEASE_RENEW_SECONDS: Final = 60
"""Add-on agents renew their Lease `<addon>` this often."""
LEASE_CHECK_SECONDS: Final = 30
"""The registration agent checks add-on leases this often."""
LEASE_GRACE_SECONDS: Final = 5 * LEASE_RENEW_SECONDS
"""A lease older than this makes the add-on unavailable."""
MAX_PENDING_CSRS: Final = 10
"""CSR creation halts at this many CSRs per add-on."""


# -- names derived from an add-on ---------------------------------------------------------


def deploy_work_name(addon: str, index: int) -> str:
    """ManifestWork `addon-<addon>-deploy-<i>` carrying the agent manifests."""
    return f"addon-{addon}-deploy-{index}"


def hosting_deploy_work_name(addon: str, cluster_namespace: str, index: int) -> str:
    """ManifestWork in the hosting cluster's namespace for Hosted mode."""
    return f"addon-{addon}-deploy-hosting-{cluster_namespace}-{index}"


def pre_delete_work_name(addon: str) -> str:
    """ManifestWork carrying the pre-delete hook objects."""
    return f"addon-{addon}-pre-delete"


def hub_kubeconfig_secret_name(addon: str) -> str:
    """Spoke secret of a kubeClient registration (kubeconfig, tls.crt/tls.key or token)."""
    return f"{addon}-hub-kubeconfig"


def custom_signer_secret_name(addon: str, signer_name: str) -> str:
    """Spoke secret of a customSigner registration: `/` in the signer name becomes `-`."""
    return f"{addon}-{signer_name.replace('/', '-')}-client-cert"


def token_service_account_name(addon: str) -> str:
    """Hub ServiceAccount (in the cluster namespace) of the token driver."""
    return f"{addon}-agent"


def token_role_name(addon: str) -> str:
    """Hub Role and RoleBinding allowing `serviceaccounts/token` create for the agent SA."""
    return f"{addon}-token-role"


def csr_generate_name(cluster: str, addon: str) -> str:
    """`generateName` of an add-on CSR."""
    return f"addon-{cluster}-{addon}-"


def csr_dns_name(addon: str) -> str:
    """DNS SAN of a kubeClient add-on CSR."""
    return f"{addon}.addon.open-cluster-management.io"


def default_agent_group(cluster: str, addon: str) -> str:
    """Default organisation (group) of an add-on agent's hub identity."""
    return f"system:open-cluster-management:cluster:{cluster}:addon:{addon}"


def default_agent_user(cluster: str, addon: str, agent: str | None = None) -> str:
    """Default common name (user) of an add-on agent's hub identity (agent defaults to addon)."""
    return f"{default_agent_group(cluster, addon)}:agent:{agent or addon}"


def token_agent_user(cluster: str, addon: str) -> str:
    """Hub user of an agent registered with the token driver."""
    return f"system:serviceaccount:{cluster}:{token_service_account_name(addon)}"
