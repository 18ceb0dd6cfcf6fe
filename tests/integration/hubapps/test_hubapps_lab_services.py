"""Hub programs reach spoke services that run as Deployments of the local runtime.

Real processes: a spoke API server, `ocm localruntime` running `docs/hubapps/demo-services.yaml`
(demo-echo over HTTP and gRPC) and publishing its Service map, a proxy-server with the HTTP
CONNECT frontend, and a proxy-agent exposing `web.demo` and `greeter.demo` that finds them
through the Service map. The hub side uses `hubapps` with `ConnectDialer`, and curl.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.lab.demo_echo import ECHO_METHOD
from ocm_core.localruntime.services import SERVICE_MAP_FILE
from proxy_server import hubapps
from tests.support import wait
from tests.support.apiserver_process import ApiServerProcess
from tests.support.certs import TestCA
from tests.support.procs import Proc
from tests.support.tunnel_procs import PKI, Running

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]
DEMO_SERVICES = REPO / "docs" / "hubapps" / "demo-services.yaml"
KINDS = {"Namespace": gvr.NAMESPACES, "Deployment": gvr.DEPLOYMENTS, "Service": gvr.SERVICES}


@dataclass
class Spoke:
    frontend: str
    service_map: Path


async def create_documents(api: ApiClient, documents: list[dict[str, Any]]) -> None:
    for document in documents:
        namespace = document["metadata"].get("namespace")
        await api.create(KINDS[document["kind"]], document, namespace=namespace)


def ready_endpoints(path: Path, *keys: str) -> bool:
    if not path.exists():
        return False
    services = json.loads(path.read_text())["services"]
    return all(services.get(key) for key in keys)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def spoke(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Spoke]:
    workdir = tmp_path_factory.mktemp("hubapps")
    (workdir / "spoke").mkdir()
    apiserver = ApiServerProcess(workdir / "spoke")
    apiserver.start()
    procs: list[Proc] = []
    runtime = None
    try:
        async with ApiClient(KubeConfig.load(apiserver.kubeconfig)) as api:
            await create_documents(api, list(yaml.safe_load_all(DEMO_SERVICES.read_text())))
        runtime = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ocm_core.cli",
            "localruntime",
            "--kubeconfig",
            str(apiserver.kubeconfig),
            "--data-dir",
            str(workdir / "run"),
        )
        service_map = workdir / "run" / SERVICE_MAP_FILE
        await wait.eventually(
            lambda: ready_endpoints(service_map, "web.demo.svc:8080", "greeter.demo.svc:50051"),
            timeout=60,
            what="the demo services in the Service map",
        )
        server, _ = await _start_tunnel(workdir, procs, service_map)
        yield Spoke(f"127.0.0.1:{server.ports['frontend']}", service_map)
    finally:
        for proc in reversed(procs):
            await proc.stop(timeout=5)
        if runtime is not None:
            runtime.terminate()
            await runtime.wait()
        apiserver.stop()


async def _start_tunnel(
    workdir: Path, procs: list[Proc], service_map: Path
) -> tuple[Running, Running]:
    ca = TestCA(workdir)
    pki = PKI(
        ca=ca, server=ca.issue("server", "proxy-server", server=True), client=ca.issue("c", "c")
    )
    server_proc = Proc(
        "server",
        [
            "-m",
            "proxy_server",
            "--bind-address=127.0.0.1",
            "--server-port=0",
            "--agent-port=0",
            "--health-port=0",
            "--mode=http-connect",
            "--insecure-frontend-port",
            "--proxy-strategies=destHost",
            f"--cluster-cert={pki.server.cert}",
            f"--cluster-key={pki.server.key}",
            f"--cluster-ca-cert={ca.path}",
        ],
        workdir,
    )
    procs.append(server_proc)
    server = Running(server_proc, await server_proc.start())
    agent_pair = pki.agent("c2")
    agent_proc = Proc(
        "agent",
        [
            "-m",
            "proxy_agent",
            "--proxy-server-host=127.0.0.1",
            f"--proxy-server-port={server.ports['agent']}",
            f"--ca-cert={ca.path}",
            f"--agent-cert={agent_pair.cert}",
            f"--agent-key={agent_pair.key}",
            "--server-name=localhost",
            "--cluster-name=c2",
            "--expose=web.demo",
            "--expose=greeter.demo:50051",
            f"--service-map-file={service_map}",
            "--health-bind-address=127.0.0.1",
            "--health-server-port=0",
        ],
        workdir,
    )
    procs.append(agent_proc)
    agent = Running(agent_proc, await agent_proc.start())
    await wait.eventually(agent.ready, timeout=30, what="the agent's tunnel")
    return server, agent


async def test_aiohttp_through_the_helper_reaches_the_http_service(spoke: Spoke) -> None:
    dialer = hubapps.ConnectDialer(spoke.frontend)
    connector = hubapps.tunnel_connector(dialer, "c2")
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get("http://web.demo:8080/items?page=2") as response,
    ):
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    assert body == {"service": "web", "method": "GET", "path": "/items", "query": {"page": "2"}}


async def test_grpc_through_the_helper_reaches_the_grpc_service(spoke: Spoke) -> None:
    dialer = hubapps.ConnectDialer(spoke.frontend)
    async with hubapps.grpc_channel(dialer, "c2", "greeter.demo.svc:50051") as channel:
        say = channel.unary_unary(ECHO_METHOD, None, None)
        assert await say(b"hub") == b"greeter says hello hub"


async def test_raw_streams_through_the_helper(spoke: Spoke) -> None:
    reader, writer = await hubapps.dial(
        hubapps.ConnectDialer(spoke.frontend), "c2", "web.demo:8080"
    )
    writer.write(b"GET /raw HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"/raw"' in answer


async def test_curl_through_http_connect(spoke: Spoke) -> None:
    curl = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "-p",
        "-x",
        f"http://{spoke.frontend}",
        "http://web.demo.c2:8080/via-curl",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await curl.communicate()
    assert curl.returncode == 0, err.decode()
    assert json.loads(out)["path"] == "/via-curl"


async def test_a_running_but_unexposed_service_is_refused_with_status_and_reason(
    spoke: Spoke,
) -> None:
    assert ready_endpoints(spoke.service_map, "internal.demo.svc:8080")  # it does run
    dialer = hubapps.ConnectDialer(spoke.frontend)
    with pytest.raises(hubapps.ConnectRefusedError) as refused:
        await hubapps.dial(dialer, "c2", "internal.demo:8080")
    assert refused.value.status == 503
    assert "No agent available" in refused.value.reason
    # A port the agent does not expose for greeter is refused by the agent itself.
    with pytest.raises(hubapps.ConnectRefusedError) as wrong_port:
        await hubapps.dial(dialer, "c2", "greeter.demo:8080")
    assert "port 8080 of demo/greeter is not exposed" in wrong_port.value.reason
