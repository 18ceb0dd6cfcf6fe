"""The protobuf schema tables against the ``generated.proto`` descriptors kubectl 1.33 embeds.

client-go registers every k8s.io/api ``generated.proto`` as a gzipped FileDescriptorProto, so
the kubectl binary carries upstream's field numbers, names and types; every number in our
tables must name the field with our JSON name and a compatible type.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from ocm_core.apiserver import protobuf
from ocm_core.apiserver.protobuf import wire

KUBECTL_133 = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
#: A gzip member header as Go's compress/gzip writes it (no name, no mtime).
_GZIP_HEADER = re.compile(b"\x1f\x8b\x08\x00\x00\x00\x00\x00")
#: zlib's window bits for "a gzip member, stop at its end".
_GZIP_WBITS = 16 + zlib.MAX_WBITS
#: A FileDescriptorProto opens with its name: field 1, a length, then ``.../generated.proto``.
_PROTO_FILE_SUFFIX = b"generated.proto"
_NAME_PREFIX = 128
_PROTO_FOR_GROUP = {
    "": "k8s.io/api/core/v1/generated.proto",
    "apps": "k8s.io/api/apps/v1/generated.proto",
    "autoscaling": "k8s.io/api/autoscaling/v1/generated.proto",
    "coordination.k8s.io": "k8s.io/api/coordination/v1/generated.proto",
    "events.k8s.io": "k8s.io/api/events/v1/generated.proto",
    "rbac.authorization.k8s.io": "k8s.io/api/rbac/v1/generated.proto",
    "certificates.k8s.io": "k8s.io/api/certificates/v1/generated.proto",
    "authentication.k8s.io": "k8s.io/api/authentication/v1/generated.proto",
    "authorization.k8s.io": "k8s.io/api/authorization/v1/generated.proto",
}
#: Proto field names that differ from the JSON name (Go's ``UID`` lower-cased by gogo).
_PROTO_NAME_OF = {("BoundObjectReference", "uid"): "uID"}
F = descriptor_pb2.FieldDescriptorProto
_SCALAR_TYPES: dict[str, set[int]] = {
    wire.STRING: {F.TYPE_STRING},
    wire.OPT_STRING: {F.TYPE_STRING},
    wire.BYTES: {F.TYPE_BYTES},
    wire.INT: {F.TYPE_INT32, F.TYPE_INT64},
    wire.OPT_INT: {F.TYPE_INT32, F.TYPE_INT64},
    wire.BOOL: {F.TYPE_BOOL},
    wire.OPT_BOOL: {F.TYPE_BOOL},
}
_MESSAGE_TYPES = {
    wire.TIME: ".k8s.io.apimachinery.pkg.apis.meta.v1.Time",
    wire.MICRO_TIME: ".k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
    wire.QUANTITY: ".k8s.io.apimachinery.pkg.api.resource.Quantity",
    wire.INT_OR_STRING: ".k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    wire.EXTRA_VALUE: "ExtraValue",
}


def _descriptors() -> dict[str, descriptor_pb2.DescriptorProto]:
    """Every message kubectl embeds, by full name (``.pkg.Message``, nested ones included)."""
    data = memoryview(KUBECTL_133.read_bytes())
    messages: dict[str, descriptor_pb2.DescriptorProto] = {}
    for match in _GZIP_HEADER.finditer(data.obj):
        try:
            raw = zlib.decompressobj(_GZIP_WBITS).decompress(data[match.start() :])
        except zlib.error:
            continue
        if _PROTO_FILE_SUFFIX in raw[:_NAME_PREFIX]:  # other gzipped data lives there too
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            _index(messages, f".{file.package}", file.message_type)
    return messages


def _index(out: dict[str, Any], prefix: str, messages: Any) -> None:
    for message in messages:
        out[f"{prefix}.{message.name}"] = message
        _index(out, f"{prefix}.{message.name}", message.nested_type)


@pytest.fixture(scope="module")
def descriptors() -> dict[str, descriptor_pb2.DescriptorProto]:
    if not KUBECTL_133.exists():
        pytest.skip("kubectl 1.33 is not installed")
    return _descriptors()


def _check(
    schema: wire.Schema, full_name: str, index: dict[str, Any], path: str, seen: set[int]
) -> list[str]:
    if id(schema) in seen:
        return []
    seen.add(id(schema))
    descriptor = index[full_name]
    by_number = {field.number: field for field in descriptor.field}
    problems: list[str] = []
    for number, (name, kind) in schema.items():
        field = by_number.get(number)
        where = f"{path}.{name or '<inline>'} ({descriptor.name} field {number})"
        if field is None:
            problems.append(f"{where}: no such field number")
            continue
        if name and field.name != _PROTO_NAME_OF.get((descriptor.name, name), name):
            problems.append(f"{where}: upstream calls it {field.name}")
        problems += _check_type(kind, field, index, where, seen)
    return problems


def _check_type(
    kind: Any, field: Any, index: dict[str, Any], where: str, seen: set[int]
) -> list[str]:
    repeated = field.label == F.LABEL_REPEATED
    if isinstance(kind, tuple) and kind[0] == wire.string_map("")[0]:
        entry = index[field.type_name]
        value = next(f for f in entry.field if f.number == 2)
        return _check_type(kind[1], value, index, where, seen)
    if isinstance(kind, tuple) and kind[0] == wire.repeated("")[0]:
        if not repeated:
            return [f"{where}: upstream field is not repeated"]
        kind = kind[1]
    elif repeated:
        return [f"{where}: upstream field is repeated"]
    if isinstance(kind, tuple):
        return _check(kind[1], field.type_name, index, where, seen)
    if kind in _MESSAGE_TYPES:
        ok = field.type_name.endswith(_MESSAGE_TYPES[kind])
    else:
        ok = field.type in _SCALAR_TYPES[kind]
    return [] if ok else [f"{where}: {kind} does not fit upstream {field.type} {field.type_name}"]


@pytest.mark.parametrize("group_kind", sorted(protobuf.KINDS), ids=lambda gk: "/".join(gk))
def test_schema_matches_upstream_descriptor(
    group_kind: tuple[str, str], descriptors: dict[str, Any]
) -> None:
    group, kind = group_kind
    package = _PROTO_FOR_GROUP[group].removesuffix("/generated.proto").replace("/", ".")
    problems = _check(protobuf.KINDS[group_kind], f".{package}.{kind}", descriptors, kind, set())
    assert problems == []
