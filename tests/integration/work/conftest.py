"""A hub and two spoke ``ocm apiserver`` processes (shared by a module), the work CRDs on
them, and a factory running work agents in-process against them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.work.spoke import run_work_agent
from tests.support.apiserver_process import ApiServerProcess

CRD_DIR = Path(__file__).resolve().parents[3] / "charts" / "ocm-hub" / "crds"
HUB_CRDS = ("manifestworks.work.open-cluster-management.io.yaml",)
SPOKE_CRDS = ("appliedmanifestworks.work.open-cluster-management.io.yaml",)
_names = itertools.count(1)


@dataclass
class Servers:
    hub: ApiServerProcess
    spokes: list[ApiServerProcess]


def _install_crds(server: ApiServerProcess, files: tuple[str, ...]) -> None:
    async def install() -> None:
        async with ApiClient(KubeConfig.from_kubeconfig(server.kubeconfig)) as api:
            for name in files:
                crd = yaml.safe_load((CRD_DIR / name).read_text())
                with contextlib.suppress(errors.AlreadyExistsError):
                    await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, crd)

    asyncio.run(install())


def start_server(root: Path, name: str, crds: tuple[str, ...]) -> ApiServerProcess:
    server = ApiServerProcess(root / name)
    server.data_dir.mkdir()
    server.start()
    _install_crds(server, crds)
    return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("work")
    started = [
        start_server(root, "hub", HUB_CRDS),
        start_server(root, "spoke1", SPOKE_CRDS),
        start_server(root, "spoke2", SPOKE_CRDS),
    ]
    yield Servers(started[0], started[1:])
    for server in started:
        server.stop(signal.SIGKILL)


def config_of(server: ApiServerProcess) -> KubeConfig:
    return KubeConfig.from_kubeconfig(server.kubeconfig)


@pytest.fixture
async def hub(servers: Servers) -> AsyncIterator[ApiClient]:
    async with ApiClient(config_of(servers.hub)) as api:
        yield api


@pytest.fixture
async def spoke(servers: Servers) -> AsyncIterator[ApiClient]:
    async with ApiClient(config_of(servers.spokes[0])) as api:
        yield api


async def create_namespace(api: ApiClient, name: str) -> None:
    with contextlib.suppress(errors.AlreadyExistsError):
        await api.create(gvr.NAMESPACES, {"metadata": {"name": name}})


@pytest.fixture
async def cluster(hub: ApiClient, spoke: ApiClient) -> str:
    """A fresh cluster namespace on the hub (and a namespace of the same name on the spoke,
    where the tests' namespaced manifests go)."""
    name = f"cluster{next(_names)}"
    await create_namespace(hub, name)
    await create_namespace(spoke, name)
    return name


AgentFactory = Callable[..., Awaitable["asyncio.Task[None]"]]


@pytest.fixture
async def start_agent(servers: Servers) -> AsyncIterator[AgentFactory]:
    """Start ``run_work_agent`` in this loop; every agent is cancelled at teardown."""
    tasks: list[asyncio.Task[None]] = []

    async def start(
        cluster: str,
        spoke: ApiServerProcess | None = None,
        hub: ApiServerProcess | None = None,
        **options: Any,
    ) -> asyncio.Task[None]:
        ready = asyncio.Event()
        task = asyncio.create_task(
            run_work_agent(
                config_of(hub or servers.hub),
                config_of(spoke or servers.spokes[0]),
                cluster,
                status_sync_interval=options.pop("status_sync_interval", 1.0),
                ready=ready,
                **options,
            )
        )
        tasks.append(task)
        async with asyncio.timeout(20):
            waiter = asyncio.create_task(ready.wait())
            done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                waiter.cancel()
                task.result()
        return task

    yield start
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def stop_agent(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
