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


def test_built_in_kinds_with_a_schema_are_published_and_others_are_not() -> None:
    document = openapi.v3_document(Registry.with_builtins(), "api/v1")
    assert document is not None
    schemas = document["components"]["schemas"]
    assert "io.k8s.api.core.v1.ConfigMap" in schemas
    assert "data" in schemas["io.k8s.api.core.v1.ConfigMap"]["properties"]
    assert "io.k8s.api.core.v1.Pod" not in schemas


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
