"""The structural-schema checker: kube-like errors, pruning, defaulting, structural checks."""
# ruff: noqa: E501  (expected kube error messages are kept on one line to stay greppable)

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.api import schema

CONDITION = {
    "type": "object",
    "required": ["type", "status"],
    "properties": {
        "type": {"type": "string", "maxLength": 8},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
    },
}

WORK = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
                "replicas": {"type": "integer", "minimum": 1, "default": 3},
                "ratio": {"type": "number", "maximum": 1},
                "enabled": {"type": "boolean", "nullable": True},
                "maxFailures": {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                    "pattern": "^[0-9]+%?$",
                    "default": 0,
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "caBundle": {"type": "string", "format": "byte"},
                "strategy": {
                    "type": "object",
                    "default": {"type": "All"},
                    "properties": {
                        "type": {"type": "string"},
                        "all": {
                            "type": "object",
                            "default": {},
                            "properties": {"deadline": {"type": "string", "default": "None"}},
                        },
                    },
                },
                "workload": {
                    "type": "object",
                    "properties": {
                        "manifests": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 2,
                            "items": {
                                "type": "object",
                                "x-kubernetes-embedded-resource": True,
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        }
                    },
                },
                "conditions": {
                    "type": "array",
                    "items": CONDITION,
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                },
            },
        },
    },
}


def errors(obj: Any) -> list[str]:
    return [str(error) for error in schema.validate(WORK, obj)]


def test_valid_object_has_no_errors() -> None:
    obj = {
        "apiVersion": "x/v1",
        "kind": "Work",
        "metadata": {"name": "w"},
        "spec": {
            "name": "abc",
            "replicas": 2,
            "ratio": 0.5,
            "enabled": None,
            "maxFailures": "10%",
            "labels": {"a": "b"},
            "caBundle": "aGVsbG8=",
            "workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "data": {}}]},
            "conditions": [
                {"type": "Applied", "status": "True", "lastTransitionTime": "2026-01-02T03:04:05Z"}
            ],
        },
    }
    assert errors(obj) == []


def test_missing_required_field() -> None:
    assert errors({"spec": {}}) == ["spec.name: Required value"]


def test_embedded_resource_needs_api_version_and_kind() -> None:
    obj = {"spec": {"name": "a", "workload": {"manifests": [{"metadata": {"name": "x"}}]}}}
    assert errors(obj) == [
        "spec.workload.manifests[0].apiVersion: Required value: must not be empty",
        "spec.workload.manifests[0].kind: Required value: must not be empty",
    ]


def test_wrong_type_reads_like_kube() -> None:
    assert errors({"spec": {"name": "a", "replicas": "two"}}) == [
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'
    ]


def test_null_is_a_type_error_unless_nullable() -> None:
    assert errors({"spec": {"name": "a", "enabled": None}}) == []
    assert errors({"spec": {"name": None}}) == [
        'spec.name: Invalid value: "null": spec.name in body must be of type string: "null"'
    ]


def test_enum_lists_supported_values() -> None:
    obj = {"spec": {"name": "a", "conditions": [{"type": "Applied", "status": "Maybe"}]}}
    assert errors(obj) == [
        'spec.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"'
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            {"name": "A1"},
            "spec.name: Invalid value: \"A1\": spec.name in body should match '^[a-z]+$'",
            id="pattern",
        ),
        pytest.param(
            {"name": "a", "replicas": 0},
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
            id="minimum",
        ),
        pytest.param(
            {"name": "a", "ratio": 1.5},
            "spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than or equal to 1",
            id="maximum",
        ),
        pytest.param(
            {"name": "a", "labels": {"k": 1}},
            'spec.labels.k: Invalid value: "integer": spec.labels.k in body must be of type string: "integer"',
            id="additionalProperties",
        ),
        pytest.param(
            {"name": "a", "caBundle": "not base64!"},
            'spec.caBundle: Invalid value: "not base64!": spec.caBundle in body must be of type byte',
            id="format-byte",
        ),
        pytest.param(
            {"name": "a", "maxFailures": True},
            'spec.maxFailures: Invalid value: "boolean": spec.maxFailures in body must be of type integer or string: "boolean"',
            id="int-or-string",
        ),
        pytest.param(
            {"name": "a", "maxFailures": "ten"},
            "spec.maxFailures: Invalid value: \"ten\": spec.maxFailures in body should match '^[0-9]+%?$'",
            id="int-or-string-pattern",
        ),
        pytest.param(
            {"name": "a", "workload": {"manifests": []}},
            "spec.workload.manifests: Invalid value: 0: spec.workload.manifests in body should have at least 1 items",
            id="minItems",
        ),
        pytest.param(
            {"name": "a", "workload": {"manifests": [{"apiVersion": "v1", "kind": "A"}] * 3}},
            "spec.workload.manifests: Too many: 3: must have at most 2 items",
            id="maxItems",
        ),
        pytest.param(
            {"name": "a", "conditions": [{"type": "LongerThan8", "status": "True"}]},
            "spec.conditions[0].type: Too long: may not be more than 8 bytes",
            id="maxLength",
        ),
        pytest.param(
            {
                "name": "a",
                "conditions": [{"type": "A", "status": "True", "lastTransitionTime": "yesterday"}],
            },
            'spec.conditions[0].lastTransitionTime: Invalid value: "yesterday": spec.conditions[0].lastTransitionTime in body must be of type date-time',
            id="format-date-time",
        ),
        pytest.param(
            {
                "name": "a",
                "conditions": [{"type": "A", "status": "True"}, {"type": "A", "status": "False"}],
            },
            'spec.conditions[1]: Duplicate value: {"type": "A"}',
            id="list-map-duplicate",
        ),
    ],
)
def test_value_rules(spec: dict[str, Any], message: str) -> None:
    assert errors({"spec": spec}) == [message]


