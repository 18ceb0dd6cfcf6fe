"""Update strategies, delete options and executors against real API servers."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import ApiClient, PatchType, errors
from tests.integration.work.conftest import AgentFactory, Servers, config_of
from tests.support.wait import eventually
from tests.support.work_builders import (
    condition_status,
    configmap,
    manifest_condition,
    manifest_config,
    manifest_work,
    resource_identifier,
)


async def _get(api: ApiClient, resource: Resource, name: str, namespace: str | None) -> Any:
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        return None


def _strategy(name: str, namespace: str, kind: str, **extra: Any) -> dict[str, Any]:
    return manifest_config(
        resource_identifier("configmaps", name, namespace),
        updateStrategy={"type": kind, **extra},
    )


async def _wait_applied(hub: ApiClient, cluster: str, name: str, status: str = "True") -> Any:
    async def done() -> bool:
        mw = await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)
        return condition_status(mw, work.CONDITION_APPLIED) == status

    await eventually(done, what=f"{name} Applied={status}")
    return await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)


async def _change_manifests(hub: ApiClient, cluster: str, name: str, manifests: list[Any]) -> None:
    mw = await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)
    mw["spec"]["workload"]["manifests"] = manifests
    await hub.replace(gvr.MANIFEST_WORKS, mw)


async def _observed(hub: ApiClient, cluster: str, name: str) -> None:
    """Wait until the agent reported on the work's latest generation."""

    async def caught_up() -> bool:
        mw = await hub.get(gvr.MANIFEST_WORKS, name, namespace=cluster)
        applied = [c for c in mw.get("status", {}).get("conditions", []) if c["type"] == "Applied"]
        return (
            bool(applied) and applied[0].get("observedGeneration") == mw["metadata"]["generation"]
        )

    await eventually(caught_up, what=f"{name} status at the latest generation")


async def test_create_only_never_overwrites(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await start_agent(cluster)
    config = _strategy("once", cluster, work.UPDATE_STRATEGY_CREATE_ONLY)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "once", cluster, [configmap("once", cluster, v="1")], manifestConfigs=[config]
        ),
    )
    await _wait_applied(hub, cluster, "once")
    await _change_manifests(hub, cluster, "once", [configmap("once", cluster, v="2")])
    await _observed(hub, cluster, "once")
    assert (await spoke.get(gvr.CONFIGMAPS, "once", namespace=cluster))["data"] == {"v": "1"}


async def test_read_only_reads_without_writing(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await spoke.create(gvr.CONFIGMAPS, configmap("existing", cluster, owner="spoke"))
    await start_agent(cluster)
    config = manifest_config(
        resource_identifier("configmaps", "existing", cluster),
        updateStrategy={"type": work.UPDATE_STRATEGY_READ_ONLY},
        feedbackRules=[
            {
                "type": work.FEEDBACK_JSON_PATHS,
                "jsonPaths": [{"name": "owner", "path": ".data.owner"}],
            }
        ],
    )
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "ro", cluster, [configmap("existing", cluster, owner="hub")], manifestConfigs=[config]
        ),
    )
    mw = await _wait_applied(hub, cluster, "ro")
    values = mw["status"]["resourceStatus"]["manifests"][0]["statusFeedback"]["values"]
    assert values == [{"name": "owner", "fieldValue": {"type": "String", "string": "spoke"}}]
    live = await spoke.get(gvr.CONFIGMAPS, "existing", namespace=cluster)
    assert live["data"] == {"owner": "spoke"}
    assert "ownerReferences" not in live["metadata"]
    await hub.delete(gvr.MANIFEST_WORKS, "ro", namespace=cluster)
    await eventually(lambda: _gone(hub, gvr.MANIFEST_WORKS, "ro", cluster), what="work deleted")
    assert await _get(spoke, gvr.CONFIGMAPS, "existing", cluster) is not None


async def _gone(api: ApiClient, resource: Resource, name: str, namespace: str | None) -> bool:
    return await _get(api, resource, name, namespace) is None


async def test_server_side_apply_uses_the_field_manager(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await start_agent(cluster)
    config = _strategy(
        "ssa", cluster, work.UPDATE_STRATEGY_SERVER_SIDE_APPLY,
        serverSideApply={"fieldManager": "work-agent-test", "force": False},
    )  # fmt: skip
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work("ssa", cluster, [configmap("ssa", cluster, k="v")], manifestConfigs=[config]),
    )
    await _wait_applied(hub, cluster, "ssa")
    live = await spoke.get(gvr.CONFIGMAPS, "ssa", namespace=cluster)
    assert live["data"] == {"k": "v"}
    managers = {m["manager"] for m in live["metadata"]["managedFields"]}
    assert "work-agent-test" in managers


