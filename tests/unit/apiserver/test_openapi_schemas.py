"""OpenAPI v3 documents carry the kinds' schemas, GVK-tagged, for ``kubectl explain``."""

from __future__ import annotations

from typing import Any

from ocm_core.apiserver import openapi
from ocm_core.apiserver.registry import Registry

CRD: dict[str, Any] = {
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "A widget.",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "description": "What the widget should be.",
                                "properties": {"size": {"type": "string"}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


def test_a_crd_schema_is_published_with_its_gvk_and_the_object_fields() -> None:
    registry = Registry.with_builtins()
    registry.add_crd(CRD)
    document = openapi.v3_document(registry, "apis/example.com/v1")
    assert document is not None
    schema = document["components"]["schemas"]["com.example.v1.Widget"]
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "version": "v1", "kind": "Widget"}
    ]
    assert schema["description"] == "A widget."
    assert schema["properties"]["spec"]["properties"]["size"] == {"type": "string"}
    assert {"apiVersion", "kind", "metadata"} <= schema["properties"].keys()


def test_built_in_kinds_are_published_under_kubes_names() -> None:
    registry = Registry.with_builtins()
    core = openapi.v3_document(registry, "api/v1")
    apps = openapi.v3_document(registry, "apis/apps/v1")
    crds = openapi.v3_document(registry, "apis/apiextensions.k8s.io/v1")
    assert core is not None
    assert apps is not None
    assert crds is not None
    schemas = core["components"]["schemas"]
    assert "data" in schemas["io.k8s.api.core.v1.ConfigMap"]["properties"]
    assert "containers" in schemas["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["properties"]
    deployment = apps["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "version": "v1", "kind": "Deployment"}
    ]
    assert list(crds["components"]["schemas"]) == [
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
    ]


def test_a_crd_without_a_schema_is_not_published() -> None:
    registry = Registry.with_builtins()
    version = {k: v for k, v in CRD["spec"]["versions"][0].items() if k != "schema"}
    registry.add_crd({**CRD, "spec": {**CRD["spec"], "versions": [version]}})
    document = openapi.v3_document(registry, "apis/example.com/v1")
    assert document is not None
    assert document["components"]["schemas"] == {}


def test_the_document_hash_follows_the_schema() -> None:
    registry = Registry.with_builtins()
    registry.add_crd(CRD)
    before = openapi.v3_root(registry)["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    changed = {**CRD, "spec": {**CRD["spec"], "versions": [dict(CRD["spec"]["versions"][0])]}}
    changed["spec"]["versions"][0]["schema"] = {
        "openAPIV3Schema": {"type": "object", "description": "Changed."}
    }
    registry.add_crd(changed)
    after = openapi.v3_root(registry)["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    assert after != before
