"""One hub API server with the hub controllers and two spoke API servers, shared by a module."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.support.apiserver_process import ApiServerProcess, call, eventually
from tests.support.registration_procs import Lab, hub_controller

MANAGED_CLUSTERS_PATH = "/apis/cluster.open-cluster-management.io/v1/managedclusters"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    workdir = tmp_path_factory.mktemp("registration")
    servers = {
        name: ApiServerProcess(workdir / name, "--storage", "memory")
        for name in ("hub", "c1", "c2")
    }
    for server in servers.values():
        server.data_dir.mkdir()
        server.start()
    hub = servers.pop("hub")
    controller = hub_controller(hub, workdir)
    # `ocm hub` installs the OCM CRDs first; tests start once they are served.
    eventually(lambda: call(hub, "GET", MANAGED_CLUSTERS_PATH)[0] == 200, timeout=60)
    try:
        yield Lab(workdir, hub, servers, controller)
    finally:
        controller.stop()
        for server in (hub, *servers.values()):
            server.stop(signal.SIGKILL)
