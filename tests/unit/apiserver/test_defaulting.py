"""CRD schema defaults are filled into missing fields only."""

from __future__ import annotations

from typing import Any

from ocm_core.apiserver.defaulting import apply_defaults, schema_without_metadata

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metadata": {"type": "object", "properties": {"name": {"default": "nope"}}},
        "spec": {
            "type": "object",
            "default": {},
            "properties": {
                "leaseDurationSeconds": {"type": "integer", "default": 60},
                "taints": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"effect": {"default": "NoSelect"}}},
                },
                "labels": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"on": {"default": True}},
                    },
                },
            },
        },
    },
}


def test_defaults_fill_missing_fields_recursively() -> None:
    obj = {"metadata": {}, "spec": {"taints": [{"key": "a"}, {"effect": "X"}], "labels": {"x": {}}}}
    result = apply_defaults(obj, schema_without_metadata(SCHEMA))
    assert result["spec"]["leaseDurationSeconds"] == 60
    assert result["spec"]["taints"] == [{"key": "a", "effect": "NoSelect"}, {"effect": "X"}]
    assert result["spec"]["labels"] == {"x": {"on": True}}
    assert result["metadata"] == {}, "metadata is never defaulted"
    assert "leaseDurationSeconds" not in obj["spec"], "input unchanged"


def test_defaults_create_missing_parents_and_keep_present_values() -> None:
    assert apply_defaults({}, SCHEMA)["spec"]["leaseDurationSeconds"] == 60
    kept = apply_defaults({"spec": {"leaseDurationSeconds": 5}}, SCHEMA)
    assert kept["spec"]["leaseDurationSeconds"] == 5
