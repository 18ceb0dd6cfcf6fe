"""The building blocks the built-in schemas are written in: typed fields with kube's descriptions.

Each function returns a fresh structural-schema dict (OpenAPI v3 as kube publishes it), so a
kind's schema reads like its Go type: ``obj("...", {"name": string("..."), ...})``. Only
unknown fields are checked against these (not types or formats), so the types are there for
``kubectl explain``.
"""

from __future__ import annotations

from typing import Any

from ocm_core.api.schema import INT_OR_STRING, PRESERVE_UNKNOWN

SchemaDict = dict[str, Any]


def string(description: str) -> SchemaDict:
    return {"type": "string", "description": description}


def integer(description: str) -> SchemaDict:
    return {"type": "integer", "description": description}


def boolean(description: str) -> SchemaDict:
    return {"type": "boolean", "description": description}


def timestamp(description: str) -> SchemaDict:
    """A ``metav1.Time`` (RFC 3339) or ``MicroTime``."""
    return {"type": "string", "format": "date-time", "description": description}


def int_or_string(description: str) -> SchemaDict:
    """An ``intstr.IntOrString`` (ports by number or name, ``25%``), as kube publishes it."""
    return {
        "type": "string",
        "format": "int-or-string",
        INT_OR_STRING: True,
        "description": description,
    }


def quantity(description: str) -> SchemaDict:
    """A ``resource.Quantity`` (``100m``, ``1Gi`` or a number), a string in kube's OpenAPI."""
    return {"type": "string", "format": "quantity", "description": description}


def strings(description: str) -> SchemaDict:
    return {"type": "array", "description": description, "items": {"type": "string"}}


def string_map(description: str) -> SchemaDict:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string"},
    }


def quantity_map(description: str) -> SchemaDict:
    """``ResourceList``: resource name -> quantity."""
    return {"type": "object", "description": description, "additionalProperties": quantity("")}


def obj(description: str, properties: dict[str, SchemaDict]) -> SchemaDict:
    """An object whose every field is listed: any other field is unknown."""
    return {"type": "object", "description": description, "properties": properties}


def array(description: str, items: SchemaDict) -> SchemaDict:
    return {"type": "array", "description": description, "items": items}


def opaque(description: str) -> SchemaDict:
    """An object this server does not describe field by field: any field is accepted."""
    return {"type": "object", "description": description, PRESERVE_UNKNOWN: True}


def opaque_list(description: str) -> SchemaDict:
    return array(description, opaque(""))


def with_description(schema: SchemaDict, description: str) -> SchemaDict:
    """A shared type used for one field, with that field's description."""
    return {**schema, "description": description}
