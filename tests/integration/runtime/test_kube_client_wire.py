"""`ocm_core.kube.ApiClient` against a real HTTP(S) server on 127.0.0.1: request shapes, TLS
client certificates, bearer tokens, a path-prefixed server URL, watch parsing, error mapping.

The runtime test at the end takes its API server from the ``kube_target`` fixture, which today
yields the small wire server of ``kube_wire``; the embedded API server joins as a second param.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, Impersonation, KubeConfig, PatchType, Preconditions, errors
from ocm_core.kube.protocol import EventType
from ocm_core.runtime import patching
from ocm_core.runtime.controller import Result, Source
from ocm_core.runtime.manager import Manager
from tests.support.kube_wire import ConnectProxy, WireServer, eventually, issue, status


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_kubeconfig(
    tmp: Path, server: WireServer, user: dict[str, Any], *, ca: bytes | None = None
) -> Path:
    (tmp / "ca.crt").write_bytes(ca or server.ca.cert_pem)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "hub",
        "clusters": [
            {"name": "hub", "cluster": {"server": server.url, "certificate-authority": "ca.crt"}}
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "hub", "context": {"cluster": "hub", "user": "u"}}],
    }
    path = tmp / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def cert_user(server: WireServer) -> dict[str, Any]:
    return {
        "client-certificate-data": b64(server.client_pair.cert_pem),
        "client-key-data": b64(server.client_pair.key_pem),
    }


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[WireServer]:
    wire = await WireServer(tmp_path, prefix="/cluster1", token="s3cret").start()
    yield wire
    await wire.stop()


@pytest.fixture
async def cert_client(tmp_path: Path, server: WireServer) -> AsyncIterator[ApiClient]:
    config = KubeConfig.from_kubeconfig(write_kubeconfig(tmp_path, server, cert_user(server)))
    async with ApiClient(config) as client:
        yield client


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ns"},
        "data": data,
    }


async def test_verbs_over_tls_with_client_cert_and_path_prefix(
    server: WireServer, cert_client: ApiClient
) -> None:
    client = cert_client
    created = await client.create(gvr.CONFIGMAPS, configmap("a", k="v"), field_manager="me")
    assert created["metadata"]["resourceVersion"] == "1"
    assert (await client.get(gvr.CONFIGMAPS, "a", namespace="ns"))["data"] == {"k": "v"}
    listed = await client.list(
        gvr.CONFIGMAPS,
        namespace="ns",
        label_selector="app=x",
        field_selector="metadata.name=a",
        limit=10,
        continue_token="tok",
    )
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    created["data"] = {"k": "v2"}
    await client.replace(gvr.CONFIGMAPS, created)
    await client.patch(gvr.CONFIGMAPS, "a", {"data": {"m": "1"}}, namespace="ns")
    await client.patch(
        gvr.CONFIGMAPS,
        "a",
        [{"op": "add", "path": "/data/j", "value": "1"}],
        namespace="ns",
        patch_type=PatchType.JSON,
    )
    await client.patch(
        gvr.CONFIGMAPS, "a", {"data": {}}, namespace="ns", patch_type=PatchType.STRATEGIC
    )
    await client.apply(gvr.CONFIGMAPS, configmap("a", k="v3"), field_manager="ocm", force=True)
    await client.delete(
        gvr.CONFIGMAPS,
        "a",
        namespace="ns",
        propagation_policy="Foreground",
        preconditions=Preconditions(uid="u1", resource_version="7"),
    )

    shapes = [
        (r.method, r.path, r.query, next(iter(r.headers.get("content-type", [])), None))
        for r in server.requests
    ]
    base = "/cluster1/api/v1/namespaces/ns/configmaps"
    assert shapes == [
        ("POST", base, {"fieldManager": "me"}, "application/json"),
        ("GET", f"{base}/a", {}, None),
        (
            "GET",
            base,
            {
                "labelSelector": "app=x",
                "fieldSelector": "metadata.name=a",
                "limit": "10",
                "continue": "tok",
            },
            None,
        ),
        ("PUT", f"{base}/a", {}, "application/json"),
        ("PATCH", f"{base}/a", {}, "application/merge-patch+json"),
        ("PATCH", f"{base}/a", {}, "application/json-patch+json"),
        ("PATCH", f"{base}/a", {}, "application/strategic-merge-patch+json"),
        (
            "PATCH",
            f"{base}/a",
            {"fieldManager": "ocm", "force": "true"},
            "application/apply-patch+yaml",
        ),
        ("DELETE", f"{base}/a", {}, "application/json"),
    ]
    assert {r.client_cn for r in server.requests} == {"admin"}
    assert server.requests[5].body == [{"op": "add", "path": "/data/j", "value": "1"}]
    assert server.requests[-1].body == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Foreground",
        "preconditions": {"uid": "u1", "resourceVersion": "7"},
    }
    assert "authorization" not in server.requests[0].headers
    assert client.requests_sent == len(server.requests)


async def test_subresource_and_cluster_scoped_paths(
    server: WireServer, cert_client: ApiClient
) -> None:
    server.fail_next.append((200, b"{}", "application/json"))
    await cert_client.patch(gvr.MANAGED_CLUSTERS, "c1", {"status": {"a": 1}}, subresource="status")
    assert server.requests[-1].path == (
        "/cluster1/apis/cluster.open-cluster-management.io/v1/managedclusters/c1/status"
    )


async def test_bearer_token_file_is_reread_when_rotated(tmp_path: Path, server: WireServer) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    config = KubeConfig.from_kubeconfig(
        write_kubeconfig(tmp_path, server, {"tokenFile": str(token_file)})
    )
    async with ApiClient(config) as client:
        await client.create(gvr.CONFIGMAPS, configmap("a"))
        assert server.requests[-1].headers["authorization"] == ["Bearer s3cret"]
        assert server.requests[-1].client_cn is None
        token_file.write_text("revoked-token")
        with pytest.raises(errors.UnauthorizedError) as caught:
            await client.get(gvr.CONFIGMAPS, "a", namespace="ns")
    assert server.requests[-1].headers["authorization"] == ["Bearer revoked-token"]
    assert caught.value.code == 401


async def test_impersonation_headers(tmp_path: Path, server: WireServer) -> None:
    config = KubeConfig.from_kubeconfig(
        write_kubeconfig(tmp_path, server, cert_user(server))
    ).with_impersonation(
        Impersonation(user="alice", groups=("devs", "ops"), uid="42", extra={"scopes": ("a",)})
    )
    async with ApiClient(config) as client:
        await client.list(gvr.CONFIGMAPS)
    headers = server.requests[-1].headers
    assert headers["impersonate-user"] == ["alice"]
    assert headers["impersonate-group"] == ["devs", "ops"]
    assert headers["impersonate-uid"] == ["42"]
    assert headers["impersonate-extra-scopes"] == ["a"]
    assert server.requests[-1].path == "/cluster1/api/v1/configmaps"


async def test_watch_parses_chunked_lines_and_raises_410(
    server: WireServer, cert_client: ApiClient
) -> None:
    big: dict[str, Any] = {"kind": "ConfigMap", "metadata": {"name": "big"}}
    big["data"] = {"blob": "x" * 300_000}  # one line far above aiohttp's readline limit
    first = json.dumps({"type": "ADDED", "object": configmap("a")}).encode()
    bookmark = {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}}
    expired = {"type": "ERROR", "object": status(410, "Expired", "too old resource version: 1")}
    server.watch_script = [
        first[:10],
        first[10:] + b"\n" + json.dumps({"type": "MODIFIED", "object": big}).encode()[:5],
        json.dumps({"type": "MODIFIED", "object": big}).encode()[5:] + b"\n",
        json.dumps(bookmark).encode() + b"\n\n",
        json.dumps(expired).encode() + b"\n",
    ]
    seen: list[tuple[EventType, str]] = []

    async def consume() -> None:
        stream = cert_client.watch(
            gvr.CONFIGMAPS, namespace="ns", resource_version="10", timeout_seconds=290
        )
        async with aclosing(stream):
            async for event in stream:
                metadata = event.object["metadata"]
                label = metadata.get("name") or metadata["resourceVersion"]
                seen.append((event.type, label))

    with pytest.raises(errors.ExpiredError, match="too old resource version"):
        await consume()
    assert seen == [
        (EventType.ADDED, "a"),
        (EventType.MODIFIED, "big"),
        (EventType.BOOKMARK, "12"),
    ]
    assert server.requests[-1].query == {
        "watch": "true",
        "resourceVersion": "10",
        "timeoutSeconds": "290",
        "allowWatchBookmarks": "true",
    }


async def test_watch_rejected_up_front_is_mapped(
    server: WireServer, cert_client: ApiClient
) -> None:
    payload = json.dumps(status(410, "Gone", "continue token expired")).encode()
    server.fail_next.append((410, payload, "application/json"))
    with pytest.raises(errors.ExpiredError):
        async for _ in cert_client.watch(gvr.CONFIGMAPS, resource_version="1"):
            pass


@pytest.mark.parametrize(
    ("code", "payload", "content_type", "cls", "message"),
    [
        pytest.param(
            422,
            json.dumps(
                status(
                    422,
                    "Invalid",
                    'ConfigMap "x" is invalid: metadata.name: Invalid value',
                    causes=[{"field": "metadata.name"}],
                )
            ).encode(),
            "application/json",
            errors.InvalidError,
            'ConfigMap "x" is invalid: metadata.name: Invalid value',
            id="invalid",
        ),
        pytest.param(
            403,
            json.dumps(status(403, "Forbidden", 'configmaps is forbidden: User "u"')).encode(),
            "application/json",
            errors.ForbiddenError,
            'configmaps is forbidden: User "u"',
            id="forbidden",
        ),
        pytest.param(
            502,
            b"<html>bad gateway</html>",
            "text/html",
            errors.ServerError,
            "bad gateway",
            id="non-status-body",
        ),
        pytest.param(
            429, b"", "text/plain", errors.TooManyRequestsError, "TooManyRequests", id="empty"
        ),
    ],
)
async def test_error_statuses_are_mapped(
    server: WireServer,
    cert_client: ApiClient,
    code: int,
    payload: bytes,
    content_type: str,
    cls: type[errors.ApiError],
    message: str,
) -> None:
    server.fail_next.append((code, payload, content_type))
    with pytest.raises(cls) as caught:
        await cert_client.get(gvr.CONFIGMAPS, "x", namespace="ns")
    assert message in caught.value.message
    assert caught.value.code == code


async def test_store_errors_keep_the_server_message(cert_client: ApiClient) -> None:
    with pytest.raises(errors.NotFoundError, match='configmaps "nope" not found'):
        await cert_client.get(gvr.CONFIGMAPS, "nope", namespace="ns")
    await cert_client.create(gvr.CONFIGMAPS, configmap("a"))
    with pytest.raises(errors.AlreadyExistsError) as caught:
        await cert_client.create(gvr.CONFIGMAPS, configmap("a"))
    assert isinstance(caught.value, errors.ConflictError)


async def test_missing_credentials_get_401(tmp_path: Path, server: WireServer) -> None:
    config = KubeConfig.from_kubeconfig(write_kubeconfig(tmp_path, server, {}))
    async with ApiClient(config) as client:
        with pytest.raises(errors.UnauthorizedError):
            await client.list(gvr.CONFIGMAPS)


async def test_untrusted_server_certificate_is_a_connection_error(
    tmp_path: Path, server: WireServer
) -> None:
    path = write_kubeconfig(tmp_path, server, cert_user(server), ca=server.other_ca.cert_pem)
    async with ApiClient(KubeConfig.from_kubeconfig(path)) as client:
        with pytest.raises(errors.KubeConnectionError, match="certificate"):
            await client.list(gvr.CONFIGMAPS)


async def test_insecure_skip_verify(tmp_path: Path, server: WireServer) -> None:
    config = KubeConfig(server=server.url, insecure_skip_tls_verify=True, token=None)
    async with ApiClient(config) as client:
        with pytest.raises(errors.UnauthorizedError):
            await client.list(gvr.CONFIGMAPS)


async def test_refused_connection_is_translated(tmp_path: Path) -> None:
    wire = await WireServer(tmp_path, tls=False).start()
    url = wire.url
    await wire.stop()
    async with ApiClient(KubeConfig(server=url)) as client:
        with pytest.raises(errors.KubeConnectionError):
            await client.list(gvr.CONFIGMAPS)


async def test_per_request_timeout(server: WireServer, cert_client: ApiClient) -> None:
    server.hang_paths.add("/api/v1/namespaces/ns/configmaps/slow")
    with pytest.raises(errors.KubeTimeoutError):
        await cert_client.get(gvr.CONFIGMAPS, "slow", namespace="ns", request_timeout=0.2)


async def test_health_endpoints_as_text(server: WireServer, cert_client: ApiClient) -> None:
    server.fail_next.append((200, b"ok", "text/plain"))
    assert await cert_client.get_text("/livez") == "ok"
    assert server.requests[-1].path == "/cluster1/livez"
    server.fail_next.append(
        (403, json.dumps(status(403, "Forbidden", "no")).encode(), "application/json")
    )
    with pytest.raises(errors.ForbiddenError):
        await cert_client.get_text("/livez")


async def test_many_open_watches_do_not_starve_requests(
    server: WireServer, cert_client: ApiClient
) -> None:
    streams = [cert_client.watch(gvr.CONFIGMAPS, namespace=f"ns{i}") for i in range(120)]
    pending = [asyncio.ensure_future(anext(s)) for s in streams]
    try:
        await eventually(lambda: sum(1 for r in server.requests if "watch" in r.query) == 120)
        await cert_client.create(gvr.CONFIGMAPS, configmap("a"))
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for stream in streams:
            await stream.aclose()


async def test_rotated_client_certificate_files_are_picked_up(
    tmp_path: Path, server: WireServer
) -> None:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.write_bytes(server.client_pair.cert_pem)
    key.write_bytes(server.client_pair.key_pem)
    path = write_kubeconfig(
        tmp_path, server, {"client-certificate": "tls.crt", "client-key": "tls.key"}
    )
    async with ApiClient(KubeConfig.from_kubeconfig(path)) as client:
        await client.list(gvr.CONFIGMAPS)
        assert server.requests[-1].client_cn == "admin"
        rotated = issue(server.ca, server.ca_key, "system:open-cluster-management:c1:agent")
        key.write_bytes(rotated.key_pem)
        cert.write_bytes(rotated.cert_pem)
        await client.list(gvr.CONFIGMAPS)
        assert server.requests[-1].client_cn == "system:open-cluster-management:c1:agent"


async def test_proxy_url_tunnels_through_http_connect(tmp_path: Path, server: WireServer) -> None:
    proxy = await ConnectProxy().start()
    try:
        path = write_kubeconfig(tmp_path, server, cert_user(server))
        data = yaml.safe_load(path.read_text())
        data["clusters"][0]["cluster"]["proxy-url"] = proxy.url
        path.write_text(yaml.safe_dump(data))
        async with ApiClient(KubeConfig.from_kubeconfig(path)) as client:
            await client.create(gvr.CONFIGMAPS, configmap("via-proxy"))
            assert (await client.get(gvr.CONFIGMAPS, "via-proxy", namespace="ns"))["metadata"][
                "name"
            ] == "via-proxy"
    finally:
        await proxy.stop()
    assert proxy.targets, "the request must go through the proxy"
    assert set(proxy.targets) == {f"127.0.0.1:{server.port}"}
    assert server.requests[-1].client_cn == "admin", "TLS is end to end, through the tunnel"


@pytest.fixture
async def kube_target(tmp_path: Path) -> AsyncIterator[KubeConfig]:
    """A reachable API server as a `KubeConfig`; the embedded server becomes a second param."""
    wire = await WireServer(tmp_path, prefix="/hub").start()
    path = write_kubeconfig(tmp_path, wire, cert_user(wire))
    yield KubeConfig.from_kubeconfig(path)
    await wire.stop()


async def test_runtime_runs_unchanged_on_the_real_client(kube_target: KubeConfig) -> None:
    reconciled: list[str] = []

    async with ApiClient(kube_target) as client:

        class Reporter:
            async def reconcile(self, key: str) -> Result | None:
                reconciled.append(key)
                cached = informer.cache.get(key)
                if cached is not None:
                    await patching.patch_status(client, gvr.CONFIGMAPS, cached, {"seen": True})
                return None

        await client.create(gvr.CONFIGMAPS, configmap("before"))
        manager = Manager(client)
        informer = manager.informer(gvr.CONFIGMAPS, namespace="ns")
        manager.controller("reporter", Reporter(), [Source(informer)])
        task = asyncio.create_task(manager.run())
        try:
            await asyncio.wait_for(manager.wait_ready(), 10)
            await client.create(gvr.CONFIGMAPS, configmap("after"))
            await eventually(lambda: {"ns/before", "ns/after"} <= set(reconciled))
            await eventually(
                lambda: (informer.cache.get("ns/after") or {}).get("status") == {"seen": True}
            )
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)
