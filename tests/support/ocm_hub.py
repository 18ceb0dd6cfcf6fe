"""An embedded API server with the OCM hub CRDs installed, and hub controllers run in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import AlreadyExistsError
from ocm_core.runtime.controller import Controller
from ocm_core.runtime.manager import Manager
from tests.support.apiserver_process import ApiServerProcess

HUB_CRDS = Path(__file__).resolve().parents[2] / "charts" / "ocm-hub" / "crds"

Builder = Callable[[Manager], Sequence[Controller]]


async def install_hub_crds(api: ApiClient) -> None:
    """Create every CRD of charts/ocm-hub/crds (existing ones are left alone)."""
    for path in sorted(HUB_CRDS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            try:
                await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, document)
            except AlreadyExistsError:
                continue


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
