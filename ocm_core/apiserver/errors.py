"""API errors and their one rendering path to a metav1 ``Status`` object.

Every failure a client can see is an :class:`ApiError`; handlers never build Status JSON by hand.
The constructors mirror kube-apiserver's wording (``configmaps "x" not found``) because kubectl
prints the message verbatim and client-go keys its ``IsNotFound``/``IsConflict`` on ``reason``.

    ApiError
      (all variants are instances; ``reason``/``code`` distinguish them)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

STATUS_FAILURE: Final = "Failure"
REASON_ALREADY_EXISTS: Final = "AlreadyExists"

UNSUPPORTED_PATCH_MESSAGE: Final = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)


@dataclass
class ApiError(Exception):
    """A request failure rendered as a Kubernetes ``Status`` (code + reason + message)."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": STATUS_FAILURE,
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


def qualified_resource(resource: str, group: str) -> str:
    """``configmaps`` for the core group, ``deployments.apps`` otherwise (kube wording)."""
    return f"{resource}.{group}" if group else resource


def _details(name: str, group: str, resource: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return details


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified_resource(resource, group)} "{name}" not found',
        _details(name, group, resource),
    )


def no_such_route() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        REASON_ALREADY_EXISTS,
        f'{qualified_resource(resource, group)} "{name}" already exists',
        _details(name, group, resource),
    )


def conflict(resource: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified_resource(resource, group)} "{name}": {why}',
        _details(name, group, resource),
    )


STALE_OBJECT: Final = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def apply_conflict(
    resource: str, group: str, name: str, message: str, conflicts: list[tuple[str, str]]
) -> ApiError:
    """409 for a server-side apply that would take fields from another manager."""
    details = _details(name, group, resource)
    details["causes"] = [
        {"reason": "FieldManagerConflict", "message": f'conflict with "{manager}"', "field": path}
        for manager, path in conflicts
    ]
    return ApiError(409, "Conflict", message, details)


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
    """422 with one cause per (field, message) pair."""
    text = "; ".join(f"{path}: {msg}" for path, msg in causes)
    details = _details(name, group, kind)
    details["causes"] = [
        {"reason": "FieldValueInvalid", "message": msg, "field": path} for path, msg in causes
    ]
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {text}', details)


def invalid_patch(patch: Any, detail: str) -> ApiError:
    """422 for a patch whose result fails strict decoding (kube names neither kind nor object;
    the value is rendered as Go's ``%+v`` renders the decoded patch)."""
    return _invalid_patch_value(f'"{go_value(patch)}"', detail)


def invalid_patched_object(patched: Any, detail: str) -> ApiError:
    """422 for a JSON patch whose result fails strict decoding: kube shows the patched object's
    JSON as the value (a Go ``%q`` string)."""
    patched_json = json.dumps(patched, sort_keys=True, separators=(",", ":"))
    return _invalid_patch_value(json.dumps(patched_json, ensure_ascii=False), detail)


def _invalid_patch_value(quoted_value: str, detail: str) -> ApiError:
    message = f"Invalid value: {quoted_value}: {detail}"
    details = {"causes": [{"reason": "FieldValueInvalid", "message": message, "field": "patch"}]}
    return ApiError(422, "Invalid", f'"" is invalid: patch: {message}', details)


def go_value(value: Any) -> str:
    """A decoded JSON value as Go's ``fmt`` prints ``map[string]interface{}`` values."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unsupported_media_type(message: str = UNSUPPORTED_PATCH_MESSAGE) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", message)


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed(verb: str, resource: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", f"{verb} is not supported on resources of {resource}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def request_entity_too_large(limit: int) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"the request body exceeds {limit} bytes")


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", message)
