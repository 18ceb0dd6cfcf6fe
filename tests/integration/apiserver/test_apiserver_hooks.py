"""The authn/authz and subresource hook points, with the app served in-process on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ocm_core.apiserver.app import build_state, make_app
from ocm_core.apiserver.authhooks import Decision, RequestAttributes, UserInfo
from ocm_core.apiserver.state import ServerState, SubresourceRequest
from ocm_core.apiserver.storage import MemoryStorage


class HeaderAuthenticator:
    """Trusts an ``X-User`` header (a stand-in for certificates and tokens)."""

    async def authenticate(self, request: web.Request) -> UserInfo | None:
        name = request.headers.get("X-User")
        return UserInfo(name, ("devs",)) if name else None


class ReadOnlyForBob:
    def __init__(self) -> None:
        self.seen: list[RequestAttributes] = []

    async def authorize(self, attrs: RequestAttributes) -> Decision:
        self.seen.append(attrs)
        if attrs.user.name == "bob" and attrs.verb not in ("get", "list", "watch"):
            return Decision(False, "bob may only read")
        return Decision(True)


@pytest.fixture
async def served() -> AsyncIterator[
    tuple[TestClient[web.Request, web.Application], ServerState, ReadOnlyForBob]
]:
    authorizer = ReadOnlyForBob()
    state = build_state(
        MemoryStorage(),
        admin_token="unused",
        authenticator=HeaderAuthenticator(),
        authorizer=authorizer,
    )

    async def token(req: SubresourceRequest) -> web.StreamResponse:
        return web.json_response({"user": req.user.name, "sa": req.name, "ns": req.namespace})

    state.subresource_handlers[("core/serviceaccounts", "token")] = token
    async with TestClient(TestServer(make_app(state), host="127.0.0.1")) as client:
        yield client, state, authorizer


async def test_authorizer_sees_request_attributes_and_can_forbid(
    served: tuple[TestClient[web.Request, web.Application], ServerState, ReadOnlyForBob],
) -> None:
    client, _, authorizer = served
    listed = await client.get("/api/v1/namespaces/default/configmaps", headers={"X-User": "bob"})
    assert listed.status == 200
    attrs = authorizer.seen[-1]
    assert (attrs.verb, attrs.resource, attrs.namespace, attrs.resource_request) == (
        "list", "configmaps", "default", True,
    )  # fmt: skip
    denied = await client.post(
        "/api/v1/namespaces/default/configmaps",
        json={"metadata": {"name": "x"}},
        headers={"X-User": "bob"},
    )
    status = await denied.json()
    assert (denied.status, status["reason"]) == (403, "Forbidden")
    assert 'User "bob" cannot create resource "configmaps"' in status["message"]
    anonymous = await client.get("/api/v1/namespaces")
    assert anonymous.status == 401


async def test_plugged_subresource_handler_gets_the_user(
    served: tuple[TestClient[web.Request, web.Application], ServerState, ReadOnlyForBob],
) -> None:
    client, _, _ = served
    response = await client.post(
        "/api/v1/namespaces/default/serviceaccounts/default/token",
        json={},
        headers={"X-User": "alice"},
    )
    assert await response.json() == {"user": "alice", "sa": "default", "ns": "default"}
