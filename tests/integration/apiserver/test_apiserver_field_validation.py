"""``fieldValidation=Strict|Warn|Ignore`` on a real server: raw HTTP, kubectl and its messages.

The CRD has a structural schema (a typo'd field is unknown); ConfigMap has a built-in schema.
"""

from __future__ import annotations

import json
import shutil
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.apiserver.test_apiserver_kubectl import kubectl
from tests.support.apiserver_process import DEADLINE_SECONDS, ApiServerProcess

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
needs_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string}
              ports:
                type: array
                items: {type: object, properties: {port: {type: integer}}}
"""
GADGETS = "/apis/example.com/v1/namespaces/default/gadgets"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def _request(
    server: ApiServerProcess,
    method: str,
    path: str,
    body: str,
    content_type: str = "application/json",
) -> tuple[int, Any, list[str]]:
    """One request as the admin: (status, decoded JSON body, Warning header values)."""
    token = (server.data_dir / "admin.token").read_text().strip()
    request = urllib.request.Request(
        f"https://127.0.0.1:{server.port}{path}",
        data=body.encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    context = ssl.create_default_context(cafile=str(server.data_dir / "ca.crt"))
    try:
        with urllib.request.urlopen(request, context=context, timeout=DEADLINE_SECONDS) as answer:
            return answer.status, json.loads(answer.read()), answer.headers.get_all("Warning") or []
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get_all("Warning") or []


@pytest.fixture(scope="module")
def gadgets(apiserver: ApiServerProcess) -> ApiServerProcess:
    status, body, _ = _request(
        apiserver, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD,
        "application/yaml",
    )  # fmt: skip
    assert status == 201, body
    return apiserver


def _gadget(name: str) -> str:
    """A Gadget with a duplicate field and two unknown ones (JSON text: dicts cannot repeat)."""
    spec = '{"size": "s", "size": "m", "sise": "l", "ports": [{"port": 1, "prot": 2}]}'
    head = f'"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {{"name": "{name}"}}'
    return f'{{{head}, "spec": {spec}}}'


def test_strict_rejects_unknown_and_duplicate_fields(gadgets: ApiServerProcess) -> None:
    status, body, _ = _request(gadgets, "POST", f"{GADGETS}?fieldValidation=Strict", _gadget("g1"))
    assert status == 400
    assert body["reason"] == "BadRequest"
    assert body["message"] == (
        'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: '
        'duplicate field "size", unknown field "spec.ports[0].prot", unknown field "spec.sise"'
    )


@pytest.mark.parametrize("query", ["?fieldValidation=Warn", ""])
def test_warn_and_the_default_send_warnings_and_prune(
    gadgets: ApiServerProcess, query: str
) -> None:
    name = f"g-warn{len(query)}"
    status, body, warnings = _request(gadgets, "POST", f"{GADGETS}{query}", _gadget(name))
    assert status == 201, body
    assert warnings == [
        '299 - "duplicate field \\"size\\""',
        '299 - "unknown field \\"spec.ports[0].prot\\""',
        '299 - "unknown field \\"spec.sise\\""',
    ]
    assert body["spec"] == {"size": "m", "ports": [{"port": 1}]}


def test_ignore_prunes_silently(gadgets: ApiServerProcess) -> None:
    query = "?fieldValidation=Ignore"
    status, body, warnings = _request(gadgets, "POST", f"{GADGETS}{query}", _gadget("g-ign"))
    assert (status, warnings) == (201, [])
    assert body["spec"] == {"size": "m", "ports": [{"port": 1}]}


def test_patches_are_checked_too(gadgets: ApiServerProcess) -> None:
    _request(gadgets, "POST", f"{GADGETS}?fieldValidation=Ignore", _gadget("g-patch"))
    merge = "application/merge-patch+json"
    status, body, _ = _request(
        gadgets, "PATCH", f"{GADGETS}/g-patch?fieldValidation=Strict",
        '{"spec": {"colour": "red"}}', merge,
    )  # fmt: skip
    assert status == 422
    assert body["message"] == (
        '"" is invalid: patch: Invalid value: "map[spec:map[colour:red]]": '
        'strict decoding error: unknown field "spec.colour"'
    )
    status, body, warnings = _request(
        gadgets, "PATCH", f"{GADGETS}/g-patch", '{"spec": {"colour": "red", "size": null}}', merge
    )
    assert status == 200
    assert warnings == ['299 - "unknown field \\"spec.colour\\""']
    assert body["spec"] == {"ports": [{"port": 1}]}
    status, body, _ = _request(
        gadgets, "PATCH", f"{GADGETS}/g-patch?fieldManager=t&fieldValidation=Strict",
        '{"apiVersion": "example.com/v1", "kind": "Gadget", "spec": {"colour": "red"}}',
        "application/apply-patch+yaml",
    )  # fmt: skip
    assert status == 500
    assert body["message"] == (
        "failed to create typed patch object (default/g-patch; example.com/v1, Kind=Gadget): "
        ".spec.colour: field not declared in schema"
    )


def test_yaml_duplicates_name_their_line(gadgets: ApiServerProcess) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {}\ndata: {}\n"
    status, body, _ = _request(
        gadgets, "POST", f"{CONFIGMAPS}?fieldValidation=Strict", manifest, "application/yaml"
    )
    assert status == 400
    assert body["message"].endswith('strict decoding error: line 5: key "data" already set in map')


@needs_kubectl
def test_kubectl_apply_with_a_typo_fails_as_on_a_real_cluster(
    kube_env: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndatta: {a: b}\n")
    failed = kubectl(kube_env, "apply", "-f", str(manifest), ok=False)
    assert failed.returncode != 0
    assert failed.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{manifest}": ConfigMap in version '
        '"v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datta"'
    )
    warned = kubectl(kube_env, "apply", "--validate=warn", "-f", str(manifest))
    assert 'Warning: unknown field "datta"' in warned.stderr
    assert "configmap/typo created" in warned.stdout
    server_side = kubectl(kube_env, "apply", "--server-side", "-f", str(manifest), ok=False)
    assert "failed to create typed patch object (default/typo; /v1, Kind=ConfigMap): .datta: " in (
        server_side.stderr
    )


@needs_kubectl
def test_kubectl_apply_of_a_custom_resource_with_a_typo(
    gadgets: ApiServerProcess, kube_env: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "gadget.yaml"
    manifest.write_text(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: typo}\nspec: {sise: l}\n"
    )
    failed = kubectl(kube_env, "apply", "-f", str(manifest), ok=False)
    assert failed.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{manifest}": Gadget in version '
        '"v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.sise"'
    )
