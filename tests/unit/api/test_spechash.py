"""Config spec hashes must equal a Go hub's: the expected bytes below are Go's encoding/json
output for the same values, written out by hand from Go's documented rules."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocm_core.api import spechash


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            {"b": 1, "a": {"d": [1, 2.5], "c": None}},
            '{"a":{"c":null,"d":[1,2.5]},"b":1}',
            id="nested-maps-sorted",
        ),
        pytest.param(
            {"b": 0, "é": 0, "aa": 0, "B": 0, "a": 0},
            '{"B":0,"a":0,"aa":0,"b":0,"é":0}',
            id="keys-by-utf8-bytes",
        ),
        pytest.param(
            {"t": True, "f": False, "n": None, "l": []},
            '{"f":false,"l":[],"n":null,"t":true}',
            id="literals",
        ),
        pytest.param(
            "<a href='x'>&amp;</a>",
            "\"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\"",
            id="html-escaped",
        ),
        pytest.param('say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"', id="quote-and-backslash"),
        pytest.param(
            "\x01\n\r\t\b\f\x1f\x7f", '"\\u0001\\n\\r\\t\\b\\f\\u001f\x7f"', id="control-characters"
        ),
        pytest.param("héllo ☃ 😀", '"héllo ☃ 😀"', id="unicode-raw"),
        pytest.param("a\u2028b\u2029c", '"a\\u2028b\\u2029c"', id="line-separators-escaped"),
        pytest.param("bad\ud800x", '"bad\\ufffdx"', id="lone-surrogate-replaced"),
        pytest.param(1.0, "1", id="integral-float"),
        pytest.param(-0.0, "-0", id="negative-zero"),
        pytest.param(0.5, "0.5", id="half"),
        pytest.param(0.1, "0.1", id="shortest-digits"),
        pytest.param(123456789.125, "123456789.125", id="plain-float"),
        pytest.param(1e20, "100000000000000000000", id="below-1e21-plain"),
        pytest.param(1e21, "1e+21", id="1e21-exponent"),
        pytest.param(1.5e300, "1.5e+300", id="large-exponent"),
        pytest.param(0.000001, "0.000001", id="1e-6-plain"),
        pytest.param(1e-7, "1e-7", id="below-1e-6-exponent-trimmed"),
        pytest.param(-2.5e-10, "-2.5e-10", id="two-digit-negative-exponent"),
        pytest.param(5e-324, "5e-324", id="smallest-subnormal"),
        pytest.param(9223372036854775807, "9223372036854775807", id="int64-max"),
        pytest.param(-9223372036854775808, "-9223372036854775808", id="int64-min"),
        pytest.param(2**64, "18446744073709552000", id="beyond-int64-is-float64"),
        pytest.param([1, "x", [None]], '[1,"x",[null]]', id="arrays"),
    ],
)
def test_go_json_encoding(value: Any, expected: str) -> None:
    assert spechash.go_json_dumps(value) == expected.encode("utf-8")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="unsupported value"):
        spechash.go_json_dumps({"spec": {"x": value}})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="map keys must be strings"):
        spechash.go_json_dumps({"spec": {1: "x"}})


def test_hash_leaves_out_type_meta_metadata_and_status() -> None:
    obj = {
        "apiVersion": "addon.open-cluster-management.io/v1alpha1",
        "kind": "AddOnDeploymentConfig",
        "metadata": {"name": "cfg", "namespace": "c1", "resourceVersion": "7"},
        "status": {"anything": 1},
        "spec": {
            "agentInstallNamespace": "ns",
            "customizedVariables": [{"name": "a", "value": "<b>"}],
        },
        "data": {"k": "v"},
    }
    go_bytes = (
        b'{"data":{"k":"v"},"spec":{"agentInstallNamespace":"ns",'
        b'"customizedVariables":[{"name":"a","value":"\\u003cb\\u003e"}]}}'
    )
    assert spechash.config_spec_hash(obj) == hashlib.sha256(go_bytes).hexdigest()


def test_hash_of_an_object_with_only_metadata_is_the_hash_of_an_empty_map() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    assert spechash.config_spec_hash(obj) == (
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )


def test_hash_of_a_proxy_config_matches_a_fixed_value() -> None:
    # Precomputed: sha256 of b'{"spec":{"nodePlacement":{"nodeSelector":{"a":"b"}},"proxyConfig":'
    # b'{"httpProxy":"http://p:3128","noProxy":"10.0.0.0/8,.svc"}}}'
    obj = {
        "metadata": {"name": "deploy-config", "namespace": "open-cluster-management-hub"},
        "spec": {
            "proxyConfig": {"noProxy": "10.0.0.0/8,.svc", "httpProxy": "http://p:3128"},
            "nodePlacement": {"nodeSelector": {"a": "b"}},
        },
    }
    go_bytes = (
        b'{"spec":{"nodePlacement":{"nodeSelector":{"a":"b"}},"proxyConfig":'
        b'{"httpProxy":"http://p:3128","noProxy":"10.0.0.0/8,.svc"}}}'
    )
    assert spechash.config_spec_hash(obj) == hashlib.sha256(go_bytes).hexdigest()
    assert spechash.config_spec_hash(obj) == FIXED_PROXY_CONFIG_HASH


def test_equal_values_hash_equal_whatever_the_key_order() -> None:
    first = {"spec": {"a": 1, "b": {"x": 1.0, "y": "z"}}}
    second = {"spec": {"b": {"y": "z", "x": 1}, "a": 1}}
    assert spechash.config_spec_hash(first) == spechash.config_spec_hash(second)


FIXED_PROXY_CONFIG_HASH = "448b15b7e0a85facac438a61ad64859a24207d0178d0d7e9e65de5d888b61146"


def test_config_spec_hash_annotation_matches_upstream_format() -> None:
    references: list[dict[str, Any]] = [
        {
            "group": "addon.open-cluster-management.io",
            "resource": "addondeploymentconfigs",
            "desiredConfig": {
                "namespace": "open-cluster-management",
                "name": "default",
                "specHash": "cca7",
            },
        },
        {
            "group": "addon.open-cluster-management.io",
            "resource": "addonhubconfigs",
            "desiredConfig": {"name": "default", "specHash": "613d"},
        },
        {
            "group": "",
            "resource": "configmaps",
            "desiredConfig": {"namespace": "ns", "name": "<x>", "specHash": "1"},
        },
        {"group": "", "resource": "secrets"},
    ]
    assert spechash.config_spec_hash_annotation(references) == (
        '{"addondeploymentconfigs.addon.open-cluster-management.io/open-cluster-management/default":"cca7",'
        '"addonhubconfigs.addon.open-cluster-management.io//default":"613d",'
        '"configmaps/ns/\\u003cx\\u003e":"1"}'
    )


def test_no_config_references_means_no_annotation() -> None:
    assert spechash.config_spec_hash_annotation([]) is None
    assert spechash.config_spec_hash_annotation([{"resource": "secrets"}]) == "{}"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_encoding_parses_back_to_the_same_value(value: Any) -> None:
    # Go's output is valid JSON whose floats keep every bit (shortest round-trip digits). An
    # integral float may come back as an integer (`1.0` is written `1`), so compare as floats.
    parsed = json.loads(spechash.go_json_dumps(value), parse_int=float)
    assert parsed == _normalized(value)


def _normalized(value: Any) -> Any:
    """Numbers as floats, lone surrogates as U+FFFD (what Go writes for invalid UTF-8)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dict):
        return {_normalized(k): _normalized(v) for k, v in value.items()}
    return value
