"""Create, update and delete ManifestWorks against real hub and spoke API servers."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.api import gvr, work
from ocm_core.kube import ApiClient, errors
from tests.integration.work.conftest import AgentFactory
from tests.support.wait import eventually
from tests.support.work_builders import condition_status, configmap, manifest_work


async def _get(api: ApiClient, resource: Any, name: str, namespace: str | None) -> Any:
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        return None


async def _work_condition(hub: ApiClient, cluster: str, name: str, kind: str) -> str | None:
    obj = await _get(hub, gvr.MANIFEST_WORKS, name, cluster)
    return None if obj is None else condition_status(obj, kind)


async def test_configmap_is_applied_updated_and_deleted(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await start_agent(cluster)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work("cm", cluster, [configmap("cm1", cluster, a="1"), configmap("cm2", cluster)]),
    )

    async def applied_and_available() -> bool:
        return (
            await _work_condition(hub, cluster, "cm", work.CONDITION_APPLIED) == "True"
            and await _work_condition(hub, cluster, "cm", work.CONDITION_AVAILABLE) == "True"
        )

    await eventually(applied_and_available, what="work Applied and Available")
    cm1 = await spoke.get(gvr.CONFIGMAPS, "cm1", namespace=cluster)
    assert cm1["data"] == {"a": "1"}
    [owner] = cm1["metadata"]["ownerReferences"]
    assert owner["kind"] == "AppliedManifestWork"
    assert owner["name"].endswith("-cm")

    mw = await hub.get(gvr.MANIFEST_WORKS, "cm", namespace=cluster)
    assert work.MANIFEST_WORK_FINALIZER in mw["metadata"]["finalizers"]
    mw["spec"]["workload"]["manifests"] = [configmap("cm1", cluster, a="2")]
    await hub.replace(gvr.MANIFEST_WORKS, mw)

    async def updated() -> bool:
        cm = await _get(spoke, gvr.CONFIGMAPS, "cm1", cluster)
        gone = await _get(spoke, gvr.CONFIGMAPS, "cm2", cluster)
        return cm is not None and cm["data"] == {"a": "2"} and gone is None

    await eventually(updated, what="cm1 updated and cm2 removed")

    await hub.delete(gvr.MANIFEST_WORKS, "cm", namespace=cluster)

    async def cleaned_up() -> bool:
        return (
            await _get(hub, gvr.MANIFEST_WORKS, "cm", cluster) is None
            and await _get(spoke, gvr.CONFIGMAPS, "cm1", cluster) is None
        )

    await eventually(cleaned_up, what="work and its ConfigMap deleted")
    applied = await spoke.list(gvr.APPLIED_MANIFEST_WORKS)
    assert not [a for a in applied["items"] if a["spec"]["manifestWorkName"] == "cm"]


async def test_the_hub_refuses_invalid_works_with_422(hub: ApiClient, cluster: str) -> None:
    no_kind = {"apiVersion": "v1", "metadata": {"name": "x", "namespace": cluster}}
    with pytest.raises(errors.InvalidError) as caught:
        await hub.create(gvr.MANIFEST_WORKS, manifest_work("bad", cluster, [no_kind]))
    assert caught.value.code == 422
    assert caught.value.message == (
        'ManifestWork "bad" is invalid: spec.workload.manifests[0].kind: '
        "Required value: every manifest needs one"
    )
    executor = {"subject": {"type": "Group", "group": {"name": "admins"}}}
    with pytest.raises(errors.InvalidError, match=r"spec\.executor\.subject\.type"):
        await hub.create(
            gvr.MANIFEST_WORKS,
            manifest_work("bad2", cluster, [configmap("a", cluster)], executor=executor),
        )
    valid = await hub.create(
        gvr.MANIFEST_WORKS, manifest_work("ok", cluster, [configmap("a", cluster)])
    )
    valid["spec"]["workload"]["manifests"] = []
    with pytest.raises(errors.InvalidError, match="at least one manifest"):
        await hub.replace(gvr.MANIFEST_WORKS, valid)
    big = configmap("big", cluster, blob="x" * (600 * 1024))
    with pytest.raises(errors.InvalidError, match="more than the limit of 512000 bytes"):
        await hub.create(gvr.MANIFEST_WORKS, manifest_work("big", cluster, [big]))
