"""Executors: manifests written as a ServiceAccount, checked with SubjectAccessReviews first."""

from __future__ import annotations

from ocm_core.api import gvr, work
from ocm_core.kube import ApiClient, errors
from tests.integration.work.conftest import AgentFactory
from tests.support.wait import eventually
from tests.support.work_builders import (
    condition_status,
    configmap,
    manifest_condition,
    manifest_work,
)

CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "work-escalation"},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}


def _executor(namespace: str, name: str) -> dict[str, object]:
    return {
        "subject": {
            "type": work.EXECUTOR_SUBJECT_SERVICE_ACCOUNT,
            "serviceAccount": {"namespace": namespace, "name": name},
        }
    }


async def _grant_configmaps(spoke: ApiClient, namespace: str, account: str) -> None:
    await spoke.create(
        gvr.SERVICE_ACCOUNTS, {"metadata": {"name": account, "namespace": namespace}}
    )
    await spoke.create(
        gvr.ROLES,
        {
            "metadata": {"name": "configmaps", "namespace": namespace},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}],
        },
    )
    await spoke.create(
        gvr.ROLE_BINDINGS,
        {
            "metadata": {"name": "configmaps", "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "configmaps",
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    )


async def _applied_status(hub: ApiClient, cluster: str, name: str) -> str | None:
    mw = await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)
    return condition_status(mw, work.CONDITION_APPLIED)


async def _cluster_role_exists(spoke: ApiClient) -> bool:
    try:
        await spoke.get(gvr.CLUSTER_ROLES, "work-escalation")
    except errors.NotFoundError:
        return False
    return True


async def test_executor_refusal_fails_closed(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    """Whatever the reason the rights cannot be confirmed, nothing is written."""
    await _grant_configmaps(spoke, cluster, "limited")
    await start_agent(cluster)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work("esc", cluster, [CLUSTER_ROLE], executor=_executor(cluster, "limited")),
    )

    async def refused() -> bool:
        return await _applied_status(hub, cluster, "esc") == "False"

    await eventually(refused, what="work Applied=False")
    mw = await hub.get(gvr.MANIFEST_WORKS, "esc", namespace=cluster)
    found = manifest_condition(mw, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert "not allowed" in found["message"]
    assert f"ServiceAccount {cluster}/limited" in found["message"]
    assert not await _cluster_role_exists(spoke)


async def test_executor_without_rights_cannot_create_a_cluster_role(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await _grant_configmaps(spoke, cluster, "limited2")
    await start_agent(cluster)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work("esc2", cluster, [CLUSTER_ROLE], executor=_executor(cluster, "limited2")),
    )

    async def refused() -> bool:
        return await _applied_status(hub, cluster, "esc2") == "False"

    await eventually(refused, what="work Applied=False")
    mw = await hub.get(gvr.MANIFEST_WORKS, "esc2", namespace=cluster)
    found = manifest_condition(mw, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert (
        "cannot get clusterroles" in found["message"]
        or "cannot create clusterroles" in (found["message"])
    )


async def test_executor_with_rights_applies(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await _grant_configmaps(spoke, cluster, "deployer")
    await start_agent(cluster)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "allowed", cluster, [configmap("by-sa", cluster)],
            executor=_executor(cluster, "deployer"),
        ),
    )  # fmt: skip

    async def applied() -> bool:
        return await _applied_status(hub, cluster, "allowed") == "True"

    await eventually(applied, what="work Applied=True", timeout=5.0)
    assert (await spoke.get(gvr.CONFIGMAPS, "by-sa", namespace=cluster))["metadata"]["name"]
