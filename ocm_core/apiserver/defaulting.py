"""Structural-schema defaulting for custom resources (``default:`` in openAPIV3Schema). Pure.

kube-apiserver fills schema defaults into custom resources on every write; OCM's CRDs rely on
that (e.g. ``leaseDurationSeconds``). Defaults apply to missing fields of objects, recursively
through ``properties``, ``items`` and ``additionalProperties``; present values are untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def apply_defaults(value: Any, schema: Mapping[str, Any] | None) -> Any:
    """``value`` with the schema's defaults filled in (a new object; input unchanged)."""
    if not schema:
        return value
    if isinstance(value, dict):
        result = dict(value)
        properties = schema.get("properties") or {}
        for key, child in properties.items():
            if key not in result and isinstance(child, Mapping) and "default" in child:
                result[key] = copy.deepcopy(child["default"])
            if key in result:
                result[key] = apply_defaults(result[key], child)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key in result.keys() - properties.keys():
                result[key] = apply_defaults(result[key], extra)
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [apply_defaults(item, schema["items"]) for item in value]
    return value


def schema_without_metadata(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Object metadata is never defaulted from a CRD schema (kube only allows name/namespace)."""
    if not schema:
        return None
    properties = {k: v for k, v in (schema.get("properties") or {}).items() if k != "metadata"}
    return {**schema, "properties": properties}
