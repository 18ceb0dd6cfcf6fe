"""One embedded API server with the hub CRDs for the placement and work-hub tests."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest

from tests.support.apiserver_process import ApiServerProcess
from tests.support.ocm_hub import hub_client, install_hub_crds


async def _install(server: ApiServerProcess) -> None:
    async with hub_client(server) as api:
        await install_hub_crds(api)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path_factory.mktemp("hub"), "--storage", "memory")
    server.start()
    asyncio.run(_install(server))
    yield server
    server.stop(signal.SIGKILL)
