"""Protobuf request bodies decode to the JSON kube would hold.

``data/kubectl133_protobuf_bodies.json`` holds bodies kubectl 1.33 really sent (``create ...
-v=9`` hex dumps) next to what ``create ... --dry-run=client -o json`` prints for the same
command. The rest uses a small test-side encoder: field semantics (pointer zeros, inline
structs, IntOrString, Quantity, timestamps) and a maximal message of every kind, which must pass
Strict field validation against the kind's schema.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocm_core.apiserver import fieldvalidation, protobuf
from ocm_core.apiserver.protobuf import wire
from ocm_core.apiserver.schemas import BUILTIN_SCHEMAS

CAPTURED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "kubectl133_protobuf_bodies.json").read_text()
)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32/int64 travel as 10-byte two's complement
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def field(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return protobuf.MAGIC + field(1, field(1, api_version) + field(2, kind)) + field(2, raw)


def _without_nulls(value: Any) -> Any:
    """kube decodes JSON null and an absent field to the same nil (``rules: null``)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["apiVersion"].rpartition("/")[0], obj["kind"]


@pytest.mark.parametrize("case", sorted(CAPTURED))
def test_kubectl_133_body_decodes_to_the_json_kubectl_meant(case: str) -> None:
    captured = CAPTURED[case]
    decoded = protobuf.decode_object(bytes.fromhex(captured["body"]))
    assert _without_nulls(decoded) == _without_nulls(captured["json"])
    schema = BUILTIN_SCHEMAS[_group_kind(decoded)]
    assert fieldvalidation.unknown_fields(schema, decoded) == []


def _deployment_spec(replicas: int) -> bytes:
    container = (
        field(1, "c")
        + varint_field(16, 0)  # stdin=false: a non-pointer omitempty bool
        + field(6, varint_field(3, 0) + varint_field(2, 0))  # containerPort 0 kept, hostPort not
        + field(8, field(1, field(1, "cpu") + field(2, field(1, "250m"))))  # limits: Quantity
        + field(10, field(1, field(2, field(2, varint_field(1, 1) + field(3, "http")))))
        + field(11, field(1, field(3, field(1, varint_field(2, 8080)))))
        + field(7, field(1, "A") + field(3, field(4, field(1, field(1, "s")) + field(2, "k"))))
    )
    pod_spec = (
        field(2, container)
        + field(1, field(1, "v") + field(2, field(6, field(1, "sec") + varint_field(3, 0o644))))
        + varint_field(25, -5)  # priority: negative int32
        + field(14, field(4, _varint(1000) + _varint(2000)))  # packed supplementalGroups
    )
    return (
        varint_field(1, replicas)
        + varint_field(5, 0)  # minReadySeconds 0: omitempty, dropped
        + varint_field(7, 0)  # paused false: omitempty, dropped
        + field(3, field(1, field(8, b"")) + field(2, pod_spec))
        + field(
            4,
            field(1, "RollingUpdate") + field(2, field(1, varint_field(1, 1) + field(3, "25%"))),
        )
    )


def test_deployment_keeps_meaningful_zeros_and_inlines_embedded_structs() -> None:
    body = envelope(
        "apps/v1", "Deployment", field(1, field(1, "d")) + field(2, _deployment_spec(0))
    )
    spec = protobuf.decode_object(body)["spec"]
    assert spec["replicas"] == 0
    assert "minReadySeconds" not in spec
    assert "paused" not in spec
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}}
    template = spec["template"]
    assert template["metadata"] == {"creationTimestamp": None}
    pod = template["spec"]
    assert pod["priority"] == -5
    assert pod["securityContext"] == {"supplementalGroups": [1000, 2000]}
    assert pod["volumes"] == [{"name": "v", "secret": {"secretName": "sec", "defaultMode": 0o644}}]
    assert pod["containers"] == [
        {
            "name": "c",
            "ports": [{"containerPort": 0}],
            "resources": {"limits": {"cpu": "250m"}},
            "livenessProbe": {"httpGet": {"port": "http"}},
            "readinessProbe": {"tcpSocket": {"port": 8080}},
            "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
        }
    ]


def test_lease_micro_time_and_pointer_zeros() -> None:
    """A released Lease: ``holderIdentity: ""`` and zero counts are set, not absent."""
    renew = varint_field(1, 1_700_000_000) + varint_field(2, 123_456_000)
    spec = field(1, "") + varint_field(2, 0) + field(4, renew) + varint_field(5, 0)
    body = envelope("coordination.k8s.io/v1", "Lease", field(2, spec))
    assert protobuf.decode_object(body)["spec"] == {
        "holderIdentity": "",
        "leaseDurationSeconds": 0,
        "renewTime": "2023-11-14T22:13:20.123456Z",
        "leaseTransitions": 0,
    }


