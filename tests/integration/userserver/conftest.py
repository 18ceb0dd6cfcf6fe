"""One lab per test module (see `tests.support.userserver_lab`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.support.userserver_lab import Lab, start_lab


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Lab]:
    async with start_lab(tmp_path_factory.mktemp("userserver-lab")) as running:
        yield running
