"""The per-cluster hub RBAC as plain objects (pure): what a cluster's agents may touch on the hub.

Each cluster's identity (groups ``system:open-cluster-management:<c>`` and
``open-cluster-management:<c>``) is limited to its own ManagedCluster, its own status, the
Lease and add-ons in its own namespace, and CSRs. Accepted and not-accepted clusters get
different ClusterRoles (``specs/ocm-apis.md`` §1.4).
"""

from __future__ import annotations

from typing import Any

from ocm_core.api import gvr
from ocm_core.registration import names

Object = dict[str, Any]


def _rule(groups: list[str], resources: list[str], verbs: list[str], **extra: Any) -> Object:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **extra}


def _subjects(cluster: str) -> list[Object]:
    return [
        {"kind": "Group", "apiGroup": names.RBAC_GROUP, "name": names.cluster_group(cluster)},
        {"kind": "Group", "apiGroup": names.RBAC_GROUP, "name": names.cluster_token_group(cluster)},
    ]


def _metadata(name: str, cluster: str, namespace: str | None = None) -> Object:
    metadata: Object = {"name": name, "labels": {names.CLUSTER_NAME_LABEL: cluster}}
    if namespace:
        metadata["namespace"] = namespace
    return metadata


def cluster_role(cluster: str, *, accepted: bool) -> Object:
    """``open-cluster-management:managedcluster:<cluster>``: own ManagedCluster only."""
    own = [cluster]
    group = gvr.CLUSTER_GROUP
    if accepted:
        rules = [
            _rule(
                ["certificates.k8s.io"],
                ["certificatesigningrequests"],
                ["create", "get", "list", "watch"],
            ),
            _rule(
                ["register.open-cluster-management.io"],
                ["managedclusters/clientcertificates"],
                ["renew"],
            ),
            _rule(
                [group], ["managedclusters"], ["get", "list", "update", "watch"], resourceNames=own
            ),
            _rule([group], ["managedclusters/status"], ["patch", "update"], resourceNames=own),
        ]
    else:
        rules = [_rule([group], ["managedclusters"], ["get", "list", "watch"], resourceNames=own)]
    return {
        "apiVersion": gvr.CLUSTER_ROLES.api_version,
        "kind": gvr.CLUSTER_ROLES.kind,
        "metadata": _metadata(names.cluster_role_name(cluster), cluster),
        "rules": rules,
    }


def cluster_role_binding(cluster: str) -> Object:
    name = names.cluster_role_name(cluster)
    return {
        "apiVersion": gvr.CLUSTER_ROLE_BINDINGS.api_version,
        "kind": gvr.CLUSTER_ROLE_BINDINGS.kind,
        "metadata": _metadata(name, cluster),
        "roleRef": {"apiGroup": names.RBAC_GROUP, "kind": "ClusterRole", "name": name},
        "subjects": _subjects(cluster),
    }


def _role_binding(cluster: str, name: str, role: str, finalizers: list[str]) -> Object:
    metadata = _metadata(name, cluster, namespace=cluster)
    if finalizers:
        metadata["finalizers"] = finalizers
    return {
        "apiVersion": gvr.ROLE_BINDINGS.api_version,
        "kind": gvr.ROLE_BINDINGS.kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": names.RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": _subjects(cluster),
    }


def registration_role_binding(cluster: str) -> Object:
    return _role_binding(
        cluster, names.registration_binding_name(cluster), names.REGISTRATION_ROLE, []
    )


def work_role_binding(cluster: str) -> Object:
    """Carries the work-cleanup finalizer: the agent keeps its rights until its works are gone."""
    return _role_binding(
        cluster,
        names.work_binding_name(cluster),
        names.WORK_ROLE,
        [names.WORK_CLEANUP_FINALIZER],
    )


def shared_cluster_roles() -> list[Object]:
    """The ClusterRoles every cluster's RoleBindings point at, and the bootstrap role."""
    events = _rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"])
    return [
        _shared(
            names.REGISTRATION_ROLE,
            [
                _rule(["coordination.k8s.io"], ["leases"], ["get", "list", "watch", "update"]),
                _rule([gvr.ADDON_GROUP], ["managedclusteraddons"], ["get", "list", "watch"]),
                _rule([gvr.ADDON_GROUP], ["managedclusteraddons/status"], ["patch", "update"]),
                events,
            ],
        ),
        _shared(
            names.WORK_ROLE,
            [
                _rule(
                    [gvr.WORK_GROUP],
                    ["manifestworks"],
                    ["get", "list", "watch", "update", "patch"],
                ),
                _rule([gvr.WORK_GROUP], ["manifestworks/status"], ["patch", "update"]),
                events,
            ],
        ),
        _shared(
            names.BOOTSTRAP_ROLE,
            [
                _rule([""], ["configmaps"], ["get"]),
                _rule(
                    ["certificates.k8s.io"],
                    ["certificatesigningrequests"],
                    ["create", "get", "list", "watch"],
                ),
                _rule([gvr.CLUSTER_GROUP], ["managedclusters"], ["get", "create", "list", "watch"]),
                _rule([gvr.CLUSTER_GROUP], ["managedclustersets/join"], ["create"]),
            ],
        ),
    ]


def bootstrap_role_binding() -> Object:
    """Binds bootstrap-token users (group ``system:bootstrappers:managedcluster``)."""
    return {
        "apiVersion": gvr.CLUSTER_ROLE_BINDINGS.api_version,
        "kind": gvr.CLUSTER_ROLE_BINDINGS.kind,
        "metadata": {"name": names.BOOTSTRAP_ROLE},
        "roleRef": {
            "apiGroup": names.RBAC_GROUP,
            "kind": "ClusterRole",
            "name": names.BOOTSTRAP_ROLE,
        },
        "subjects": [
            {"kind": "Group", "apiGroup": names.RBAC_GROUP, "name": names.BOOTSTRAP_GROUP}
        ],
    }


def _shared(name: str, rules: list[Object]) -> Object:
    return {
        "apiVersion": gvr.CLUSTER_ROLES.api_version,
        "kind": gvr.CLUSTER_ROLES.kind,
        "metadata": {"name": name},
        "rules": rules,
    }
