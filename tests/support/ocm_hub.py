"""An embedded API server with the OCM hub CRDs installed, and hub controllers run in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import AlreadyExistsError
from ocm_core.registration.hub.install import install_hub
from ocm_core.runtime.clock import RealClock
from ocm_core.runtime.controller import Controller
from ocm_core.runtime.manager import Manager
from tests.support.apiserver_process import ApiServerProcess

Builder = Callable[[Manager], Sequence[Controller]]


async def install_hub_crds(api: ApiClient) -> None:
    """The OCM CRDs (and hub roles) as `ocm hub` installs them, once they are served."""
    await install_hub(api, RealClock())


async def ensure_namespaces(api: ApiClient, *names: str) -> None:
    for name in names:
        try:
            await api.create(gvr.NAMESPACES, {"metadata": {"name": name}})
        except AlreadyExistsError:
            continue


def hub_client(server: ApiServerProcess) -> ApiClient:
    return ApiClient(KubeConfig.load(server.kubeconfig))


@asynccontextmanager
async def running_controllers(api: ApiClient, *builders: Builder) -> AsyncIterator[Manager]:
    """A Manager running the controllers `builders` make, until the block ends."""
    manager = Manager(api)
    for build in builders:
        for controller in build(manager):
            manager.add(controller)
    task = asyncio.create_task(manager.run())
    try:
        await asyncio.wait_for(manager.wait_ready(), 30)
        yield manager
    finally:
        manager.stop()
        await asyncio.wait_for(task, 30)


def items(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return list(listing.get("items") or [])
