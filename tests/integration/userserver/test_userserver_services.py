"""Exposed services: through the user-server URL grammar (allow-list enforced) and from hub
programs with the `hubapps` helpers (raw streams, aiohttp, gRPC)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from proxy_server import hubapps
from proxy_server.client import DialError, TunnelClient
from tests.support.userserver_lab import ALICE, BOB, Lab
from tests.support.wait import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _service_path(name: str, port: int, path: str, scheme: str = "http") -> str:
    return f"/c2/api/v1/namespaces/apps/services/{scheme}:{name}:{port}/proxy-service{path}"


async def _get(lab: Lab, path: str, token: str = ALICE) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{lab.user_server}{path}",
            headers={"Authorization": f"Bearer {token}"},
            ssl=lab.client_tls(),
        ) as r,
    ):
        return r.status, await r.json(content_type=None)


def _client(lab: Lab) -> TunnelClient:
    return TunnelClient(
        f"127.0.0.1:{lab.server_ports['frontend']}",
        credentials=lab.grpc_credentials(),
        options=[("grpc.ssl_target_name_override", "localhost")],
    )


async def test_exposed_service_is_reached_and_hub_credentials_stay_on_the_hub(lab: Lab) -> None:
    status, body = await _get(lab, _service_path("web", lab.web_port, "/items?x=1"))
    assert status == 200, body
    assert body == {"path": "/items", "authorization": None}


async def test_service_missing_from_the_allow_list_is_refused_with_a_clear_message(
    lab: Lab,
) -> None:
    status, body = await _get(lab, _service_path("secret", lab.secret_port, "/"))
    assert status == 403
    assert body["kind"] == "Status"
    assert "apps/secret port" in body["message"]
    assert "not in the exposed-services list" in body["message"]


async def test_allow_list_protocol_is_enforced(lab: Lab) -> None:
    status, body = await _get(lab, _service_path("greeter", lab.greeter_port, "/", "https"))
    assert status == 403, body


async def test_service_needs_the_proxy_right_too(lab: Lab) -> None:
    status, _ = await _get(lab, _service_path("web", lab.web_port, "/"), token=BOB)
    assert status == 403


async def test_malformed_service_path_is_404_with_the_grammar(lab: Lab) -> None:
    status, body = await _get(lab, "/c2/api/v1/namespaces/apps/services/web/proxy-service/")
    assert status == 404
    assert "expected [scheme:]name:port" in body["message"]


async def test_allow_list_file_reload_and_parse_errors_keep_the_last_good_list(lab: Lab) -> None:
    exposed = lab.workdir / "exposed.yaml"
    good = exposed.read_text()
    try:
        exposed.write_text("apps: '- {namespace: apps, service: secret, colour: red}'\n")
        # The bad file is ignored: web stays reachable, secret stays refused.
        for _ in range(3):
            assert (await _get(lab, _service_path("web", lab.web_port, "/")))[0] == 200
        assert (await _get(lab, _service_path("secret", lab.secret_port, "/")))[0] == 403
        exposed.write_text("apps: '- {namespace: apps, service: secret}'\n")

        async def secret_allowed() -> bool:
            return (await _get(lab, _service_path("secret", lab.secret_port, "/")))[0] == 200

        await eventually(secret_allowed, timeout=10, what="the reloaded allow-list")
    finally:
        exposed.write_text(good)


async def test_hub_app_reaches_an_http_service_with_aiohttp(lab: Lab) -> None:
    async with (
        _client(lab) as client,
        aiohttp.ClientSession(connector=hubapps.tunnel_connector(client, "c2")) as session,
    ):
        for i in range(3):  # pooled: later requests reuse the tunnel connection
            async with session.get(f"http://web.apps:{lab.web_port}/hello/{i}") as response:
                assert response.status == 200
                assert (await response.json())["path"] == f"/hello/{i}"


async def test_hub_app_raw_streams(lab: Lab) -> None:
    async with _client(lab) as client:
        reader, writer = await hubapps.dial(client, "c2", f"web.apps.svc:{lab.web_port}")
        writer.write(b"GET /raw HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
        answer = await reader.read()
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"/raw"' in answer


async def test_hub_app_calls_a_grpc_service(lab: Lab) -> None:
    async with (
        _client(lab) as client,
        hubapps.grpc_channel(client, "c2", f"greeter.apps:{lab.greeter_port}") as channel,
    ):
        greet = channel.unary_unary("/test.Greeter/Greet", None, None)
        assert await greet(b"hub") == b"hello hub"
        assert await greet(b"again") == b"hello again"


async def test_hub_app_dial_to_an_unexposed_service_fails_with_the_reason(lab: Lab) -> None:
    # No agent advertises db.apps.c2 (destHost routing), so the server refuses the dial.
    async with _client(lab) as client:
        with pytest.raises(DialError, match="No agent available"):
            await hubapps.dial(client, "c2", "db.apps:5432")
