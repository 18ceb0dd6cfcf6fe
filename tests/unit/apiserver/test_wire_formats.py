"""Request parsing, protobuf bodies, OpenAPI v2 encoding, tables and JSONPath."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocm_core.apiserver import discovery, jsonpath, openapi, protobuf, requestinfo, table
from ocm_core.apiserver.registry import Registry


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/api/v1/namespaces/ns/configmaps/x", {}, ("get", "", "ns", "configmaps", "x", "")),
        (
            "GET",
            "/api/v1/namespaces/ns/configmaps",
            {"watch": "true"},
            ("watch", "", "ns", "configmaps", "", ""),
        ),
        ("GET", "/api/v1/namespaces/ns", {}, ("get", "", "ns", "namespaces", "ns", "")),
        (
            "PUT",
            "/api/v1/namespaces/ns/finalize",
            {},
            ("update", "", "ns", "namespaces", "ns", "finalize"),
        ),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/d/deployments/w/scale",
            {},
            ("patch", "apps", "d", "deployments", "w", "scale"),
        ),
        (
            "DELETE",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            {},
            ("deletecollection", "rbac.authorization.k8s.io", "", "clusterroles", "", ""),
        ),
    ],
)
def test_request_info(
    method: str, path: str, query: dict[str, str], expected: tuple[str, ...]
) -> None:
    info = requestinfo.parse(method, path, query)
    assert info.resource_request
    assert (
        info.verb,
        info.api_group,
        info.namespace,
        info.resource,
        info.name,
        info.subresource,
    ) == expected


def test_non_resource_paths() -> None:
    assert not requestinfo.parse("GET", "/healthz", {}).resource_request
    assert not requestinfo.parse("GET", "/apis/apps/v1", {}).resource_request


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_protobuf_secret_decodes_to_json_shape() -> None:
    meta = _field(1, b"s") + _field(3, b"") + _field(11, _field(1, b"app") + _field(2, b"x"))
    secret = _field(1, meta) + _field(2, _field(1, b"k") + _field(2, b"v")) + _field(3, b"Opaque")
    type_meta = _field(1, b"v1") + _field(2, b"Secret")
    body = protobuf.MAGIC + _field(1, type_meta) + _field(2, secret)
    assert protobuf.decode_object(body) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "labels": {"app": "x"}},
        "data": {"k": "dg=="},
        "type": "Opaque",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not protobuf",
        protobuf.MAGIC + _field(1, _field(2, b"CustomResourceDefinition")),
        protobuf.MAGIC + b"\x0a\x05ab",
    ],
    ids=["no-magic", "unsupported-kind", "truncated"],
)
def test_protobuf_rejects_what_it_cannot_decode(body: bytes) -> None:
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode_object(body)


def test_openapi_v2_protobuf_lists_every_kind_with_field_validation() -> None:
    registry = Registry.with_builtins()
    document = openapi.v2_protobuf(registry)
    top = dict(protobuf.fields(document))
    assert top[1] == b"2.0"
    paths = top[8]
    assert isinstance(paths, bytes)
    items = [v for n, v in protobuf.fields(paths) if n == 2]
    assert len(items) == len(registry.all())
    assert b"fieldValidation" in document
    assert b"kind: ConfigMap" in document


def test_openapi_v3_root_hash_changes_when_a_crd_is_added() -> None:
    registry = Registry.with_builtins()
    before = openapi.v3_root(registry)["paths"]["api/v1"]["serverRelativeURL"]
    assert "apis/example.com/v1" not in openapi.v3_root(registry)["paths"]
    registry.add_crd(
        {
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "kind": "Widget"},
                "versions": [{"name": "v1", "served": True, "storage": True}],
            },
        }
    )
    assert "apis/example.com/v1" in openapi.v3_root(registry)["paths"]
    assert openapi.v3_root(registry)["paths"]["api/v1"]["serverRelativeURL"] == before


def test_jsonpath_filters_conditions_by_type() -> None:
    obj = {
        "status": {
            "conditions": [{"type": "A", "status": "False"}, {"type": "B", "status": "True"}]
        }
    }
    assert jsonpath.evaluate(obj, '.status.conditions[?(@.type=="B")].status') == ["True"]
    assert jsonpath.evaluate(obj, ".status.conditions[0].type") == ["A"]
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.evaluate(obj, ".status..x")


def test_table_rows_carry_metadata_objects_and_ages() -> None:
    registry = Registry.with_builtins()
    info = registry.lookup("", "v1", "configmaps")
    assert info is not None
    cm = {"metadata": {"name": "a", "namespace": "n", "creationTimestamp": "2026-01-01T00:00:00Z"}}
    rendered = table.to_table(
        info, [cm], include=table.IncludeObject.METADATA, now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    )
    assert [c["name"] for c in rendered["columnDefinitions"]] == ["Name", "Age"]
    assert rendered["rows"][0]["cells"] == ["a", "5m"]
    assert rendered["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
            "v2",
            id="kubectl-1.33",
        ),
        pytest.param(
            "application/json;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io,application/json",
            "v2beta1",
            id="any-parameter-order",
        ),
        pytest.param("application/json", None, id="legacy"),
    ],
)
def test_aggregated_discovery_negotiation(accept: str, expected: str | None) -> None:
    assert discovery.aggregated_version(accept) == expected


def test_aggregated_discovery_lists_subresources_with_their_kinds() -> None:
    document = discovery.aggregated(Registry.with_builtins(), core=False, version="v2")
    apps = next(i for i in document["items"] if i["metadata"]["name"] == "apps")
    deployments = next(
        r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments"
    )
    scale = next(s for s in deployments["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert deployments["scope"] == "Namespaced"


def test_protobuf_self_subject_access_review() -> None:
    attributes = _field(1, b"default") + _field(2, b"create") + _field(5, b"configmaps")
    review = _field(1, b"") + _field(2, _field(1, attributes))
    type_meta = _field(1, b"authorization.k8s.io/v1") + _field(2, b"SelfSubjectAccessReview")
    decoded = protobuf.decode_object(protobuf.MAGIC + _field(1, type_meta) + _field(2, review))
    assert decoded["spec"] == {
        "resourceAttributes": {"namespace": "default", "verb": "create", "resource": "configmaps"}
    }
