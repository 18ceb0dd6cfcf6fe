"""`ocm hub --enable-cluster-proxy` on a fresh embedded hub installs the cluster-proxy CRDs and
runs the add-on manager: a ManagedProxyConfiguration gets its CA, certificates and status."""

from __future__ import annotations

import asyncio
import functools
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from ocm_core.api import gvr, proxy
from ocm_core.kube import ApiClient, KubeConfig, errors
from tests.support.apiserver_process import ApiServerProcess

DEADLINE = 60.0


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path / "hub")
    server.data_dir.mkdir()
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
async def hub_command(
    hub: ApiServerProcess, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    log = (tmp_path / "ocm-hub.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocm_core.cli", "hub", "--kubeconfig", str(hub.kubeconfig),
        "--enable-cluster-proxy", stdout=log, stderr=log,
    )  # fmt: skip
    log.close()
    yield process
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), DEADLINE)


async def until(
    check: Callable[[], Awaitable[object]], what: str, process: asyncio.subprocess.Process
) -> object:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while True:
        assert process.returncode is None, "ocm hub exited"
        try:
            result = await check()
        except errors.NotFoundError:
            result = None
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_hub_command_runs_the_cluster_proxy_manager(
    hub: ApiServerProcess, hub_command: asyncio.subprocess.Process
) -> None:
    async with ApiClient(KubeConfig.from_kubeconfig(hub.kubeconfig)) as api:
        await until(
            functools.partial(api.list, gvr.MANAGED_PROXY_CONFIGURATIONS),
            "the MPC CRD",
            hub_command,
        )
        await api.create(
            gvr.MANAGED_PROXY_CONFIGURATIONS,
            {
                "apiVersion": gvr.MANAGED_PROXY_CONFIGURATIONS.api_version,
                "kind": "ManagedProxyConfiguration",
                "metadata": {"name": proxy.CONFIGURATION_NAME},
                "spec": {
                    "authentication": {"signer": {"type": "SelfSigned"}},
                    "proxyServer": {"image": "x", "entrypoint": {"type": "PortForward"}},
                    "proxyAgent": {"image": "x"},
                },
            },
        )
        await until(
            functools.partial(api.get, gvr.SECRETS, proxy.SIGNER_SECRET_NAME, namespace="default"),
            "the cluster-proxy CA",
            hub_command,
        )
        await until(
            functools.partial(
                api.get, gvr.DEPLOYMENTS, proxy.CONFIGURATION_NAME,
                namespace=proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
            ),
            "the proxy-server Deployment",
            hub_command,
        )  # fmt: skip
