"""Hub permissions of an add-on agent (upstream's default PermissionConfig, reduced to leases).

A kubeClient registration gives the agent a hub identity; this Role and RoleBinding in the
cluster namespace let that identity (the add-on group of the cluster, or the token driver's
ServiceAccount) keep its Lease there, which is the hub-side health signal the lease controller
reads.
"""

from __future__ import annotations

from typing import Any

from ocm_core.addon.controllers.tokeninfra import ensure_object
from ocm_core.api import addon, gvr
from ocm_core.kube.protocol import KubeApi

Object = dict[str, Any]
RBAC_GROUP = "rbac.authorization.k8s.io"


def agent_role_name(addon_name: str) -> str:
    return f"open-cluster-management:{addon_name}:agent"


def agent_permission_objects(addon_name: str, cluster: str) -> tuple[Object, Object]:
    name = agent_role_name(addon_name)
    meta = {"name": name, "namespace": cluster, "labels": {addon.ADDON_NAME_LABEL: addon_name}}
    role: Object = {
        "metadata": meta,
        "rules": [
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "list", "watch", "create", "update", "patch"],
            }
        ],
    }
    binding: Object = {
        "metadata": dict(meta),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": name},
        "subjects": [
            {
                "apiGroup": RBAC_GROUP,
                "kind": "Group",
                "name": addon.default_agent_group(cluster, addon_name),
            },
            {
                "kind": "ServiceAccount",
                "name": addon.token_service_account_name(addon_name),
                "namespace": cluster,
            },
        ],
    }
    return role, binding


async def ensure_agent_permissions(api: KubeApi, addon_name: str, cluster: str) -> None:
    role, binding = agent_permission_objects(addon_name, cluster)
    await ensure_object(api, gvr.ROLES, role)
    await ensure_object(api, gvr.ROLE_BINDINGS, binding)