def test_every_failed_rule_is_reported() -> None:
    assert errors({"spec": {"name": ""}}) == [
        'spec.name: Invalid value: "": spec.name in body should be at least 1 chars long',
        "spec.name: Invalid value: \"\": spec.name in body should match '^[a-z]+$'",
    ]


def test_null_int_or_string_is_a_type_error() -> None:
    assert errors({"spec": {"name": "a", "maxFailures": None}}) == [
        'spec.maxFailures: Invalid value: "null": spec.maxFailures in body must be of type integer or string: "null"'
    ]


@pytest.mark.parametrize(
    ("stamp", "valid"),
    [
        ("2026-11-27T12:00:00Z", True),
        ("2026-11-27t12:00:00.123456+02:00", True),
        ("2026-11-27", False),
        ("2026-11-27T12:00:00", False),
        ("2026-13-27T12:00:00Z", False),
    ],
)
def test_date_time_must_be_rfc3339(stamp: str, valid: bool) -> None:
    node = {"type": "string", "format": "date-time"}
    assert (schema.validate(node, stamp) == []) is valid


def test_integral_float_counts_as_integer() -> None:
    assert errors({"spec": {"name": "a", "replicas": 2.0}}) == []
    assert len(errors({"spec": {"name": "a", "replicas": 2.5}})) == 1


def test_combinators() -> None:
    one_of = {"oneOf": [{"required": ["a"]}, {"required": ["b"]}], "type": "object"}
    assert schema.validate(one_of, {"a": 1}) == []
    assert [e.detail for e in schema.validate(one_of, {"a": 1, "b": 2})] == [
        "must validate one and only one schema (oneOf)"
    ]
    not_schema = {"type": "object", "not": {"required": ["x"]}}
    assert len(schema.validate(not_schema, {"x": 1})) == 1


def test_prune_drops_and_reports_unknown_fields() -> None:
    obj = {
        "apiVersion": "x/v1",
        "kind": "Work",
        "metadata": {"name": "w", "labels": {"a": "b"}},
        "extra": 1,
        "spec": {
            "name": "a",
            "bogus": {"deep": 1},
            "name2": None,
            "replicas": None,
            "workload": {
                "manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}]
            },
            "conditions": [{"type": "A", "status": "True", "reason2": "x"}],
        },
    }
    pruned, dropped = schema.prune(WORK, obj)
    assert dropped == ["extra", "spec.bogus", "spec.name2", "spec.conditions[0].reason2"]
    assert pruned == {
        "apiVersion": "x/v1",
        "kind": "Work",
        "metadata": {"name": "w", "labels": {"a": "b"}},
        "spec": {
            "name": "a",
            "workload": {
                "manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}]
            },
            "conditions": [{"type": "A", "status": "True"}],
        },
    }
    assert "extra" in obj  # the input is untouched


def test_defaults_fill_missing_fields_and_nested_defaults_of_defaults() -> None:
    obj = {"spec": {"name": "a", "replicas": None}}
    defaulted = schema.apply_defaults(WORK, obj)
    assert defaulted["spec"] == {
        "name": "a",
        "replicas": 3,
        "maxFailures": 0,
        "strategy": {"type": "All", "all": {"deadline": "None"}},
    }
    assert obj == {"spec": {"name": "a", "replicas": None}}


def test_defaults_keep_values_that_are_set() -> None:
    obj = {"spec": {"name": "a", "replicas": 5, "strategy": {"type": "Progressive"}}}
    defaulted = schema.apply_defaults(WORK, obj)
    assert defaulted["spec"]["replicas"] == 5
    assert defaulted["spec"]["strategy"] == {"type": "Progressive", "all": {"deadline": "None"}}


def test_structural_problems() -> None:
    assert schema.structural_problems(WORK) == []
    broken = {
        "type": "object",
        "properties": {
            "a": {"description": "no type"},
            "b": {"type": "array"},
            "c": {"type": "string", "properties": {}},
            "d": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            "e": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "f": {"type": "integer", "default": "three"},
            "g": {"type": "object", "properties": {}, "default": {"x": 1}},
        },
    }
    assert schema.structural_problems(broken) == [
        "<root>.properties[a]: type: Required value: must not be empty for specified object fields",
        "<root>.properties[b]: items: Required value: must be specified for arrays",
        "<root>.properties[c]: properties are only allowed for type object",
        "<root>.properties[d]: additionalProperties and properties are mutually exclusive",
        "<root>.properties[e].items.properties[name]: Required value: this property is in "
        "x-kubernetes-list-map-keys, so it must have a default or be a required property",
        '<root>.properties[f].default: <root>: Invalid value: "string": body must be of type integer: "string"',
        "<root>.properties[g].default: x: must not have unknown fields",
    ]
