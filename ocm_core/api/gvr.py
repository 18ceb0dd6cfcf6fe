"""Resource addresses: the `Resource` value and one constant per kind the project touches.

A `Resource` says everything a client needs to build a URL and everything a controller needs to
describe an object (kind, apiVersion). It does no I/O. Group, version, plural and kind strings match
upstream exactly (Kubernetes and Open Cluster Management), because they are wire names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CORE_GROUP: Final = ""


@dataclass(frozen=True, slots=True)
class Resource:
    """One served resource: ``group/version``, the URL plural, its scope and its kind."""

    group: str
    version: str
    plural: str
    namespaced: bool
    kind: str

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` field of objects of this resource (``v1`` or ``group/version``)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version_path(self) -> str:
        """The URL prefix of the group version: ``/api/v1`` or ``/apis/<group>/<version>``."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(
        self,
        *,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        """The URL path of the collection, of one object, or of one object's subresource.

        ``namespace`` is ignored for cluster-scoped resources. For namespaced ones it is required
        with a ``name``, and optional for the collection (omitted: across all namespaces).
        """
        if subresource is not None and name is None:
            raise ValueError(f"subresource {subresource!r} of {self.plural} needs an object name")
        if name is not None and self.namespaced and not namespace:
            raise ValueError(f"{self.plural} are namespaced: {name!r} needs a namespace")
        parts = [self.group_version_path]
        if self.namespaced and namespace:
            parts += ["namespaces", namespace]
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
        if subresource is not None:
            parts.append(subresource)
        return "/".join(parts)

    def __str__(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


# Kubernetes built-ins (core).
NAMESPACES: Final = Resource(CORE_GROUP, "v1", "namespaces", False, "Namespace")
CONFIGMAPS: Final = Resource(CORE_GROUP, "v1", "configmaps", True, "ConfigMap")
SECRETS: Final = Resource(CORE_GROUP, "v1", "secrets", True, "Secret")
SERVICE_ACCOUNTS: Final = Resource(CORE_GROUP, "v1", "serviceaccounts", True, "ServiceAccount")
SERVICES: Final = Resource(CORE_GROUP, "v1", "services", True, "Service")
PODS: Final = Resource(CORE_GROUP, "v1", "pods", True, "Pod")
NODES: Final = Resource(CORE_GROUP, "v1", "nodes", False, "Node")
EVENTS: Final = Resource(CORE_GROUP, "v1", "events", True, "Event")

# Kubernetes built-ins (named groups).
DEPLOYMENTS: Final = Resource("apps", "v1", "deployments", True, "Deployment")
LEASES: Final = Resource("coordination.k8s.io", "v1", "leases", True, "Lease")
CERTIFICATE_SIGNING_REQUESTS: Final = Resource(
    "certificates.k8s.io", "v1", "certificatesigningrequests", False, "CertificateSigningRequest"
)
ROLES: Final = Resource("rbac.authorization.k8s.io", "v1", "roles", True, "Role")
ROLE_BINDINGS: Final = Resource(
    "rbac.authorization.k8s.io", "v1", "rolebindings", True, "RoleBinding"
)
CLUSTER_ROLES: Final = Resource(
    "rbac.authorization.k8s.io", "v1", "clusterroles", False, "ClusterRole"
)
CLUSTER_ROLE_BINDINGS: Final = Resource(
    "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False, "ClusterRoleBinding"
)
SUBJECT_ACCESS_REVIEWS: Final = Resource(
    "authorization.k8s.io", "v1", "subjectaccessreviews", False, "SubjectAccessReview"
)
TOKEN_REVIEWS: Final = Resource("authentication.k8s.io", "v1", "tokenreviews", False, "TokenReview")
CUSTOM_RESOURCE_DEFINITIONS: Final = Resource(
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", False, "CustomResourceDefinition"
)

# Open Cluster Management: cluster.open-cluster-management.io
CLUSTER_GROUP: Final = "cluster.open-cluster-management.io"
MANAGED_CLUSTERS: Final = Resource(CLUSTER_GROUP, "v1", "managedclusters", False, "ManagedCluster")
MANAGED_CLUSTER_SETS: Final = Resource(
    CLUSTER_GROUP, "v1beta2", "managedclustersets", False, "ManagedClusterSet"
)
MANAGED_CLUSTER_SET_BINDINGS: Final = Resource(
    CLUSTER_GROUP, "v1beta2", "managedclustersetbindings", True, "ManagedClusterSetBinding"
)
PLACEMENTS: Final = Resource(CLUSTER_GROUP, "v1beta1", "placements", True, "Placement")
PLACEMENT_DECISIONS: Final = Resource(
    CLUSTER_GROUP, "v1beta1", "placementdecisions", True, "PlacementDecision"
)
CLUSTER_CLAIMS: Final = Resource(CLUSTER_GROUP, "v1alpha1", "clusterclaims", False, "ClusterClaim")
ADDON_PLACEMENT_SCORES: Final = Resource(
    CLUSTER_GROUP, "v1alpha1", "addonplacementscores", True, "AddOnPlacementScore"
)

# Open Cluster Management: work.open-cluster-management.io
WORK_GROUP: Final = "work.open-cluster-management.io"
MANIFEST_WORKS: Final = Resource(WORK_GROUP, "v1", "manifestworks", True, "ManifestWork")
APPLIED_MANIFEST_WORKS: Final = Resource(
    WORK_GROUP, "v1", "appliedmanifestworks", False, "AppliedManifestWork"
)
MANIFEST_WORK_REPLICA_SETS: Final = Resource(
    WORK_GROUP, "v1alpha1", "manifestworkreplicasets", True, "ManifestWorkReplicaSet"
)

# Open Cluster Management: addon.open-cluster-management.io (controllers use v1beta1).
ADDON_GROUP: Final = "addon.open-cluster-management.io"
CLUSTER_MANAGEMENT_ADDONS: Final = Resource(
    ADDON_GROUP, "v1beta1", "clustermanagementaddons", False, "ClusterManagementAddOn"
)
MANAGED_CLUSTER_ADDONS: Final = Resource(
    ADDON_GROUP, "v1beta1", "managedclusteraddons", True, "ManagedClusterAddOn"
)
ADDON_DEPLOYMENT_CONFIGS: Final = Resource(
    ADDON_GROUP, "v1beta1", "addondeploymentconfigs", True, "AddOnDeploymentConfig"
)
ADDON_TEMPLATES: Final = Resource(ADDON_GROUP, "v1alpha1", "addontemplates", False, "AddOnTemplate")

# cluster-proxy: proxy.open-cluster-management.io
PROXY_GROUP: Final = "proxy.open-cluster-management.io"
MANAGED_PROXY_CONFIGURATIONS: Final = Resource(
    PROXY_GROUP, "v1alpha1", "managedproxyconfigurations", False, "ManagedProxyConfiguration"
)
MANAGED_PROXY_SERVICE_RESOLVERS: Final = Resource(
    PROXY_GROUP, "v1alpha1", "managedproxyserviceresolvers", False, "ManagedProxyServiceResolver"
)
