"""HTTP CONNECT on the user-server: raw connections to exposed services for any client that
speaks through an HTTP proxy, with the same authentication, authorization and allow list."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from proxy_server import hubapps
from tests.support.userserver_lab import ALICE, BOB, Lab

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _proxy(lab: Lab) -> str:
    return f"127.0.0.1:{lab.server_ports['user_server']}"


def _dialer(lab: Lab, token: str | None = ALICE) -> hubapps.ConnectDialer:
    return hubapps.ConnectDialer(_proxy(lab), tls=lab.client_tls(), token=token)


async def test_an_exposed_http_service_through_connect(lab: Lab) -> None:
    connector = hubapps.tunnel_connector(_dialer(lab), "c2")
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"http://web.apps:{lab.web_port}/through/connect") as response,
    ):
        assert response.status == 200
        assert (await response.json())["path"] == "/through/connect"


async def test_grpc_through_connect(lab: Lab) -> None:
    target = f"greeter.apps:{lab.greeter_port}"
    async with hubapps.grpc_channel(_dialer(lab), "c2", target) as channel:
        assert await channel.unary_unary("/test.Greeter/Greet", None, None)(b"hub") == b"hello hub"


async def test_curl_with_a_bearer_token_in_proxy_authorization(lab: Lab) -> None:
    curl = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "-p",
        "-x",
        f"https://{_proxy(lab)}",
        "--proxy-cacert",
        str(lab.ca.path),
        "--proxy-header",
        f"Proxy-Authorization: Bearer {ALICE}",
        f"http://web.apps.c2:{lab.web_port}/curl",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await curl.communicate()
    assert curl.returncode == 0, err.decode()
    assert json.loads(out)["path"] == "/curl"


async def test_a_service_not_exposed_is_refused_at_the_hub_with_the_reason(lab: Lab) -> None:
    with pytest.raises(hubapps.ConnectRefusedError) as refused:
        await hubapps.dial(_dialer(lab), "c2", f"secret.apps:{lab.secret_port}")
    assert refused.value.status == 403
    assert f"apps/secret port {lab.secret_port} of cluster 'c2' is not exposed" in str(
        refused.value
    )


@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        (None, 401, "present a hub bearer token"),
        (BOB, 403, "cannot get managedclusters/proxy"),
    ],
)
async def test_callers_are_checked_before_anything_is_dialled(
    lab: Lab, token: str | None, status: int, reason: str
) -> None:
    with pytest.raises(hubapps.ConnectRefusedError) as refused:
        await hubapps.dial(_dialer(lab, token), "c2", f"web.apps:{lab.web_port}")
    assert refused.value.status == status
    assert reason in refused.value.reason


async def test_a_connect_target_without_a_cluster_is_a_bad_request(lab: Lab) -> None:
    dialer = _dialer(lab)
    with pytest.raises(hubapps.ConnectRefusedError) as refused:
        await dialer.dial("c2", f"web:{lab.web_port}")
    assert refused.value.status == 400
    assert "<service>.<namespace>.<cluster>:<port>" in refused.value.reason
