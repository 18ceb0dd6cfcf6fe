"""Field validation rules: duplicate and unknown fields, pruning, kube's wording."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from ocm_core.apiserver import errors, fieldvalidation
from ocm_core.apiserver.fieldvalidation import Mode
from ocm_core.apiserver.registry import builtin_resources
from ocm_core.apiserver.schemas import BUILTIN_SCHEMAS, schema_for

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "knownField1": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "ports": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                    },
                },
                "template": {"type": "object", "x-kubernetes-embedded-resource": True},
            },
        },
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}


def test_json_duplicates_are_reported_and_the_last_value_wins() -> None:
    decoded = fieldvalidation.decode_json(b'{"spec": {"a": 1, "a": 2, "b": {"c": 1, "c": 3}}}')
    assert decoded.value == {"spec": {"a": 2, "b": {"c": 3}}}
    assert decoded.duplicates == ['duplicate field "c"', 'duplicate field "a"']
    assert fieldvalidation.decode_json(b'{"a": 1}').duplicates == []


def test_yaml_duplicates_are_reported_with_their_line() -> None:
    decoded = fieldvalidation.decode_yaml("spec:\n  a: 1\n  b: 2\n  a: 3\n")
    assert decoded.value == {"spec": {"a": 3, "b": 2}}
    assert decoded.duplicates == ['line 4: key "a" already set in map']
    with pytest.raises(yaml.YAMLError):
        fieldvalidation.decode_yaml("a: [")


def test_unknown_fields_are_found_at_every_depth_in_kube_order() -> None:
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "lables": {}},
        "spec": {
            "knownField1": "x",
            "unknown1": 1,
            "labels": {"any": "thing"},
            "free": {"whatever": {"deep": True}},
            "ports": [{"name": "p", "port": 1}, {"name": "q", "unknownNested": 2}],
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {}, "bogus": 1},
        },
        "extra": True,
    }
    assert fieldvalidation.unknown_fields(SCHEMA, obj) == [
        "extra",
        "metadata.lables",
        "spec.ports[1].unknownNested",
        "spec.template.bogus",
        "spec.unknown1",
    ]


def test_without_a_schema_only_metadata_is_checked() -> None:
    obj = {"metadata": {"name": "x", "bogus": 1}, "spec": {"anything": 1}}
    assert fieldvalidation.unknown_fields(None, obj) == ["metadata.bogus"]


def test_patches_may_carry_directives_and_deletions() -> None:
    patch = {
        "metadata": {"annotations": None},
        "spec": {"$setElementOrder/ports": [], "gone": None, "typo": 1},
    }
    assert fieldvalidation.unknown_fields(SCHEMA, patch, patch=True) == ["spec.typo"]
    pruned = fieldvalidation.prune_unknown(SCHEMA, patch, patch=True)
    assert pruned == {
        "metadata": {"annotations": None},
        "spec": {"$setElementOrder/ports": [], "gone": None},
    }


def test_pruning_copies_and_keeps_everything_declared() -> None:
    obj: dict[str, Any] = {
        "metadata": {"name": "w", "x": 1},
        "spec": {"knownField1": "k", "ports": [{"a": 1}]},
    }
    pruned = fieldvalidation.prune_unknown(SCHEMA, obj)
    assert pruned == {"metadata": {"name": "w"}, "spec": {"knownField1": "k", "ports": [{}]}}
    assert obj["metadata"]["x"] == 1  # the input is untouched
    clean = {"metadata": {"name": "w"}}
    assert fieldvalidation.prune_unknown(SCHEMA, clean) is clean


def test_messages_read_like_kube() -> None:
    found = fieldvalidation.problems(['duplicate field "a"'], ["spec.foo", "spec.bar"])
    assert found == ['duplicate field "a"', 'unknown field "spec.foo"', 'unknown field "spec.bar"']
    assert fieldvalidation.strict_decoding_message("ConfigMap", "v1", ['unknown field "x"']) == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: '
        'strict decoding error: unknown field "x"'
    )
    assert fieldvalidation.typed_patch_message("ns", "n", "apps/v1", "Deployment", "spec.x") == (
        "failed to create typed patch object (ns/n; apps/v1, Kind=Deployment): "
        ".spec.x: field not declared in schema"
    )
    assert fieldvalidation.typed_patch_message("", "n", "v1", "Namespace", "x").startswith(
        "failed to create typed patch object (/n; /v1, Kind=Namespace)"
    )
    assert fieldvalidation.warning_header('unknown field "a\\b"') == (
        '299 - "unknown field \\"a\\\\b\\""'
    )


def test_mode_defaults_to_warn() -> None:
    assert fieldvalidation.mode_of("") is Mode.WARN
    assert fieldvalidation.mode_of("Strict") is Mode.STRICT
    assert fieldvalidation.mode_of("Ignore") is Mode.IGNORE


def test_invalid_patch_renders_the_patch_as_go_does() -> None:
    error = errors.invalid_patch({"spec": {"b": [1, None], "a": True}}, "strict decoding error")
    assert error.code == 422
    assert error.message == (
        '"" is invalid: patch: Invalid value: "map[spec:map[a:true b:[1 <nil>]]]": '
        "strict decoding error"
    )


def test_builtin_kinds_get_their_schema_and_crds_keep_theirs() -> None:
    served = {(info.resource, info.version): info for info in builtin_resources()}
    configmaps, pods = served[("configmaps", "v1")], served[("pods", "v1")]
    assert schema_for(configmaps) is BUILTIN_SCHEMAS[("", "ConfigMap")]
    assert schema_for(pods) is BUILTIN_SCHEMAS[("", "Pod")]
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "data": {"a": "b"}}
    assert fieldvalidation.unknown_fields(schema_for(configmaps), config_map) == []
    assert fieldvalidation.unknown_fields(schema_for(configmaps), {"datta": {}}) == ["datta"]
    assert schema_for(dataclasses.replace(configmaps, schema=SCHEMA)) is SCHEMA
