"""Bad input, auth, health, GC, namespace deletion and CRD versions against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver_process import ApiServerProcess, call, eventually

CMS = "/api/v1/namespaces/default/configmaps"


def status_of(
    server: ApiServerProcess, method: str, path: str, body: Any = None, **kw: Any
) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return call(server, method, path, raw, **kw)


@pytest.mark.parametrize(
    ("body", "content_type", "code", "reason"),
    [
        pytest.param(b"{not json", "application/json", 400, "BadRequest", id="malformed-json"),
        pytest.param(b"a: [b", "application/yaml", 400, "BadRequest", id="malformed-yaml"),
        pytest.param(
            b"k8s\x00\x0a\x05ab",
            "application/vnd.kubernetes.protobuf",
            415,
            "UnsupportedMediaType",
            id="bad-protobuf",
        ),
        pytest.param(b"<xml/>", "application/xml", 415, "UnsupportedMediaType", id="unknown-media"),
        pytest.param(
            b'{"kind":"Secret","metadata":{"name":"x"}}',
            "application/json",
            400,
            "BadRequest",
            id="wrong-kind",
        ),
        pytest.param(
            b'{"metadata":{"name":"UPPER"}}', "application/json", 422, "Invalid", id="bad-name"
        ),
        pytest.param(b"[1,2]", "application/json", 400, "BadRequest", id="not-an-object"),
    ],
)
def test_bad_create_bodies_get_status_errors_and_change_nothing(
    apiserver: ApiServerProcess, body: bytes, content_type: str, code: int, reason: str
) -> None:
    _, before = status_of(apiserver, "GET", CMS)
    status, payload = call(apiserver, "POST", CMS, body, content_type=content_type)
    assert (status, payload["kind"], payload["reason"], payload["code"]) == (
        code,
        "Status",
        reason,
        code,
    )
    _, after = status_of(apiserver, "GET", CMS)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_strict_field_validation_rejects_unknown_metadata_fields(
    apiserver: ApiServerProcess,
) -> None:
    body = {"metadata": {"name": "strict", "colour": "red"}}
    status, payload = status_of(apiserver, "POST", CMS + "?fieldValidation=Strict", body)
    assert status == 400
    assert 'unknown field "metadata.colour"' in payload["message"]
    status, _ = status_of(apiserver, "POST", CMS + "?fieldValidation=Ignore", body)
    assert status == 201


def test_body_over_the_limit_is_413(apiserver: ApiServerProcess) -> None:
    big = json.dumps({"metadata": {"name": "big"}, "data": {"x": "y" * (4 * 1024 * 1024)}}).encode()
    status, payload = call(apiserver, "POST", CMS, big)
    assert status == 413
    assert payload["reason"] == "RequestEntityTooLarge"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("?labelSelector=a%20in%20(b", 400, id="bad-label-selector"),
        pytest.param("?fieldSelector=metadata.name", 400, id="bad-field-selector"),
        pytest.param("?limit=-1", 400, id="negative-limit"),
        pytest.param("?continue=%21%21%21", 400, id="bad-continue"),
        pytest.param("?watch=true&resourceVersion=abc", 400, id="bad-watch-resource-version"),
        pytest.param("?resourceVersion=abc", 400, id="bad-list-resource-version"),
        pytest.param("?resourceVersionMatch=Sometime", 400, id="bad-resource-version-match"),
    ],
)
def test_bad_list_queries_are_rejected(apiserver: ApiServerProcess, query: str, code: int) -> None:
    status, payload = status_of(apiserver, "GET", CMS + query)
    assert (status, payload["kind"]) == (code, "Status")


def test_unknown_paths_and_resources_are_404(apiserver: ApiServerProcess) -> None:
    assert status_of(apiserver, "GET", "/api/v1/namespaces/default/widgets")[0] == 404
    assert status_of(apiserver, "GET", "/apis/nope.example.com/v1")[0] == 404
    assert (
        status_of(apiserver, "GET", CMS + "/missing")[1]["message"]
        == 'configmaps "missing" not found'
    )


def test_anonymous_requests_are_401_but_health_is_open(apiserver: ApiServerProcess) -> None:
    status, payload = call(apiserver, "GET", CMS, token="")
    assert (status, payload["reason"]) == (401, "Unauthorized")
    assert call(apiserver, "GET", "/api", token="wrong")[0] == 401
    for path in ("/healthz", "/livez", "/readyz", "/version"):
        assert call(apiserver, "GET", path, token="")[0] == 200


def test_metrics_count_requests(apiserver: ApiServerProcess) -> None:
    status_of(apiserver, "GET", CMS)
    status, text = call(apiserver, "GET", "/metrics")
    assert status == 200
    assert "apiserver_request_total" in text


def owned_configmap(name: str, owner: dict[str, Any]) -> dict[str, Any]:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    return {"metadata": {"name": name, "ownerReferences": [ref]}}


def test_background_garbage_collection_deletes_dependents(apiserver: ApiServerProcess) -> None:
    _, owner = status_of(apiserver, "POST", CMS, {"metadata": {"name": "gc-owner"}})
    status_of(apiserver, "POST", CMS, owned_configmap("gc-child", owner))
    status_of(apiserver, "DELETE", CMS + "/gc-owner", {"propagationPolicy": "Background"})
    eventually(lambda: status_of(apiserver, "GET", CMS + "/gc-child")[0] == 404)


def test_foreground_deletion_waits_for_dependents(apiserver: ApiServerProcess) -> None:
    _, owner = status_of(apiserver, "POST", CMS, {"metadata": {"name": "fg-owner"}})
    child = owned_configmap("fg-child", owner)
    child["metadata"]["finalizers"] = ["example.com/hold"]
    status_of(apiserver, "POST", CMS, child)
    status, deleting = status_of(
        apiserver, "DELETE", CMS + "/fg-owner", {"propagationPolicy": "Foreground"}
    )
    assert status == 202
    assert "foregroundDeletion" in deleting["metadata"]["finalizers"]
    eventually(
        lambda: "deletionTimestamp" in status_of(apiserver, "GET", CMS + "/fg-child")[1]["metadata"]
    )
    assert status_of(apiserver, "GET", CMS + "/fg-owner")[0] == 200
    release = {"metadata": {"finalizers": None}}
    status_of(
        apiserver, "PATCH", CMS + "/fg-child", release, content_type="application/merge-patch+json"
    )
    eventually(lambda: status_of(apiserver, "GET", CMS + "/fg-owner")[0] == 404)


def test_orphan_deletion_keeps_dependents_without_the_owner_reference(
    apiserver: ApiServerProcess,
) -> None:
    _, owner = status_of(apiserver, "POST", CMS, {"metadata": {"name": "or-owner"}})
    status_of(apiserver, "POST", CMS, owned_configmap("or-child", owner))
    status_of(apiserver, "DELETE", CMS + "/or-owner", {"propagationPolicy": "Orphan"})
    eventually(lambda: status_of(apiserver, "GET", CMS + "/or-owner")[0] == 404)
    _, child = status_of(apiserver, "GET", CMS + "/or-child")
    assert "ownerReferences" not in child["metadata"]


def test_namespace_deletion_empties_the_namespace(apiserver: ApiServerProcess) -> None:
    status_of(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    status_of(
        apiserver, "POST", "/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "a"}}
    )
    status_of(apiserver, "POST", "/api/v1/namespaces/doomed/secrets", {"metadata": {"name": "b"}})
    status, _ = status_of(apiserver, "DELETE", "/api/v1/namespaces/doomed")
    assert status in (200, 202)
    eventually(lambda: status_of(apiserver, "GET", "/api/v1/namespaces/doomed")[0] == 404)
    assert status_of(apiserver, "GET", "/api/v1/namespaces/doomed/configmaps")[1]["items"] == []


MULTI_VERSION_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.org"},
    "spec": {
        "group": "example.org",
        "scope": "Cluster",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [
            {"name": "v1beta1", "served": True, "storage": False},
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                    },
                },
            },
        ],
    },
}


def test_crd_serves_all_versions_and_stores_one(apiserver: ApiServerProcess) -> None:
    status, crd = status_of(
        apiserver,
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        MULTI_VERSION_CRD,
    )
    assert status == 201
    assert {c["type"] for c in crd["status"]["conditions"]} == {"NamesAccepted", "Established"}
    _, group = status_of(apiserver, "GET", "/apis/example.org")
    assert group["preferredVersion"]["version"] == "v1"
    old = {
        "apiVersion": "example.org/v1beta1",
        "kind": "Gadget",
        "metadata": {"name": "g"},
        "spec": {"replicas": 1},
    }
    status, created = status_of(apiserver, "POST", "/apis/example.org/v1beta1/gadgets", old)
    assert (status, created["apiVersion"]) == (201, "example.org/v1beta1")
    _, as_v1 = status_of(apiserver, "GET", "/apis/example.org/v1/gadgets/g")
    assert as_v1["apiVersion"] == "example.org/v1"
    scale = {"spec": {"replicas": 4}}
    status, patched = status_of(
        apiserver,
        "PATCH",
        "/apis/example.org/v1/gadgets/g/scale",
        scale,
        content_type="application/merge-patch+json",
    )
    assert (status, patched["kind"], patched["spec"]["replicas"]) == (200, "Scale", 4)
    status_of(
        apiserver,
        "DELETE",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org",
    )
    assert status_of(apiserver, "GET", "/apis/example.org/v1/gadgets")[0] == 404


def test_every_namespace_gets_a_default_service_account(apiserver: ApiServerProcess) -> None:
    status_of(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "with-sa"}})
    path = "/api/v1/namespaces/with-sa/serviceaccounts/default"
    eventually(lambda: status_of(apiserver, "GET", path)[0] == 200)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocm_core.cli", "apiserver", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_second_server_on_the_same_data_dir_is_refused(apiserver: ApiServerProcess) -> None:
    done = run_cli("--data-dir", str(apiserver.data_dir), "--port", "0")
    assert done.returncode == 1
    assert "in use by another ocm apiserver" in done.stderr


def test_port_in_use_is_a_clear_error(apiserver: ApiServerProcess, tmp_path: Path) -> None:
    done = run_cli("--data-dir", str(tmp_path / "other"), "--port", str(apiserver.port))
    assert done.returncode == 1
    assert "cannot listen on 127.0.0.1" in done.stderr


def test_bad_flags_are_explained(tmp_path: Path) -> None:
    done = run_cli("--data-dir", str(tmp_path), "--port", "70000")
    assert done.returncode != 0
    assert "--port 70000 is out of range" in done.stderr
