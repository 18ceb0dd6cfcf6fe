"""Structural schemas of the small built-in kinds: field validation and ``kubectl explain``. Pure.

Only kinds whose every field is listed here get a schema (a missing field would make Strict
validation reject valid objects); the others (Pods, Deployments, ...) are served without one,
so their unknown fields are neither reported nor pruned. Nested kube types this server does not
interpret are ``x-kubernetes-preserve-unknown-fields`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api.schema import PRESERVE_UNKNOWN as PRESERVE
from ocm_core.api.schema import Schema
from ocm_core.apiserver.registry import ResourceInfo


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _string_map(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string"},
    }


def _opaque(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, PRESERVE: True}


def _opaque_list(description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": _opaque("")}


_API_VERSION: Final = _string(
    "APIVersion defines the versioned schema of this representation of an object."
)
_KIND: Final = _string(
    "Kind is a string value representing the REST resource this object represents."
)
_METADATA: Final = {
    "type": "object",
    "description": "Standard object's metadata.",
    PRESERVE: True,
}


#: The fields every kind has (added to CRD schemas that leave them out, when published).
OBJECT_FIELDS: Final = {"apiVersion": _API_VERSION, "kind": _KIND, "metadata": _METADATA}


def _kind_schema(description: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {**OBJECT_FIELDS, **fields},
    }


_IMMUTABLE: Final = {
    "type": "boolean",
    "description": "Immutable, if set to true, ensures that data stored cannot be updated.",
}

CONFIG_MAP: Final = _kind_schema(
    "ConfigMap holds configuration data for pods to consume.",
    {
        "data": _string_map("Data contains the configuration data (UTF-8 values)."),
        "binaryData": _string_map("BinaryData contains the binary data (base64 values)."),
        "immutable": _IMMUTABLE,
    },
)
SECRET: Final = _kind_schema(
    "Secret holds secret data of a certain type.",
    {
        "data": _string_map("Data contains the secret data (base64 values)."),
        "stringData": _string_map(
            "stringData allows specifying non-binary secret data in "
            "string form; it is merged into data on write."
        ),
        "type": _string("Used to facilitate programmatic handling of secret data."),
        "immutable": _IMMUTABLE,
    },
)
NAMESPACE: Final = _kind_schema(
    "Namespace provides a scope for Names.",
    {
        "spec": {
            "type": "object",
            "description": "Spec defines the behavior of the Namespace.",
            "properties": {
                "finalizers": {
                    "type": "array",
                    "description": "Finalizers is an opaque list of values that must be empty "
                    "to permanently remove object from storage.",
                    "items": {"type": "string"},
                }
            },
        },
        "status": {
            "type": "object",
            "description": "Status describes the current status of a Namespace.",
            "properties": {
                "phase": _string("Phase is the current lifecycle phase of the namespace."),
                "conditions": _opaque_list(
                    "Represents the latest available observations of a namespace's current state."
                ),
            },
        },
    },
)
SERVICE_ACCOUNT: Final = _kind_schema(
    "ServiceAccount binds together a name, a principal that can be authenticated and "
    "authorized, and a set of secrets.",
    {
        "secrets": _opaque_list(
            "Secrets is a list of the secrets in the same namespace that "
            "pods running using this ServiceAccount are allowed to use."
        ),
        "imagePullSecrets": _opaque_list(
            "ImagePullSecrets is a list of references to secrets for pulling images."
        ),
        "automountServiceAccountToken": {
            "type": "boolean",
            "description": "Whether pods running as this service account should have an API "
            "token automatically mounted.",
        },
    },
)

#: (group, kind) -> schema, for every served version of the kind.
BUILTIN_SCHEMAS: Final[Mapping[tuple[str, str], Schema]] = {
    ("", "ConfigMap"): CONFIG_MAP,
    ("", "Secret"): SECRET,
    ("", "Namespace"): NAMESPACE,
    ("", "ServiceAccount"): SERVICE_ACCOUNT,
}


def schema_for(info: ResourceInfo) -> Schema | None:
    """The schema of a served kind: its CRD version's, a built-in one, or None."""
    if info.schema is not None:
        return info.schema
    return BUILTIN_SCHEMAS.get((info.group, info.kind))