def test_empty_strings_inside_maps_and_lists_are_kept() -> None:
    """``data: {k: ""}``, a ``node-role: ""`` label and ``apiGroups: [""]`` mean something."""
    meta = field(1, field(1, "r") + field(11, field(1, "node-role") + field(2, "")))
    rule = field(1, "get") + field(2, "") + field(3, "pods")
    role = protobuf.decode_object(
        envelope("rbac.authorization.k8s.io/v1", "Role", meta + field(2, rule))
    )
    assert role["metadata"]["labels"] == {"node-role": ""}
    assert role["rules"] == [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]
    config = protobuf.decode_object(
        envelope("v1", "ConfigMap", field(2, field(1, "k") + field(2, "")))
    )
    assert config["data"] == {"k": ""}


def test_events_k8s_io_event_is_not_the_core_event() -> None:
    raw = field(1, field(1, "e")) + field(4, "x")
    assert (
        protobuf.decode_object(envelope("events.k8s.io/v1", "Event", raw))["reportingController"]
        == "x"
    )
    assert protobuf.decode_object(envelope("v1", "Event", raw))["message"] == "x"


def test_delete_options_decode_in_any_group() -> None:
    assert protobuf.decode_object(envelope("apps/v1", "DeleteOptions", b"")) == {
        "apiVersion": "apps/v1",
        "kind": "DeleteOptions",
    }


def test_unsupported_kind_names_the_kind_and_the_fix() -> None:
    with pytest.raises(protobuf.ProtobufError, match=r"CustomResourceDefinition.*application/json"):
        protobuf.decode_object(envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", b""))


_SAMPLES: dict[str, bytes | int] = {
    wire.STRING: b"x",
    wire.OPT_STRING: b"x",
    wire.BYTES: b"x",
    wire.INT: 1,
    wire.OPT_INT: 1,
    wire.BOOL: 1,
    wire.OPT_BOOL: 1,
    wire.TIME: varint_field(1, 1),
    wire.MICRO_TIME: varint_field(1, 1),
    wire.QUANTITY: field(1, "1"),
    wire.INT_OR_STRING: varint_field(2, 1),
    wire.EXTRA_VALUE: field(1, "x"),
}


def _maximal(schema: wire.Schema) -> bytes:
    """Every field of ``schema`` set once, recursively."""
    return b"".join(_encode(number, kind) for number, (_, kind) in schema.items())


def _encode(number: int, kind: Any) -> bytes:
    if isinstance(kind, tuple) and kind[0] == wire.string_map("")[0]:
        return field(number, field(1, "k") + _encode(2, kind[1]))
    if isinstance(kind, tuple) and kind[0] == wire.repeated("")[0]:
        return _encode(number, kind[1])
    if isinstance(kind, tuple):
        return field(number, _maximal(kind[1]))
    sample = _SAMPLES[kind]
    return varint_field(number, sample) if isinstance(sample, int) else field(number, sample)


@pytest.mark.parametrize(
    "group_kind", sorted(set(protobuf.KINDS) & set(BUILTIN_SCHEMAS)), ids="/".join
)
def test_every_field_of_every_kind_passes_strict(group_kind: tuple[str, str]) -> None:
    group, kind = group_kind
    api_version = f"{group}/v1" if group else "v1"
    body = envelope(api_version, kind, _maximal(protobuf.KINDS[group_kind]))
    decoded = protobuf.decode_object(body)
    assert fieldvalidation.unknown_fields(BUILTIN_SCHEMAS[group_kind], decoded) == []


_RANDOM_FIELD = st.one_of(
    st.builds(field, st.integers(1, 40), st.binary(max_size=24)),
    st.builds(varint_field, st.integers(1, 40), st.integers(-(2**63), 2**64 - 1)),
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_RANDOM_FIELD, max_size=8), kind=st.sampled_from(sorted(protobuf.KINDS)))
def test_garbage_bodies_raise_protobuf_error_only(
    parts: list[bytes], kind: tuple[str, str]
) -> None:
    """Wrong wire types, bad UTF-8, absurd timestamps: a 415 naming the problem, never a 500."""
    group, name = kind
    body = envelope(f"{group}/v1" if group else "v1", name, b"".join(parts))
    with contextlib.suppress(protobuf.ProtobufError):
        protobuf.decode_object(body)
