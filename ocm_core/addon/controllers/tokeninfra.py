"""Token registration infrastructure on the hub (upstream's addontokeninfra controller).

For an add-on using the token driver, the cluster namespace gets the ServiceAccount
`<addon>-agent`, and a Role and RoleBinding `<addon>-token-role` that let the cluster's agents
(groups `system:open-cluster-management:<cluster>` and `system:open-cluster-management:cluster:
<cluster>:addon:<addon>`) create tokens for it (`serviceaccounts/token`). The spoke then asks
TokenRequest for short-lived tokens of that account (`ocm_core.addon.spoke`).
"""

from __future__ import annotations

from typing import Any

from ocm_core.api import addon, gvr
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi

Object = dict[str, Any]


def _labels(addon_name: str) -> dict[str, str]:
    return {addon.TOKEN_INFRA_ADDON_LABEL: addon_name, addon.TOKEN_INFRA_LABEL: "true"}


def token_objects(addon_name: str, cluster: str) -> tuple[Object, Object, Object]:
    """The ServiceAccount, Role and RoleBinding of token registration."""
    account = addon.token_service_account_name(addon_name)
    role = addon.token_role_name(addon_name)
    meta = {"namespace": cluster, "labels": _labels(addon_name)}
    service_account: Object = {"metadata": {"name": account, **meta}}
    role_body: Object = {
        "metadata": {"name": role, **meta},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts/token"],
                "resourceNames": [account],
                "verbs": ["create"],
            },
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts"],
                "resourceNames": [account],
                "verbs": ["get"],
            },
        ],
    }
    binding: Object = {
        "metadata": {"name": role, **meta},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [
            {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Group",
                "name": f"system:open-cluster-management:{cluster}",
            },
            {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Group",
                "name": addon.default_agent_group(cluster, addon_name),
            },
        ],
    }
    return service_account, role_body, binding


async def ensure_token_infrastructure(api: KubeApi, addon_name: str, cluster: str) -> Object:
    """Create what is missing; returns the ServiceAccount (its UID goes into the condition)."""
    service_account, role, binding = token_objects(addon_name, cluster)
    created = await ensure_object(api, gvr.SERVICE_ACCOUNTS, service_account)
    await ensure_object(api, gvr.ROLES, role)
    await ensure_object(api, gvr.ROLE_BINDINGS, binding)
    return created


async def ensure_object(api: KubeApi, resource: Resource, body: Object) -> Object:
    """The object named like `body`, created from it when missing (never overwritten)."""
    name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        pass
    try:
        return await api.create(resource, body, namespace=namespace)
    except errors.AlreadyExistsError:
        return await api.get(resource, name, namespace=namespace)
