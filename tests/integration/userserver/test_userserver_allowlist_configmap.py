"""The exposed-services ConfigMap read from a real hub API server (`ocm apiserver`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from ocm_core.kube import ApiClient, KubeConfig
from proxy_server.userserver.allowlist import DEFAULT_CONFIGMAP, AllowListWatcher, configmap_loader
from tests.support.apiserver_process import ApiServerProcess

PATH = f"/api/v1/namespaces/default/configmaps/{DEFAULT_CONFIGMAP}"


@pytest_asyncio.fixture
async def hub(tmp_path: Path) -> AsyncIterator[ApiClient]:
    server = ApiServerProcess(tmp_path)
    await asyncio.to_thread(server.start)
    client = ApiClient(KubeConfig.from_kubeconfig(server.kubeconfig))
    yield client
    await client.close()
    await asyncio.to_thread(server.stop)


def _configmap(value: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": DEFAULT_CONFIGMAP, "namespace": "default"},
        "data": {"shop": value},
    }


async def test_configmap_changes_reach_the_allow_list(hub: ApiClient) -> None:
    watcher = AllowListWatcher(configmap_loader(hub, "default", DEFAULT_CONFIGMAP))
    await watcher.refresh()
    assert watcher.loaded  # a missing ConfigMap is a (deny-all) list, not an error
    assert not watcher.current.allows("shop", "web", 80, "http")

    await hub.request(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        body=_configmap("- {namespace: shop, service: web, port: 80}"),
    )
    await watcher.refresh()
    assert watcher.current.allows("shop", "web", 80, "http")

    await hub.request("PUT", PATH, body=_configmap("- {namespace: shop}"))
    await watcher.refresh()  # a broken list keeps the last good one
    assert watcher.current.allows("shop", "web", 80, "http")

    await hub.request("DELETE", PATH)
    await watcher.refresh()  # deleted: deny everything (upstream parity)
    assert not watcher.current.allows("shop", "web", 80, "http")
