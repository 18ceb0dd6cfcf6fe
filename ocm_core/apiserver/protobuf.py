"""Decode Kubernetes protobuf request bodies into JSON-shaped dicts. Pure, no dependencies.

client-go >= 0.32 typed clients (helm v4 release Secrets, kubectl >= 1.32 ``create secret``)
send ``application/vnd.kubernetes.protobuf``: the magic ``k8s\\0`` then a ``runtime.Unknown``
{typeMeta=1 {apiVersion=1, kind=2}, raw=2}. ``raw`` uses the field numbers of k8s.io/api
``generated.proto``; the schema tables below cover the kinds those clients send (§9 of
kube-api-surface). Proto2 optionals arrive present-but-empty, so empty strings and zero
numbers are dropped. Anything else raises :class:`ProtobufError` (the handler answers 415).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Final

MAGIC: Final = b"k8s\x00"


class ProtobufError(ValueError):
    """The body is not a protobuf message of a kind this server can decode."""


# A schema maps field number -> (json name, type). Types: "string", "bytes", "int", "bool",
# "time", ("message", schema), ("repeated", type), ("map", value type).
Schema = dict[int, tuple[str, Any]]

TIME: Final = "time"
OWNER_REFERENCE: Final[Schema] = {
    1: ("kind", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
OBJECT_META: Final[Schema] = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", TIME),
    9: ("deletionTimestamp", TIME),
    10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    13: ("ownerReferences", ("repeated", ("message", OWNER_REFERENCE))),
    14: ("finalizers", ("repeated", "string")),
}
OBJECT_REFERENCE: Final[Schema] = {
    1: ("kind", "string"),
    2: ("namespace", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("resourceVersion", "string"),
    7: ("fieldPath", "string"),
}
_META: Final = ("metadata", ("message", OBJECT_META))
#: ExtraValue {items=1}: JSON shows it as a plain list of strings.
EXTRA_VALUE: Final = "extra"
CSR_CONDITION: Final[Schema] = {
    1: ("type", "string"),
    6: ("status", "string"),
    2: ("reason", "string"),
    3: ("message", "string"),
    4: ("lastUpdateTime", TIME),
    5: ("lastTransitionTime", TIME),
}
RESOURCE_ATTRIBUTES: Final[Schema] = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
ACCESS_REVIEW_SPEC: Final[Schema] = {
    1: ("resourceAttributes", ("message", RESOURCE_ATTRIBUTES)),
    2: ("nonResourceAttributes", ("message", {1: ("path", "string"), 2: ("verb", "string")})),
    3: ("user", "string"),
    4: ("groups", ("repeated", "string")),
    5: ("extra", ("map", EXTRA_VALUE)),
    6: ("uid", "string"),
}
BOUND_OBJECT_REFERENCE: Final[Schema] = {
    1: ("kind", "string"),
    2: ("apiVersion", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
}
KINDS: Final[dict[str, Schema]] = {
    "Secret": {
        1: _META,
        2: ("data", ("map", "bytes")),
        3: ("type", "string"),
        4: ("stringData", ("map", "string")),
        5: ("immutable", "bool"),
    },
    "ConfigMap": {
        1: _META,
        2: ("data", ("map", "string")),
        3: ("binaryData", ("map", "bytes")),
        4: ("immutable", "bool"),
    },
    "Namespace": {
        1: _META,
        2: ("spec", ("message", {1: ("finalizers", ("repeated", "string"))})),
        3: ("status", ("message", {1: ("phase", "string")})),
    },
    "ServiceAccount": {
        1: _META,
        2: ("secrets", ("repeated", ("message", OBJECT_REFERENCE))),
        3: ("imagePullSecrets", ("repeated", ("message", {1: ("name", "string")}))),
        4: ("automountServiceAccountToken", "bool"),
    },
    # kubectl >= 1.32 ``certificate approve`` PUTs /approval with a protobuf CSR.
    "CertificateSigningRequest": {
        1: _META,
        2: (
            "spec",
            (
                "message",
                {
                    1: ("request", "bytes"),
                    2: ("username", "string"),
                    3: ("uid", "string"),
                    4: ("groups", ("repeated", "string")),
                    5: ("usages", ("repeated", "string")),
                    6: ("extra", ("map", EXTRA_VALUE)),
                    7: ("signerName", "string"),
                    8: ("expirationSeconds", "int"),
                },
            ),
        ),
        3: (
            "status",
            (
                "message",
                {
                    1: ("conditions", ("repeated", ("message", CSR_CONDITION))),
                    2: ("certificate", "bytes"),
                },
            ),
        ),
    },
    # kubectl >= 1.32 ``auth can-i`` / ``create token`` / ``auth whoami`` (served by the auth
    # package; decoded here so every protobuf body goes through one place).
    "SelfSubjectAccessReview": {1: _META, 2: ("spec", ("message", ACCESS_REVIEW_SPEC))},
    "SubjectAccessReview": {1: _META, 2: ("spec", ("message", ACCESS_REVIEW_SPEC))},
    "TokenRequest": {
        1: _META,
        2: (
            "spec",
            (
                "message",
                {
                    1: ("audiences", ("repeated", "string")),
                    3: ("boundObjectRef", ("message", BOUND_OBJECT_REFERENCE)),
                    4: ("expirationSeconds", "int"),
                },
            ),
        ),
    },
    "TokenReview": {
        1: _META,
        2: (
            "spec",
            ("message", {1: ("token", "string"), 2: ("audiences", ("repeated", "string"))}),
        ),
    },
    "SelfSubjectReview": {1: _META},
    # helm's DELETE bodies: options are ignored, only the type needs to decode.
    "DeleteOptions": {},
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint in protobuf body")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs; varints as int, length-delimited as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field in protobuf body")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported protobuf wire type {wire}")
    return out


def _scalar(kind: Any, value: int | bytes) -> Any:
    if kind == "string":
        return value.decode() if isinstance(value, bytes) else str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode() if isinstance(value, bytes) else ""
    if kind == "int":
        return value if isinstance(value, int) else 0
    if kind == "bool":
        return bool(value)
    if kind == EXTRA_VALUE and isinstance(value, bytes):
        return [v.decode() for n, v in fields(value) if n == 1 and isinstance(v, bytes)]
    if kind == TIME and isinstance(value, bytes):
        seconds = next((v for n, v in fields(value) if n == 1 and isinstance(v, int)), 0)
        if not seconds:
            return ""  # an unset metav1.Time
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(kind, tuple) and kind[0] == "message" and isinstance(value, bytes):
        return decode_message(value, kind[1])
    raise ProtobufError(f"unexpected protobuf value for {kind!r}")


def _empty(value: Any) -> bool:
    return value in ("", 0) and not isinstance(value, bool)


def decode_message(data: bytes, schema: Schema) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for number, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "repeated":
            result.setdefault(name, []).append(_scalar(kind[1], value))
        elif isinstance(kind, tuple) and kind[0] == "map":
            if not isinstance(value, bytes):
                raise ProtobufError(f"map entry of {name} is not length-delimited")
            entry = dict(fields(value))
            key = _scalar("string", entry.get(1, b""))
            result.setdefault(name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        else:
            decoded = _scalar(kind, value)
            if not _empty(decoded):
                result[name] = decoded
    return result


def decode_object(body: bytes) -> dict[str, Any]:
    """A JSON-shaped object from a ``k8s\\0`` + runtime.Unknown envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("protobuf body does not start with the k8s magic prefix")
    envelope = dict(fields(body[len(MAGIC) :]))
    type_meta = envelope.get(1, b"")
    raw = envelope.get(2, b"")
    if not isinstance(type_meta, bytes) or not isinstance(raw, bytes):
        raise ProtobufError("malformed runtime.Unknown envelope")
    meta = {n: v.decode() for n, v in fields(type_meta) if isinstance(v, bytes)}
    api_version, kind = meta.get(1, ""), meta.get(2, "")
    schema = KINDS.get(kind)
    if schema is None:
        raise ProtobufError(
            f"protobuf bodies of kind {kind or '<none>'} are not supported by this server; "
            "send application/json"
        )
    return {"apiVersion": api_version, "kind": kind, **decode_message(raw, schema)}
