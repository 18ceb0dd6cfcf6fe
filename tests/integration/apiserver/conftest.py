"""Fixtures that start ``ocm apiserver`` processes for the integration tests."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.apiserver_process import ApiServerProcess


@pytest.fixture
def make_apiserver(tmp_path: Path) -> Iterator[Callable[..., ApiServerProcess]]:
    started: list[ApiServerProcess] = []

    def make(*extra_args: str) -> ApiServerProcess:
        server = ApiServerProcess(tmp_path / f"server{len(started)}", *extra_args)
        server.data_dir.mkdir()
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    """One server shared by a test module (tests use their own namespaces or names)."""
    server = ApiServerProcess(tmp_path_factory.mktemp("apiserver"))
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
def kube_env(apiserver: ApiServerProcess, tmp_path: Path) -> dict[str, str]:
    """Environment for kubectl: the admin kubeconfig and a private discovery cache."""
    return {**os.environ, "KUBECONFIG": str(apiserver.kubeconfig), "HOME": str(tmp_path)}
