"""The default RBAC policy the server seeds on first start: a minimal copy of kube's bootstrap.

ClusterRoles `cluster-admin`, `admin`/`edit`/`view` (aggregated, as in kube, from the
`system:aggregate-to-*` roles, so CRD authors can extend them with the same labels),
`system:basic-user`, `system:discovery`, `system:public-info-viewer`,
`system:service-account-issuer-discovery` and `system:auth-delegator`, with kube's default
ClusterRoleBindings. Names, labels and annotations match kube so tooling that looks for them
finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ocm_core.apiserver.auth import rbac
from ocm_core.apiserver.auth import user as users

RBAC_API_VERSION: Final = "rbac.authorization.k8s.io/v1"
BOOTSTRAPPING_LABEL: Final = "kubernetes.io/bootstrapping"
BOOTSTRAPPING_VALUE: Final = "rbac-defaults"
AUTOUPDATE_ANNOTATION: Final = "rbac.authorization.kubernetes.io/autoupdate"
AGGREGATE_TO_ADMIN: Final = "rbac.authorization.k8s.io/aggregate-to-admin"
AGGREGATE_TO_EDIT: Final = "rbac.authorization.k8s.io/aggregate-to-edit"
AGGREGATE_TO_VIEW: Final = "rbac.authorization.k8s.io/aggregate-to-view"

READ: Final = ("get", "list", "watch")
WRITE: Final = ("create", "delete", "deletecollection", "patch", "update")

# Resources users of a namespace read (view) and write (edit), by API group. Like kube since
# CVE-2021-25740, `edit` may not write Endpoints (they could point Services anywhere).
_VIEWABLE: Final = {
    "": (
        "configmaps",
        "endpoints",
        "events",
        "limitranges",
        "namespaces",
        "namespaces/status",
        "persistentvolumeclaims",
        "pods",
        "pods/log",
        "pods/status",
        "replicationcontrollers",
        "resourcequotas",
        "serviceaccounts",
        "services",
    ),
    "apps": (
        "daemonsets",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "replicasets",
        "statefulsets",
    ),
    "batch": ("cronjobs", "jobs"),
    "coordination.k8s.io": ("leases",),
    "discovery.k8s.io": ("endpointslices",),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "policy": ("poddisruptionbudgets",),
}
_EDITABLE: Final = {
    "": (
        "configmaps",
        "events",
        "persistentvolumeclaims",
        "pods",
        "replicationcontrollers",
        "secrets",
        "serviceaccounts",
        "services",
    ),
    "apps": ("daemonsets", "deployments", "deployments/scale", "replicasets", "statefulsets"),
    "batch": ("cronjobs", "jobs"),
    "coordination.k8s.io": ("leases",),
    "discovery.k8s.io": ("endpointslices",),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "policy": ("poddisruptionbudgets",),
}
_DISCOVERY_URLS: Final = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
)
_PUBLIC_INFO_URLS: Final = ("/healthz", "/livez", "/readyz", "/version", "/version/")


def rule(
    verbs: Sequence[str], api_groups: Sequence[str], resources: Sequence[str]
) -> dict[str, Any]:
    """A resource PolicyRule dict."""
    return {"verbs": list(verbs), "apiGroups": list(api_groups), "resources": list(resources)}


def url_rule(verbs: Sequence[str], urls: Sequence[str]) -> dict[str, Any]:
    """A non-resource PolicyRule dict."""
    return {"verbs": list(verbs), "nonResourceURLs": list(urls)}


def cluster_role(
    name: str,
    rules: Sequence[dict[str, Any]] = (),
    *,
    labels: dict[str, str] | None = None,
    aggregate_from: str | None = None,
) -> dict[str, Any]:
    """A bootstrap ClusterRole; `aggregate_from` makes it aggregate roles labelled so."""
    role: dict[str, Any] = {
        "apiVersion": RBAC_API_VERSION,
        "kind": rbac.KIND_CLUSTER_ROLE,
        "metadata": _metadata(name, labels),
        "rules": list(rules),
    }
    if aggregate_from is not None:
        role["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {aggregate_from: "true"}}]
        }
    return role


def cluster_role_binding(name: str, role: str, groups: Sequence[str]) -> dict[str, Any]:
    """A bootstrap ClusterRoleBinding of `role` to `groups`."""
    return {
        "apiVersion": RBAC_API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": _metadata(name, None),
        "roleRef": {"apiGroup": rbac.RBAC_GROUP, "kind": rbac.KIND_CLUSTER_ROLE, "name": role},
        "subjects": [
            {"apiGroup": rbac.RBAC_GROUP, "kind": rbac.KIND_GROUP, "name": group}
            for group in groups
        ],
    }


def _metadata(name: str, labels: dict[str, str] | None) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {BOOTSTRAPPING_LABEL: BOOTSTRAPPING_VALUE, **(labels or {})},
        "annotations": {AUTOUPDATE_ANNOTATION: "true"},
    }


def _grouped_rules(verbs: Sequence[str], table: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    return [rule(verbs, [group], resources) for group, resources in table.items()]


def bootstrap_cluster_roles() -> list[dict[str, Any]]:
    """The default ClusterRoles, aggregated roles not yet filled in (see `bootstrap_policy`)."""
    return [
        cluster_role("cluster-admin", [rule(["*"], ["*"], ["*"]), url_rule(["*"], ["*"])]),
        cluster_role("admin", aggregate_from=AGGREGATE_TO_ADMIN),
        cluster_role("edit", labels={AGGREGATE_TO_ADMIN: "true"}, aggregate_from=AGGREGATE_TO_EDIT),
        cluster_role("view", labels={AGGREGATE_TO_EDIT: "true"}, aggregate_from=AGGREGATE_TO_VIEW),
        cluster_role(
            "system:aggregate-to-admin",
            [
                rule(READ + WRITE, [rbac.RBAC_GROUP], ["rolebindings", "roles"]),
                rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            ],
            labels={AGGREGATE_TO_ADMIN: "true"},
        ),
        cluster_role(
            "system:aggregate-to-edit",
            [
                *_grouped_rules(WRITE, _EDITABLE),
                rule(["impersonate"], [""], ["serviceaccounts"]),
                rule(["create"], [""], ["serviceaccounts/token"]),
                rule(READ, [""], ["secrets"]),
            ],
            labels={AGGREGATE_TO_EDIT: "true"},
        ),
        cluster_role(
            "system:aggregate-to-view",
            _grouped_rules(READ, _VIEWABLE),
            labels={AGGREGATE_TO_VIEW: "true"},
        ),
        cluster_role(
            "system:basic-user",
            [
                rule(
                    ["create"],
                    ["authorization.k8s.io"],
                    ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
            ],
        ),
        cluster_role("system:discovery", [url_rule(["get"], _DISCOVERY_URLS)]),
        cluster_role("system:public-info-viewer", [url_rule(["get"], _PUBLIC_INFO_URLS)]),
        cluster_role(
            "system:service-account-issuer-discovery",
            [url_rule(["get"], ["/.well-known/openid-configuration", "/openid/v1/jwks"])],
        ),
        cluster_role(
            "system:auth-delegator",
            [
                rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            ],
        ),
    ]


def bootstrap_cluster_role_bindings() -> list[dict[str, Any]]:
    """kube's default bindings: admins, discovery, basic-user and public info."""
    return [
        cluster_role_binding("cluster-admin", "cluster-admin", [users.SYSTEM_MASTERS]),
        cluster_role_binding(
            "system:basic-user", "system:basic-user", [users.SYSTEM_AUTHENTICATED]
        ),
        cluster_role_binding("system:discovery", "system:discovery", [users.SYSTEM_AUTHENTICATED]),
        cluster_role_binding(
            "system:service-account-issuer-discovery",
            "system:service-account-issuer-discovery",
            [users.SERVICE_ACCOUNTS_GROUP],
        ),
        cluster_role_binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            [users.SYSTEM_AUTHENTICATED, users.SYSTEM_UNAUTHENTICATED],
        ),
    ]


def bootstrap_policy() -> list[dict[str, Any]]:
    """Every object to seed, ClusterRoles first, aggregated roles' rules computed."""
    return [
        *rbac.aggregate_cluster_roles(bootstrap_cluster_roles()),
        *bootstrap_cluster_role_bindings(),
    ]
