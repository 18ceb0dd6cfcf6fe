"""Structural OpenAPI v3 schemas of CustomResourceDefinitions: check, prune, default, validate.

Owns the pure rules an API server applies to a custom resource body against the
`openAPIV3Schema` of its CRD version, in kube-apiserver's order:

1. `prune(schema, obj)`: drop fields the schema does not declare (unless
   `x-kubernetes-preserve-unknown-fields`), and `null`s of non-nullable fields; returns the
   dropped paths so a server can warn (`unknown field "spec.foo"`) or refuse them (strict).
2. `apply_defaults(schema, obj)`: fill `default`s of missing properties, nested defaults included.
3. `validate(schema, obj)`: types, `required`, `enum`, `pattern`, lengths, bounds, item counts,
   `format` (date-time, byte), list-type uniqueness, int-or-string, embedded resources,
   `allOf`/`anyOf`/`oneOf`/`not`. Errors are `FieldError`s whose `str()` reads like kube's, e.g.
   `spec.workload.manifests[0].kind: Required value: must not be empty`.

`structural_problems(schema)` checks a CRD schema itself is structural (every node typed).

Not covered: CEL rules (`x-kubernetes-validations`) and ObjectMeta rules for `metadata`, which
the API server checks separately. No I/O here; inputs are never mutated.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

Schema = Mapping[str, Any]
"""One node of an openAPIV3Schema, as loaded from the CRD YAML."""

PRESERVE_UNKNOWN: Final = "x-kubernetes-preserve-unknown-fields"
EMBEDDED_RESOURCE: Final = "x-kubernetes-embedded-resource"
INT_OR_STRING: Final = "x-kubernetes-int-or-string"
LIST_TYPE: Final = "x-kubernetes-list-type"
LIST_MAP_KEYS: Final = "x-kubernetes-list-map-keys"

TYPE_META_FIELDS: Final = ("apiVersion", "kind", "metadata")
"""Kept at the root and in embedded resources even when the schema does not list them."""

# RFC 3339 date-time: full date, time and offset are all required (fromisoformat is laxer).
_RFC3339: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)

_JSON_TYPES: Final = ("object", "array", "string", "integer", "number", "boolean")


class ErrorType(StrEnum):
    """Kubernetes field error types (`k8s.io/apimachinery/pkg/util/validation/field`)."""

    REQUIRED = "Required value"
    INVALID = "Invalid value"
    NOT_SUPPORTED = "Unsupported value"
    DUPLICATE = "Duplicate value"
    TOO_LONG = "Too long"
    TOO_MANY = "Too many"


_NO_VALUE: Final = object()


@dataclass(frozen=True)
class FieldError:
    """One validation failure at a field path (`spec.items[2].name`; the root is `<root>`)."""

    type: ErrorType
    path: str
    detail: str = ""
    value: Any = _NO_VALUE

    def __str__(self) -> str:
        parts = [self.path or "<root>", self.type.value]
        if self.value is not _NO_VALUE:
            parts.append(_render(self.value))
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)


# -- validation ---------------------------------------------------------------------------


def validate(schema: Schema, obj: Any, *, path: str = "") -> list[FieldError]:
    """Return every violation of `schema` by `obj` (empty when valid)."""
    return list(_validate(schema, obj, path))


def _validate(schema: Schema, value: Any, path: str) -> Iterator[FieldError]:
    if value is None:
        typed = _declared_type(schema) is not None or schema.get(INT_OR_STRING)
        if typed and not schema.get("nullable", False):
            yield _type_error(schema, value, path)
        return
    if schema.get(INT_OR_STRING):
        if _json_type(value) not in ("integer", "string"):
            yield _type_error(schema, value, path)
            return
    elif not _type_matches(schema, value):
        yield _type_error(schema, value, path)
        return
    yield from _validate_value_rules(schema, value, path)
    if isinstance(value, Mapping):
        yield from _validate_object(schema, value, path)
    elif isinstance(value, list):
        yield from _validate_array(schema, value, path)
    yield from _validate_combinators(schema, value, path)


def _validate_value_rules(schema: Schema, value: Any, path: str) -> Iterator[FieldError]:
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        supported = ", ".join(_render(item) for item in enum)
        yield FieldError(ErrorType.NOT_SUPPORTED, path, f"supported values: {supported}", value)
    if isinstance(value, str):
        yield from _validate_string(schema, value, path)
    elif _json_type(value) in ("integer", "number"):
        yield from _validate_number(schema, value, path)


def _validate_string(schema: Schema, value: str, path: str) -> Iterator[FieldError]:
    max_length = schema.get("maxLength")
    if max_length is not None and len(value) > max_length:
        yield FieldError(ErrorType.TOO_LONG, path, f"may not be more than {max_length} bytes")
    min_length = schema.get("minLength")
    if min_length is not None and len(value) < min_length:
        detail = f"{_body(path)} should be at least {min_length} chars long"
        yield FieldError(ErrorType.INVALID, path, detail, value)
    pattern = schema.get("pattern")
    if pattern is not None and re.search(pattern, value) is None:
        yield FieldError(ErrorType.INVALID, path, f"{_body(path)} should match '{pattern}'", value)
    problem = _format_problem(schema.get("format"), value)
    if problem:
        yield FieldError(ErrorType.INVALID, path, f"{_body(path)} must be of type {problem}", value)


def _format_problem(fmt: str | None, value: str) -> str | None:
    if fmt == "date-time":
        if not _RFC3339.match(value):
            return "date-time"
        try:
            datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:  # well-formed but out of range, e.g. month 13
            return "date-time"
    elif fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            return "byte"
    return None


def _validate_number(schema: Schema, value: float, path: str) -> Iterator[FieldError]:
    minimum = schema.get("minimum")
    if minimum is not None:
        exclusive = schema.get("exclusiveMinimum", False)
        if value < minimum or (exclusive and value == minimum):
            relation = "greater than" if exclusive else "greater than or equal to"
            detail = f"{_body(path)} should be {relation} {minimum}"
            yield FieldError(ErrorType.INVALID, path, detail, value)
    maximum = schema.get("maximum")
    if maximum is not None:
        exclusive = schema.get("exclusiveMaximum", False)
        if value > maximum or (exclusive and value == maximum):
            relation = "less than" if exclusive else "less than or equal to"
            detail = f"{_body(path)} should be {relation} {maximum}"
            yield FieldError(ErrorType.INVALID, path, detail, value)


def _validate_object(schema: Schema, value: Mapping[str, Any], path: str) -> Iterator[FieldError]:
    for name in schema.get("required", ()):
        if name not in value:
            yield FieldError(ErrorType.REQUIRED, _child(path, name))
    if schema.get(EMBEDDED_RESOURCE):
        yield from _validate_embedded(value, path)
    properties: Mapping[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        if name in properties:
            yield from _validate(properties[name], item, _child(path, name))
        elif isinstance(extra, Mapping):
            yield from _validate(extra, item, _child(path, name))
    min_properties = schema.get("minProperties")
    if min_properties is not None and len(value) < min_properties:
        detail = f"{_body(path)} should have at least {min_properties} properties"
        yield FieldError(ErrorType.INVALID, path, detail, len(value))
    max_properties = schema.get("maxProperties")
    if max_properties is not None and len(value) > max_properties:
        detail = f"must have at most {max_properties} properties"
        yield FieldError(ErrorType.TOO_MANY, path, detail, len(value))


def _validate_embedded(value: Mapping[str, Any], path: str) -> Iterator[FieldError]:
    for name in ("apiVersion", "kind"):
        if not isinstance(value.get(name), str) or not value[name]:
            yield FieldError(ErrorType.REQUIRED, _child(path, name), "must not be empty")
    metadata = value.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        detail = f"{_body(_child(path, 'metadata'))} must be of type object"
        yield FieldError(ErrorType.INVALID, _child(path, "metadata"), detail, _json_type(metadata))


def _validate_array(schema: Schema, value: list[Any], path: str) -> Iterator[FieldError]:
    min_items = schema.get("minItems")
    if min_items is not None and len(value) < min_items:
        detail = f"{_body(path)} should have at least {min_items} items"
        yield FieldError(ErrorType.INVALID, path, detail, len(value))
    max_items = schema.get("maxItems")
    if max_items is not None and len(value) > max_items:
        yield FieldError(
            ErrorType.TOO_MANY, path, f"must have at most {max_items} items", len(value)
        )
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            yield from _validate(items, item, f"{path}[{index}]")
    yield from _validate_list_type(schema, value, path)


def _validate_list_type(schema: Schema, value: list[Any], path: str) -> Iterator[FieldError]:
    list_type = schema.get(LIST_TYPE)
    if list_type not in ("set", "map"):
        return
    keys: list[str] = schema.get(LIST_MAP_KEYS, [])
    seen: list[Any] = []
    for index, item in enumerate(value):
        if list_type == "map" and isinstance(item, Mapping):
            identity: Any = {key: item.get(key) for key in keys}
        else:
            identity = item
        if identity in seen:
            yield FieldError(ErrorType.DUPLICATE, f"{path}[{index}]", value=identity)
        else:
            seen.append(identity)


def _validate_combinators(schema: Schema, value: Any, path: str) -> Iterator[FieldError]:
    for sub in schema.get("allOf", ()):
        yield from _validate(sub, value, path)
    any_of = schema.get("anyOf")
    # int-or-string nodes carry anyOf only to document the two types; the type check covers it.
    if any_of and not schema.get(INT_OR_STRING) and all(validate(s, value) for s in any_of):
        yield FieldError(
            ErrorType.INVALID, path, "must validate at least one schema (anyOf)", value
        )
    one_of = schema.get("oneOf")
    if one_of:
        matches = sum(1 for sub in one_of if not validate(sub, value))
        if matches != 1:
            yield FieldError(
                ErrorType.INVALID, path, "must validate one and only one schema (oneOf)", value
            )
    negated = schema.get("not")
    if negated is not None and not validate(negated, value):
        yield FieldError(ErrorType.INVALID, path, "must not validate the schema (not)", value)


def _declared_type(schema: Schema) -> str | None:
    declared = schema.get("type")
    return declared if isinstance(declared, str) else None


def _expected_type(schema: Schema) -> str:
    return "integer or string" if schema.get(INT_OR_STRING) else _declared_type(schema) or "any"


def _type_matches(schema: Schema, value: Any) -> bool:
    declared = _declared_type(schema)
    if declared is None:
        return True
    actual = _json_type(value)
    if declared == "number":
        return actual in ("integer", "number")
    if declared == "integer" and actual == "number":
        # A float with an integral value is a JSON integer (`1.0`), as in kube-openapi.
        return float(value).is_integer()
    return actual == declared


def _type_error(schema: Schema, value: Any, path: str) -> FieldError:
    expected = _expected_type(schema)
    detail = f"{_body(path)} must be of type {expected}: {_render(_json_type(value))}"
    return FieldError(ErrorType.INVALID, path, detail, _json_type(value))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


# -- pruning ------------------------------------------------------------------------------


def prune(schema: Schema, obj: Any) -> tuple[Any, list[str]]:
    """Return a copy of `obj` without undeclared fields, and the paths that were dropped.

    The root (like every embedded resource) keeps `apiVersion`, `kind` and `metadata`.
    """
    dropped: list[str] = []
    pruned = _prune(schema, obj, "", dropped, keep_type_meta=True)
    return pruned, dropped


def _prune(
    schema: Schema, value: Any, path: str, dropped: list[str], *, keep_type_meta: bool
) -> Any:
    if isinstance(value, Mapping):
        return _prune_object(schema, value, path, dropped, keep_type_meta=keep_type_meta)
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return copy.deepcopy(value)
        return [
            _prune(
                items,
                item,
                f"{path}[{index}]",
                dropped,
                keep_type_meta=bool(items.get(EMBEDDED_RESOURCE)),
            )
            for index, item in enumerate(value)
        ]
    return value


def _prune_object(
    schema: Schema, value: Mapping[str, Any], path: str, dropped: list[str], *, keep_type_meta: bool
) -> dict[str, Any]:
    properties: Mapping[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    preserve = bool(schema.get(PRESERVE_UNKNOWN)) or extra is True
    result: dict[str, Any] = {}
    for name, item in value.items():
        child_path = _child(path, name)
        if keep_type_meta and name in TYPE_META_FIELDS:
            # ObjectMeta has its own pruning rules, applied by the API server, not the schema.
            result[name] = copy.deepcopy(item)
        elif name in properties:
            child = properties[name]
            if item is None and not child.get("nullable", False):
                continue  # kube drops nulls of non-nullable fields before defaulting
            result[name] = _prune(
                child, item, child_path, dropped, keep_type_meta=bool(child.get(EMBEDDED_RESOURCE))
            )
        elif isinstance(extra, Mapping):
            result[name] = _prune(
                extra, item, child_path, dropped, keep_type_meta=bool(extra.get(EMBEDDED_RESOURCE))
            )
        elif preserve:
            result[name] = copy.deepcopy(item)
        else:
            dropped.append(child_path)
    return result


# -- defaulting ---------------------------------------------------------------------------


def apply_defaults(schema: Schema, obj: Any) -> Any:
    """Return a copy of `obj` with schema defaults filled in where properties are missing."""
    return _default(schema, copy.deepcopy(obj))


def _default(schema: Schema, value: Any) -> Any:
    if isinstance(value, dict):
        properties: Mapping[str, Schema] = schema.get("properties", {})
        for name, child in properties.items():
            if "default" in child and _missing(value, name, child):
                value[name] = copy.deepcopy(child["default"])
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            item_schema: Schema | None = properties.get(name)
            if item_schema is None and isinstance(extra, Mapping):
                item_schema = extra
            if item_schema is not None:
                value[name] = _default(item_schema, item)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return [_default(items, item) for item in value]
    return value


def _missing(obj: Mapping[str, Any], name: str, schema: Schema) -> bool:
    # A null of a non-nullable field counts as missing, as kube prunes it before defaulting.
    if name not in obj:
        return True
    return obj[name] is None and not schema.get("nullable", False)


# -- the schema itself --------------------------------------------------------------------


def structural_problems(schema: Schema, *, path: str = "") -> list[str]:
    """Return why kube-apiserver would refuse `schema` as a CRD version schema (empty if none).

    Checks the structural rules (every node typed unless int-or-string or preserve-unknown,
    arrays with `items`, `properties` only on objects and never with `additionalProperties`),
    that list-map keys are required or defaulted, and that every `default` validates and is
    fully declared (nothing of it would be pruned).
    """
    problems: list[str] = []
    _check_node(schema, path or "<root>", problems)
    return problems


def _check_node(schema: Schema, path: str, problems: list[str]) -> None:
    _check_shape(schema, path, problems)
    _check_list_map_keys(schema, path, problems)
    _check_default(schema, path, problems)
    for name, child in schema.get("properties", {}).items():
        _check_node(child, f"{path}.properties[{name}]", problems)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        _check_node(extra, f"{path}.additionalProperties", problems)
    items = schema.get("items")
    if isinstance(items, Mapping):
        _check_node(items, f"{path}.items", problems)


def _check_shape(schema: Schema, path: str, problems: list[str]) -> None:
    declared = schema.get("type")
    open_node = schema.get(INT_OR_STRING) or schema.get(PRESERVE_UNKNOWN)
    if declared is None and not open_node:
        problems.append(
            f"{path}: type: Required value: must not be empty for specified object fields"
        )
    elif declared is not None and declared not in _JSON_TYPES:
        problems.append(f"{path}: type: Unsupported value: {_render(declared)}")
    if declared == "array" and not isinstance(schema.get("items"), Mapping):
        problems.append(f"{path}: items: Required value: must be specified for arrays")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{path}: additionalProperties and properties are mutually exclusive")
    if declared not in (None, "object") and (
        "properties" in schema or "additionalProperties" in schema
    ):
        problems.append(f"{path}: properties are only allowed for type object")


def _check_list_map_keys(schema: Schema, path: str, problems: list[str]) -> None:
    if schema.get(LIST_TYPE) != "map":
        return
    items = schema.get("items")
    if not isinstance(items, Mapping):
        return  # reported by _check_shape
    properties = items.get("properties", {})
    for key in schema.get(LIST_MAP_KEYS, []):
        if key not in items.get("required", []) and "default" not in properties.get(key, {}):
            problems.append(
                f"{path}.items.properties[{key}]: Required value: "
                "this property is in x-kubernetes-list-map-keys, so it must have a default "
                "or be a required property"
            )


def _check_default(schema: Schema, path: str, problems: list[str]) -> None:
    if "default" not in schema:
        return
    default = schema["default"]
    for error in validate(schema, default):
        problems.append(f"{path}.default: {error}")
    for dropped in prune(schema, default)[1]:
        problems.append(f"{path}.default: {dropped}: must not have unknown fields")


# -- rendering ----------------------------------------------------------------------------


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _body(path: str) -> str:
    return f"{path} in body" if path else "body"


def _render(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
