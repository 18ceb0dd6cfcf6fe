"""Config spec hashes exactly as an upstream (Go) OCM hub computes them.

Owns two pure functions:

- `go_json_dumps(value)`: the bytes Go's `encoding/json.Marshal` produces for the same value
  decoded into `interface{}` (what an `unstructured.Unstructured` holds).
- `config_spec_hash(obj)`: upstream's `GetSpecHash` (addon-framework `pkg/utils`): sha256 hex
  of the JSON encoding of every top-level field except `apiVersion`, `kind`, `metadata` and
  `status`, wrapped in one map (so `{"spec": {...}}`, keys included in the hash).
- `config_spec_hash_annotation(config_references)`: the value of the
  `open-cluster-management.io/config-spec-hash` annotation on add-on ManifestWorks.

The hash lands in `desiredConfig.specHash` of add-on status and in the
`open-cluster-management.io/config-spec-hash` annotation of add-on ManifestWorks, and a Go
addon-manager compares it byte for byte with its own, so the encoding must match Go's:

- map keys sorted by their UTF-8 bytes, no whitespace;
- strings: `"` and `\\` escaped, `\\b \\f \\n \\r \\t` short escapes (Go >= 1.22), other control
  characters as `\\u00XX` (lower-case hex), `<` `>` `&` HTML-escaped as `\\u003c \\u003e
  \\u0026`, U+2028/U+2029 escaped, invalid UTF-8 (lone surrogates here) as `\\ufffd`, all other
  non-ASCII written raw as UTF-8;
- integers in int64 range as decimal; anything else numeric is a float64 (that is what the Go
  decoder produced for it) written with the shortest round-trip digits, in plain notation when
  1e-6 <= |x| < 1e21 and in exponent notation (`1e-7`, `1.5e+21`) outside it, so `1.0` is `1`;
- NaN and infinities are refused, as Go refuses them.

This module never does I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

NON_CONFIG_FIELDS: Final = frozenset({"apiVersion", "kind", "metadata", "status"})
"""Top-level fields upstream leaves out of the config spec hash."""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

# Go's float encoder switches to exponent notation outside [1e-6, 1e21).
_PLAIN_FLOAT_MIN: Final = 1e-6
_PLAIN_FLOAT_LIMIT: Final = 1e21

_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_HTML_AND_SEPARATORS: Final = frozenset("<>&\u2028\u2029")
_REPLACEMENT: Final = "\\ufffd"


def config_spec_hash(obj: Mapping[str, Any]) -> str:
    """Return upstream's spec hash (lower-case sha256 hex) of a config object body."""
    config = {key: value for key, value in obj.items() if key not in NON_CONFIG_FIELDS}
    return hashlib.sha256(go_json_dumps(config)).hexdigest()


def config_spec_hash_key(*, group: str, resource: str, namespace: str, name: str) -> str:
    """Key of one config in the annotation: `<resource>[.<group>]/<namespace>/<name>`."""
    qualified = f"{resource}.{group}" if group else resource
    return f"{qualified}/{namespace}/{name}"


def config_spec_hash_annotation(config_references: Sequence[Mapping[str, Any]]) -> str | None:
    """Annotation value for add-on works: JSON map of config key -> desired spec hash.

    Takes ManagedClusterAddOn `status.configReferences`; references without a `desiredConfig`
    are skipped and no references at all means no annotation (None), as upstream.
    """
    if not config_references:
        return None
    hashes: dict[str, str] = {}
    for reference in config_references:
        desired = reference.get("desiredConfig")
        if not desired:
            continue
        key = config_spec_hash_key(
            group=reference.get("group", ""),
            resource=reference.get("resource", ""),
            namespace=desired.get("namespace", ""),
            name=desired.get("name", ""),
        )
        hashes[key] = desired.get("specHash", "")
    return go_json_dumps(hashes).decode("utf-8")


def go_json_dumps(value: Any) -> bytes:
    """Encode a JSON-like value the way Go's `json.Marshal` encodes it (see module doc)."""
    parts: list[str] = []
    _encode(value, parts, path="$")
    return "".join(parts).encode("utf-8", errors="surrogatepass")


def _encode(value: Any, out: list[str], *, path: str) -> None:
    # bool before int: bool is an int subclass in Python.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_format_int(value, path=path))
    elif isinstance(value, float):
        out.append(_format_float(value, path=path))
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, Mapping):
        _encode_mapping(value, out, path=path)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, path=f"{path}[{index}]")
        out.append("]")
    else:
        raise TypeError(f"{path}: cannot encode {type(value).__name__} as JSON")


def _encode_mapping(value: Mapping[Any, Any], out: list[str], *, path: str) -> None:
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{path}: map keys must be strings, got {type(key).__name__}")
    out.append("{")
    # Go sorts by the UTF-8 bytes of the keys; code point order is the same order.
    for index, key in enumerate(sorted(value, key=_utf8_sort_key)):
        if index:
            out.append(",")
        out.append(_quote(key))
        out.append(":")
        _encode(value[key], out, path=f"{path}.{key}")
    out.append("}")


def _utf8_sort_key(key: str) -> bytes:
    return key.encode("utf-8", errors="surrogatepass")


def _format_int(value: int, *, path: str) -> str:
    if _INT64_MIN <= value <= _INT64_MAX:
        return str(value)
    # Go's unstructured decoder keeps only int64; bigger integers arrive as float64.
    return _format_float(float(value), path=path)


def _format_float(value: float, *, path: str) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{path}: unsupported value {value!r} (Go's encoder refuses it too)")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, which is what Go's -1 precision gives.
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    assert isinstance(exponent, int)  # finite by the check above
    point = len(digits) + exponent  # digits before the decimal point in plain notation
    if _PLAIN_FLOAT_MIN <= abs(value) < _PLAIN_FLOAT_LIMIT:
        return sign + _plain_notation(digits, point)
    return sign + _exponent_notation(digits, point - 1)


def _plain_notation(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return f"{digits[:point]}.{digits[point:]}"


def _exponent_notation(digits: str, exponent: int) -> str:
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    # Go prints at least two exponent digits, then trims "e-09" to "e-9" (negative only).
    if exponent < 0:
        return f"{mantissa}e-{-exponent}"
    return f"{mantissa}e+{exponent:02d}"


def _quote(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or char in _HTML_AND_SEPARATORS:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate is not valid UTF-8; Go writes the replacement character.
            out.append(_REPLACEMENT)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