async def test_server_side_apply_with_a_foreign_field_manager_is_refused_by_the_hub(
    hub: ApiClient, cluster: str
) -> None:
    config = _strategy(
        "bad", cluster, work.UPDATE_STRATEGY_SERVER_SIDE_APPLY,
        serverSideApply={"fieldManager": "kubectl"},
    )  # fmt: skip
    with pytest.raises(errors.InvalidError, match='must start with "work-agent"'):
        await hub.create(
            gvr.MANIFEST_WORKS,
            manifest_work("badssa", cluster, [configmap("bad", cluster)], manifestConfigs=[config]),
        )


async def test_server_side_apply_conflict_is_reported(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await spoke.patch(
        gvr.CONFIGMAPS, "contested", configmap("contested", cluster, k="theirs"),
        namespace=cluster, patch_type=PatchType.APPLY,
        field_manager="someone-else",
    )  # fmt: skip
    await start_agent(cluster)
    config = _strategy("contested", cluster, work.UPDATE_STRATEGY_SERVER_SIDE_APPLY)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "contested",
            cluster,
            [configmap("contested", cluster, k="ours")],
            manifestConfigs=[config],
        ),
    )
    mw = await _wait_applied(hub, cluster, "contested", "False")
    found = manifest_condition(mw, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert "conflict" in found["message"]


@pytest.mark.parametrize(
    ("option", "orphaned"),
    [
        ({"propagationPolicy": work.PROPAGATION_ORPHAN}, {"keep-a", "keep-b"}),
        (
            {
                "propagationPolicy": work.PROPAGATION_SELECTIVELY_ORPHAN,
                "selectivelyOrphans": {
                    "orphaningRules": [
                        {"group": "", "resource": "configmaps", "name": "keep-a", "namespace": "NS"}
                    ]
                },
            },
            {"keep-a"},
        ),
    ],
    ids=["Orphan", "SelectivelyOrphan"],
)
async def test_delete_options_leave_orphans_behind(
    hub: ApiClient,
    spoke: ApiClient,
    cluster: str,
    start_agent: AgentFactory,
    option: dict[str, Any],
    orphaned: set[str],
) -> None:
    await start_agent(cluster)
    option = _namespaced(option, cluster)
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "orphans", cluster,
            [configmap("keep-a", cluster), configmap("keep-b", cluster)],
            deleteOption=option,
        ),
    )  # fmt: skip
    await _wait_applied(hub, cluster, "orphans")
    await hub.delete(gvr.MANIFEST_WORKS, "orphans", namespace=cluster)
    await eventually(lambda: _gone(hub, gvr.MANIFEST_WORKS, "orphans", cluster), what="deleted")
    left = set()
    for name in ("keep-a", "keep-b"):
        live = await _get(spoke, gvr.CONFIGMAPS, name, cluster)
        if live is not None:
            left.add(name)
            assert not live["metadata"].get("ownerReferences"), "orphans lose our ownerRef"
    assert left == orphaned


def _namespaced(option: dict[str, Any], namespace: str) -> dict[str, Any]:
    rules = (option.get("selectivelyOrphans") or {}).get("orphaningRules") or []
    for rule in rules:
        rule["namespace"] = namespace
    return option


async def test_two_spokes_get_only_their_own_works(
    servers: Servers, hub: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    other = f"{cluster}-b"
    await hub.create(gvr.NAMESPACES, {"metadata": {"name": other}})
    async with ApiClient(config_of(servers.spokes[1])) as spoke2:
        await spoke2.create(gvr.NAMESPACES, {"metadata": {"name": other}})
        await start_agent(cluster)
        await start_agent(other, spoke=servers.spokes[1])
        await hub.create(
            gvr.MANIFEST_WORKS, manifest_work("w", cluster, [configmap("mine", cluster)])
        )
        await hub.create(gvr.MANIFEST_WORKS, manifest_work("w", other, [configmap("mine", other)]))
        await _wait_applied(hub, cluster, "w")
        await _wait_applied(hub, other, "w")
        assert await _get(spoke2, gvr.CONFIGMAPS, "mine", other) is not None
        assert await _get(spoke2, gvr.CONFIGMAPS, "mine", cluster) is None
