"""Server-side field validation (``?fieldValidation=Strict|Warn|Ignore``), as kube-apiserver does.

Two kinds of problems in a request body, worded as kube words them:
- duplicate fields, found while decoding: JSON ``duplicate field "name"``, YAML
  ``line 12: key "name" already set in map``;
- unknown fields, found by walking the body against the kind's structural schema (a CRD's
  ``openAPIV3Schema`` or a built-in schema from :mod:`ocm_core.apiserver.schemas`): ``unknown field
  "spec.foo"``. ``metadata`` is checked against ObjectMeta's fields.

``Strict`` turns the problems into an error, ``Warn`` (kube's default when the parameter is
absent) into ``Warning: 299`` headers, ``Ignore`` drops them silently; under Warn and Ignore the
unknown fields are pruned before the write, so they are never stored. Kinds without a schema
are not checked for unknown fields. Pure: bytes and dicts in, results out.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import yaml

from ocm_core.api.schema import EMBEDDED_RESOURCE, PRESERVE_UNKNOWN, TYPE_META_FIELDS, Schema

#: ObjectMeta's fields: anything else under ``metadata`` is an unknown field.
OBJECT_META_FIELDS: Final = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
#: Strategic-merge-patch directives (``$patch``, ``$setElementOrder/containers``, ...).
_DIRECTIVE_PREFIX: Final = "$"
#: kube's warning code for "miscellaneous persistent warning" (RFC 7234), the only one it sends.
WARNING_CODE: Final = 299


class Mode(StrEnum):
    STRICT = "Strict"
    WARN = "Warn"
    IGNORE = "Ignore"


def mode_of(value: str) -> Mode:
    """The mode a ``fieldValidation`` value selects; absent means Warn, kube's default."""
    return Mode(value) if value else Mode.WARN


@dataclass
class Decoded:
    """A decoded body and the duplicate-field problems seen while decoding it."""

    value: Any
    duplicates: list[str] = field(default_factory=list)


def decode_json(raw: bytes | str) -> Decoded:
    """``json.loads`` that also reports duplicate keys (the last value wins, as in kube).

    Raises ``ValueError`` for invalid JSON."""
    duplicates: list[str] = []

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(f'duplicate field "{key}"')
                seen.add(key)
        return obj

    return Decoded(json.loads(raw, object_pairs_hook=build), duplicates)


class _DuplicateReportingLoader(yaml.SafeLoader):
    """A safe loader that records repeated mapping keys with their line, in kube's words."""

    def __init__(self, stream: bytes | str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                line = key_node.start_mark.line + 1
                self.duplicates.append(f'line {line}: key "{key_node.value}" already set in map')
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def decode_yaml(raw: bytes | str) -> Decoded:
    """``yaml.safe_load`` that also reports duplicate keys; raises ``yaml.YAMLError``."""
    loader = _DuplicateReportingLoader(raw)
    try:
        return Decoded(loader.get_single_data(), loader.duplicates)
    finally:
        loader.dispose()


# --- unknown fields ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unknown:
    """One unknown field: its path and where it sits (for pruning)."""

    path: str
    container: dict[str, Any]
    key: str


def unknown_fields(schema: Schema | None, obj: Any, *, patch: bool = False) -> list[str]:
    """Paths of the fields ``obj`` has that the schema does not declare (sorted, kube's order).

    ``patch``: ``obj`` is a merge or strategic-merge patch: ``$`` directives and ``null``
    (deletion) values are not fields."""
    if not isinstance(obj, dict):
        return []
    return sorted(found.path for found in _find_root(schema, obj, patch=patch))


def introduced_unknown_fields(schema: Schema | None, before: Any, after: Any) -> list[str]:
    """Paths of the unknown fields ``after`` has and ``before`` had not: what a JSON patch
    (operations, not fields) added. An object stored before its kind had a schema may hold
    unknown fields; a patch that leaves them alone is not refused for them."""
    already = set(unknown_fields(schema, before))
    return [path for path in unknown_fields(schema, after) if path not in already]


def prune_unknown(schema: Schema | None, obj: dict[str, Any], *, patch: bool = False) -> Any:
    """A copy of ``obj`` without its unknown fields (``obj`` itself when it has none)."""
    if not _find_root(schema, obj, patch=patch):
        return obj
    pruned = copy.deepcopy(obj)
    for found in _find_root(schema, pruned, patch=patch):
        found.container.pop(found.key, None)
    return pruned


# The walk appends to one list instead of yielding: it runs on every write, and generator
# frames per nesting level cost more than the walk itself.


def _find_root(schema: Schema | None, obj: dict[str, Any], *, patch: bool) -> list[_Unknown]:
    found: list[_Unknown] = []
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        for key in metadata:
            if key not in OBJECT_META_FIELDS and not _skipped(key, metadata[key], patch):
                found.append(_Unknown(f"metadata.{key}", metadata, key))
    if schema is not None:
        _find_in_object(schema, obj, "", patch, True, found)
    return found


def _skipped(key: str, value: Any, patch: bool) -> bool:
    return patch and (key.startswith(_DIRECTIVE_PREFIX) or value is None)


def _find(schema: Schema, value: Any, path: str, patch: bool, found: list[_Unknown]) -> None:
    if isinstance(value, dict):
        embedded = bool(schema.get(EMBEDDED_RESOURCE))
        _find_in_object(schema, value, path, patch, embedded, found)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                _find(items, item, f"{path}[{index}]", patch, found)


def _find_in_object(
    schema: Schema,
    value: dict[str, Any],
    path: str,
    patch: bool,
    type_meta: bool,
    found: list[_Unknown],
) -> None:
    properties: Mapping[str, Schema] = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    preserve = bool(schema.get(PRESERVE_UNKNOWN)) or extra is True
    extra_schema = extra if isinstance(extra, Mapping) else None
    for key, item in value.items():
        if (type_meta and key in TYPE_META_FIELDS) or _skipped(key, item, patch):
            continue  # ObjectMeta is checked on its own; apiVersion/kind are always allowed
        child = properties.get(key, extra_schema)
        if child is not None:
            if isinstance(item, dict | list):
                _find(child, item, f"{path}.{key}" if path else key, patch, found)
        elif not preserve:
            found.append(_Unknown(f"{path}.{key}" if path else key, value, key))


# --- outcomes ------------------------------------------------------------------------------


def problems(duplicates: list[str], unknown: list[str]) -> list[str]:
    """Every problem, in kube's order: duplicates as decoded, then unknown fields by path."""
    return [*duplicates, *(f'unknown field "{path}"' for path in unknown)]


def strict_decoding_error(found: list[str]) -> str:
    return f"strict decoding error: {', '.join(found)}"


def strict_decoding_message(kind: str, version: str, found: list[str]) -> str:
    """The BadRequest message of a Strict create or update (kube's ``transformDecodeError``)."""
    return (
        f'{kind} in version "{version}" cannot be handled as a {kind}: '
        f"{strict_decoding_error(found)}"
    )


def typed_patch_message(
    namespace: str, name: str, api_version: str, kind: str, unknown_path: str
) -> str:
    """Server-side apply's message for an undeclared field (kube answers 500 with it)."""
    group_version = api_version if "/" in api_version else f"/{api_version}"
    return (
        f"failed to create typed patch object ({namespace}/{name}; {group_version}, "
        f"Kind={kind}): .{unknown_path}: field not declared in schema"
    )


def warning_header(text: str) -> str:
    """One ``Warning`` header value: ``299 - "<text>"`` with quotes and backslashes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{WARNING_CODE} - "{escaped}"'
