"""A fresh real ``ocm apiserver`` process per test (each test shapes its own RBAC)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.support.apiserver_process import ApiServerProcess


@pytest.fixture
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path_factory.mktemp("authwire"))
    server.start()
    yield server
    server.stop(signal.SIGKILL)
