"""The protobuf wire format and the schema vocabulary that turns a message into JSON's shape.

A :data:`Schema` maps a field number to ``(json name, type)``. Scalar types:

- ``STRING``, ``BYTES`` (base64 in JSON), ``INT`` (signed varint), ``BOOL``: Go non-pointer
  ``omitempty`` fields. gogo-protobuf writes them even when zero, JSON omits the zero, so the
  decoder drops "", 0 and false.
- ``OPT_INT``, ``OPT_BOOL``, ``OPT_STRING``: Go pointer fields (``*int32 replicas``, ``*bool
  optional``, a Lease's ``*string holderIdentity``) and fields without ``omitempty``
  (``containerPort``). They are on the wire only when set, and a zero there is meaningful
  (``replicas: 0``, a released Lease's ``holderIdentity: ""``), so it is kept.
- ``TIME`` (metav1.Time, RFC 3339 seconds; the zero time is JSON's null, as Go marshals it),
  ``MICRO_TIME`` (the same with microseconds),
  ``QUANTITY`` (``{string=1}``, a JSON string), ``INT_OR_STRING`` (``{type=1, intVal=2,
  strVal=3}``), ``EXTRA_VALUE`` (``{items=1}``, a JSON list of strings).

Compound types: ``message(schema)`` (a nested object, kept even when empty, as Go always writes
non-pointer structs), ``inline(schema)`` (a Go embedded struct: its fields join the parent
object), ``repeated(type)`` and ``string_map(type)`` (``map<string, type>``). Unknown field
numbers are skipped, as proto2 readers do.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Final

MAGIC: Final = b"k8s\x00"

Schema = dict[int, tuple[str, Any]]

STRING: Final = "string"
BYTES: Final = "bytes"
INT: Final = "int"
BOOL: Final = "bool"
OPT_INT: Final = "*int"
OPT_BOOL: Final = "*bool"
OPT_STRING: Final = "*string"
TIME: Final = "time"
MICRO_TIME: Final = "microtime"
QUANTITY: Final = "quantity"
INT_OR_STRING: Final = "intorstring"
EXTRA_VALUE: Final = "extra"

_MESSAGE: Final = "message"
_INLINE: Final = "inline"
_REPEATED: Final = "repeated"
_MAP: Final = "map"
#: Types whose zero value JSON omits (``omitempty`` on a non-pointer Go field).
_DROP_ZERO: Final = frozenset({STRING, BYTES, INT, BOOL})
_INT_TYPES: Final = frozenset({INT, OPT_INT})
_INT_OR_STRING_IS_STRING: Final = 1
_SIGN_BIT: Final = 1 << 63
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_NANOS_PER_MICRO: Final = 1000


class ProtobufError(ValueError):
    """The body is not a protobuf message of a kind this server can decode."""


def message(schema: Schema) -> tuple[str, Schema]:
    return (_MESSAGE, schema)


def inline(schema: Schema) -> tuple[str, Schema]:
    return (_INLINE, schema)


def repeated(kind: Any) -> tuple[str, Any]:
    return (_REPEATED, kind)


def string_map(kind: Any) -> tuple[str, Any]:
    return (_MAP, kind)


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


def _signed(value: int) -> int:
    """int32/int64 travel as 64-bit two's complement varints."""
    return value - (1 << 64) if value & _SIGN_BIT else value


def _timestamp(value: bytes, micro: bool) -> str | None:
    parts = dict(fields(value))
    seconds, nanos = parts.get(1, 0), parts.get(2, 0)
    if not isinstance(seconds, int) or not isinstance(nanos, int):
        raise ProtobufError("malformed timestamp in protobuf body")
    if not seconds and not nanos:
        return None  # an unset metav1.Time, which JSON shows as null
    moment = datetime.fromtimestamp(_signed(seconds), UTC)
    if not micro:
        return moment.strftime(_TIME_FORMAT)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{nanos // _NANOS_PER_MICRO:06d}Z"


def _int_or_string(value: bytes) -> int | str:
    parts = dict(fields(value))
    if parts.get(1) == _INT_OR_STRING_IS_STRING:
        text = parts.get(3, b"")
        return text.decode() if isinstance(text, bytes) else ""
    number = parts.get(2, 0)
    return _signed(number) if isinstance(number, int) else 0


def _scalar(kind: Any, value: int | bytes) -> Any:
    if isinstance(value, int):
        return _varint_scalar(kind, value)
    if kind in (STRING, OPT_STRING):
        return value.decode()
    if kind == BYTES:
        return base64.b64encode(value).decode()
    if kind in (TIME, MICRO_TIME):
        return _timestamp(value, micro=kind == MICRO_TIME)
    if kind == QUANTITY:
        return next((v.decode() for n, v in fields(value) if n == 1 and isinstance(v, bytes)), "")
    if kind == INT_OR_STRING:
        return _int_or_string(value)
    if kind == EXTRA_VALUE:
        return [v.decode() for n, v in fields(value) if n == 1 and isinstance(v, bytes)]
    if isinstance(kind, tuple) and kind[0] in (_MESSAGE, _INLINE):
        return decode_message(value, kind[1])
    raise ProtobufError(f"unexpected length-delimited protobuf value for {kind!r}")


def _varint_scalar(kind: Any, value: int) -> Any:
    if isinstance(kind, str) and kind in _INT_TYPES:
        return _signed(value)
    if isinstance(kind, str) and kind in (BOOL, OPT_BOOL):
        return bool(value)
    raise ProtobufError(f"unexpected varint protobuf value for {kind!r}")


def _repeated(kind: Any, value: int | bytes) -> list[Any]:
    """One element, or several when a repeated number arrives packed."""
    if isinstance(kind, str) and kind in _INT_TYPES and isinstance(value, bytes):
        packed: list[Any] = []
        pos = 0
        while pos < len(value):
            number, pos = _varint(value, pos)
            packed.append(_signed(number))
        return packed
    return [_scalar(kind, value)]


def decode_message(data: bytes, schema: Schema) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for number, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == _REPEATED:
            result.setdefault(name, []).extend(_repeated(kind[1], value))
        elif isinstance(kind, tuple) and kind[0] == _MAP:
            if not isinstance(value, bytes):
                raise ProtobufError(f"map entry of {name} is not length-delimited")
            entry = dict(fields(value))
            key = _scalar(STRING, entry.get(1, b""))
            result.setdefault(name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        elif isinstance(kind, tuple) and kind[0] == _INLINE:
            result.update(_scalar(kind, value))
        else:
            decoded = _scalar(kind, value)
            if not (isinstance(kind, str) and kind in _DROP_ZERO and decoded in ("", 0)):
                result[name] = decoded
    return result
