"""Kube API requests through the user-server: authentication, authorization, impersonation,
streaming and upgrades (c3: a recording spoke), and real kubectl against c1."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import pytest

from tests.support.userserver_lab import ALICE, BOB, ROBOT, SPOKE_TOKEN, Lab
from tests.support.wait import eventually

ESTABLISHED = "konnectivity_network_proxy_server_established_connections"

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _get(lab: Lab, path: str, token: str | None = ALICE, **headers: str) -> tuple[int, Any]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{lab.user_server}{path}", headers=headers, ssl=lab.client_tls()) as r,
    ):
        return r.status, await r.json(content_type=None)


async def test_hub_user_lands_on_the_spoke_impersonated_with_the_user_servers_credential(
    lab: Lab,
) -> None:
    status, body = await _get(
        lab, "/c3/api/v1/namespaces/default/pods?limit=5", **{"Impersonate-User": "admin"}
    )
    assert status == 200, body
    headers = body["headers"]
    assert body["request"] == "GET /api/v1/namespaces/default/pods?limit=5 HTTP/1.1"
    assert headers["authorization"] == [f"Bearer {SPOKE_TOKEN}"]
    assert headers["impersonate-user"] == ["alice"]  # the client's "admin" was dropped
    assert headers["impersonate-group"] == ["devs", "system:authenticated"]


async def test_hub_service_account_is_prefixed_cluster_hub(lab: Lab) -> None:
    status, body = await _get(lab, "/c3/api", token=ROBOT)
    assert status == 200, body
    assert body["headers"]["impersonate-user"] == ["cluster:hub:system:serviceaccount:apps:robot"]


async def test_missing_or_bad_token_is_401_with_a_status_body(lab: Lab) -> None:
    for token in (None, "not-a-token"):
        status, body = await _get(lab, "/c3/api", token=token)
        assert status == 401
        assert body["kind"] == "Status"
        assert body["reason"] == "Unauthorized"


async def test_user_without_the_proxy_right_is_403_and_the_spoke_sees_nothing(lab: Lab) -> None:
    before = len(lab.spoke_c3.seen)
    status, body = await _get(lab, "/c3/api", token=BOB)
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert 'user "bob" cannot get managedclusters/proxy "c3"' in body["message"]
    assert len(lab.spoke_c3.seen) == before
    review = lab.hub.access_reviews[-1]
    assert review["resourceAttributes"] == {
        "group": "cluster.open-cluster-management.io",
        "resource": "managedclusters",
        "subresource": "proxy",
        "name": "c3",
        "verb": "get",
    }


async def test_token_reviews_are_cached(lab: Lab) -> None:
    await _get(lab, "/c3/api")
    before = lab.hub.token_reviews
    for _ in range(3):
        await _get(lab, "/c3/api")
    assert lab.hub.token_reviews == before


async def test_unknown_cluster_has_a_clear_message(lab: Lab) -> None:
    lab.hub.grants.add(("alice", "nowhere"))
    status, body = await _get(lab, "/nowhere/api")
    assert status == 503
    assert "no spoke credential for cluster 'nowhere'" in body["message"]


async def test_chunked_stream_is_relayed_without_buffering(lab: Lab) -> None:
    lab.spoke_c3.release.clear()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{lab.user_server}/c3/stream",
            headers={"Authorization": f"Bearer {ALICE}"},
            ssl=lab.client_tls(),
        ) as response,
    ):
        assert response.status == 200
        async with asyncio.timeout(10):
            first = await response.content.readline()
        assert first == b"first\n"
        lab.spoke_c3.release.set()  # the spoke sends the rest only now
        assert await response.content.read() == b"second\n"


async def test_spdy_upgrade_is_spliced_both_ways(lab: Lab) -> None:
    port = lab.server_ports["user_server"]
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=lab.client_tls(), server_hostname="localhost"
    )
    writer.write(
        b"POST /c3/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true HTTP/1.1\r\n"
        b"Host: localhost\r\n"
        + f"Authorization: Bearer {ALICE}\r\n".encode()
        + b"Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        b"X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"
    )
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"X-Stream-Protocol-Version: v4.channel.k8s.io" in head
        for message in (b"\x80\x03\x00\x01 spdy frame", b"second frame"):
            writer.write(message)
            assert await reader.readexactly(len(message)) == message
    upgraded = lab.spoke_c3.seen[-1]
    assert upgraded["impersonate-user"] == ["alice"]
    assert upgraded["upgrade"] == ["SPDY/3.1"]
    writer.close()


async def test_websocket_upgrade_is_spliced(lab: Lab) -> None:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1",
        lab.server_ports["user_server"],
        ssl=ssl.create_default_context(cafile=str(lab.ca.path)),
        server_hostname="localhost",
    )
    writer.write(
        b"GET /c3/api/v1/namespaces/default/pods/p/portforward?ports=80 HTTP/1.1\r\n"
        b"Host: localhost\r\n"
        + f"Authorization: Bearer {ALICE}\r\n".encode()
        + b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        writer.write(b"\x82\x05hello")
        assert await reader.readexactly(7) == b"\x82\x05hello"
    writer.close()


async def test_client_certificate_names_the_user_and_groups(lab: Lab) -> None:
    carol = lab.ca.issue("carol", "carol", orgs=("ops", "devs"))
    tls = lab.client_tls()
    tls.load_cert_chain(carol.cert, carol.key)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{lab.user_server}/c3/api", ssl=tls) as response,
    ):
        assert response.status == 200
        headers = (await response.json())["headers"]
    assert headers["impersonate-user"] == ["carol"]
    assert headers["impersonate-group"] == ["ops", "devs", "system:authenticated"]


async def test_a_client_leaving_a_stream_closes_its_tunnel_connection(lab: Lab) -> None:
    async def established() -> float:
        url = f"http://127.0.0.1:{lab.server_ports['health']}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            for line in (await response.text()).splitlines():
                if line.startswith(f"{ESTABLISHED} "):
                    return float(line.split()[1])
        raise AssertionError(f"{ESTABLISHED} is not exported")

    lab.spoke_c3.release.clear()
    session = aiohttp.ClientSession()
    response = await session.get(
        f"{lab.user_server}/c3/stream",
        headers={"Authorization": f"Bearer {ALICE}"},
        ssl=lab.client_tls(),
    )
    assert await response.content.readline() == b"first\n"
    streaming = await established()  # the stream's connection, and any idle pooled ones
    response.close()
    await session.close()

    async def released() -> bool:
        return await established() <= streaming - 1

    await eventually(released, timeout=10, what="the stream's tunnel connection to close")
    lab.spoke_c3.release.set()


async def test_refused_upgrade_is_relayed_as_an_ordinary_answer(lab: Lab) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{lab.user_server}/c3/refuse/exec",
            headers={
                "Authorization": f"Bearer {ALICE}",
                "Connection": "Upgrade",
                "Upgrade": "SPDY/3.1",
            },
            ssl=lab.client_tls(),
        ) as response,
    ):
        assert response.status == 403
        assert (await response.json())["message"] == "no exec for you"
