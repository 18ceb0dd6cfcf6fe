"""Restarts and outages: the spoke API server, the agent, the hub."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import ApiClient, errors
from tests.integration.work.conftest import (
    HUB_CRDS,
    SPOKE_CRDS,
    AgentFactory,
    Servers,
    config_of,
    create_namespace,
    start_server,
    stop_agent,
)
from tests.support.apiserver_process import ApiServerProcess
from tests.support.wait import eventually
from tests.support.work_builders import condition_status, configmap, manifest_work

MANY = 25


async def _get(api: ApiClient, resource: Resource, name: str, namespace: str | None) -> Any:
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        return None


@pytest.fixture
def own_spoke(tmp_path: Path) -> Iterator[ApiServerProcess]:
    server = start_server(tmp_path, "spoke", SPOKE_CRDS)
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
def own_hub(tmp_path: Path) -> Iterator[ApiServerProcess]:
    server = start_server(tmp_path, "hub", HUB_CRDS)
    yield server
    server.stop(signal.SIGKILL)


async def _applied_work(spoke: ApiClient, work_name: str) -> list[Any]:
    items = (await spoke.list(gvr.APPLIED_MANIFEST_WORKS))["items"]
    return [a for a in items if a["spec"]["manifestWorkName"] == work_name]


async def _wait_condition(hub: ApiClient, cluster: str, name: str, kind: str) -> None:
    async def true() -> bool:
        mw = await _get(hub, gvr.MANIFEST_WORKS, name, cluster)
        return mw is not None and condition_status(mw, kind) == "True"

    await eventually(true, what=f"{name} {kind}=True", timeout=30.0)


async def _assert_recorded_exactly(spoke: ApiClient, work_name: str, names: set[str]) -> None:
    [applied] = await _applied_work(spoke, work_name)
    records = applied["status"]["appliedResources"]
    assert {r["name"] for r in records} == names
    assert len(records) == len(names)
    for record in records:
        live = await spoke.get(gvr.CONFIGMAPS, record["name"], namespace=record["namespace"])
        assert live["metadata"]["uid"] == record["uid"]


async def test_spoke_api_server_restarted_mid_apply(
    servers: Servers, hub: ApiClient, cluster: str, own_spoke: ApiServerProcess,
    start_agent: AgentFactory,
) -> None:  # fmt: skip
    async with ApiClient(config_of(own_spoke)) as spoke:
        await create_namespace(spoke, cluster)
        await start_agent(cluster, spoke=own_spoke)
        names = {f"cm{i}" for i in range(MANY)}
        await hub.create(
            gvr.MANIFEST_WORKS,
            manifest_work("many", cluster, [configmap(n, cluster) for n in sorted(names)]),
        )

        async def started() -> bool:
            return bool((await spoke.list(gvr.CONFIGMAPS, namespace=cluster))["items"])

        await eventually(started, what="the first ConfigMap on the spoke")
        own_spoke.restart(signal.SIGKILL)
        await _wait_condition(hub, cluster, "many", work.CONDITION_APPLIED)
        await _wait_condition(hub, cluster, "many", work.CONDITION_AVAILABLE)
        await _assert_recorded_exactly(spoke, "many", names)


async def test_agent_restart_applies_nothing_twice_and_orphans_nothing(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    agent = await start_agent(cluster)
    manifests = [configmap(f"r{i}", cluster, v=str(i)) for i in range(3)]
    await hub.create(gvr.MANIFEST_WORKS, manifest_work("restart", cluster, manifests))
    await _wait_condition(hub, cluster, "restart", work.CONDITION_AVAILABLE)
    before = {
        m["metadata"]["name"]: (
            await spoke.get(gvr.CONFIGMAPS, m["metadata"]["name"], namespace=cluster)
        )["metadata"]["resourceVersion"]
        for m in manifests
    }
    await stop_agent(agent)

    await start_agent(cluster)
    mw = await hub.get(gvr.MANIFEST_WORKS, "restart", namespace=cluster)
    mw["spec"]["workload"]["manifests"] = [*manifests, configmap("r3", cluster)]
    await hub.replace(gvr.MANIFEST_WORKS, mw)

    async def added() -> bool:
        return await _get(spoke, gvr.CONFIGMAPS, "r3", cluster) is not None

    await eventually(added, what="the new manifest applied by the restarted agent")
    for name, version in before.items():
        live = await spoke.get(gvr.CONFIGMAPS, name, namespace=cluster)
        assert live["metadata"]["resourceVersion"] == version, f"{name} was written again"
    await eventually(
        lambda: _recorded(spoke, "restart", 4), what="four resources recorded once each"
    )
    await _assert_recorded_exactly(spoke, "restart", {"r0", "r1", "r2", "r3"})


async def _recorded(spoke: ApiClient, work_name: str, count: int) -> bool:
    found = await _applied_work(spoke, work_name)
    return len(found) == 1 and len(found[0].get("status", {}).get("appliedResources", [])) == count


async def test_hub_unreachable_agent_keeps_state_and_resyncs(
    servers: Servers, spoke: ApiClient, own_hub: ApiServerProcess, start_agent: AgentFactory
) -> None:
    cluster = "outage"
    async with ApiClient(config_of(own_hub)) as hub:
        await create_namespace(hub, cluster)
        await create_namespace(spoke, cluster)
        await start_agent(cluster, hub=own_hub)
        await hub.create(
            gvr.MANIFEST_WORKS, manifest_work("kept", cluster, [configmap("kept", cluster)])
        )
        await _wait_condition(hub, cluster, "kept", work.CONDITION_APPLIED)

        own_hub.stop(signal.SIGKILL)
        # With the hub gone the agent still holds the work: drift on the spoke is repaired.
        await spoke.delete(gvr.CONFIGMAPS, "kept", namespace=cluster)

        async def repaired() -> bool:
            return await _get(spoke, gvr.CONFIGMAPS, "kept", cluster) is not None

        await eventually(repaired, what="the ConfigMap re-created while the hub is down")

        own_hub.start()
        mw = await hub.get(gvr.MANIFEST_WORKS, "kept", namespace=cluster)
        mw["spec"]["workload"]["manifests"].append(configmap("after", cluster))
        await hub.replace(gvr.MANIFEST_WORKS, mw)

        async def resynced() -> bool:
            return await _get(spoke, gvr.CONFIGMAPS, "after", cluster) is not None

        await eventually(resynced, what="a change made after the outage applied", timeout=40.0)
        await _wait_condition(hub, cluster, "kept", work.CONDITION_AVAILABLE)
