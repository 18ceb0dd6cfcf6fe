"""The standalone `user-server` program (upstream's shape): it reaches the proxy-server's gRPC
frontend with TunnelClient, one `Proxy` stream per connection. Also the health port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from tests.support.procs import Proc
from tests.support.userserver_lab import ALICE, SPOKE_TOKEN, Lab

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def standalone(lab: Lab) -> AsyncIterator[dict[str, int]]:
    server = lab.workdir / "server"
    args = [
        "-m", "proxy_server.userserver",
        "--host", "127.0.0.1", "--port", str(lab.server_ports["frontend"]),
        "--proxy-ca-cert", str(lab.ca.path),
        "--proxy-cert", str(lab.client.cert), "--proxy-key", str(lab.client.key),
        "--proxy-server-name", "localhost",
        "--bind-address", "127.0.0.1", "--server-port", "0", "--health-port", "0",
        "--server-cert", f"{server}.crt", "--server-key", f"{server}.key",
        "--hub-kubeconfig", str(lab.workdir / "hub.kubeconfig"),
        "--spoke-kubeconfig-dir", str(lab.workdir / "spokes"),
        "--exposed-services-file", str(lab.workdir / "exposed.yaml"),
    ]  # fmt: skip
    proc = Proc("user-server", args, lab.workdir)
    ports = await proc.start()
    yield ports
    assert await proc.stop(timeout=10) == 0, proc.log()


async def test_standalone_user_server_impersonates_through_the_grpc_frontend(
    lab: Lab, standalone: dict[str, int]
) -> None:
    url = f"https://127.0.0.1:{standalone['user_server']}/c3/api/v1/pods"
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            url, headers={"Authorization": f"Bearer {ALICE}"}, ssl=lab.client_tls()
        ) as response,
    ):
        assert response.status == 200
        headers = (await response.json())["headers"]
    assert headers["authorization"] == [f"Bearer {SPOKE_TOKEN}"]
    assert headers["impersonate-user"] == ["alice"]


async def test_standalone_health_port(standalone: dict[str, int]) -> None:
    base = f"http://127.0.0.1:{standalone['health']}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/readyz") as ready:
            assert ready.status == 200
        async with session.get(f"{base}/metrics") as metrics:
            assert 'user_server_requests_total{code="200",kind="kube"}' in await metrics.text()


async def test_in_process_user_server_metrics_on_the_proxy_server_health_port(lab: Lab) -> None:
    url = f"http://127.0.0.1:{lab.server_ports['health']}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    assert 'user_server_requests_total{code="200",kind="kube"}' in text


async def test_standalone_splices_an_upgrade_and_closes_cleanly(
    lab: Lab, standalone: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", standalone["user_server"], ssl=lab.client_tls(), server_hostname="localhost"
    )
    writer.write(
        b"POST /c3/api/v1/namespaces/default/pods/p/attach HTTP/1.1\r\nHost: localhost\r\n"
        + f"Authorization: Bearer {ALICE}\r\n".encode()
        + b"Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n"
    )
    async with asyncio.timeout(10):
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        payload = bytes(range(256)) * 2048  # 512 KiB: several DATA packets each way
        writer.write(payload)
        assert await reader.readexactly(len(payload)) == payload
        writer.close()
        # Our close travels to the spoke, whose echo loop ends: the user-server stays healthy.
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"https://127.0.0.1:{standalone['user_server']}/c3/api",
                headers={"Authorization": f"Bearer {ALICE}"},
                ssl=lab.client_tls(),
            ) as response,
        ):
            assert response.status == 200
