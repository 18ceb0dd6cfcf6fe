"""Every failure the Kubernetes client reports, as one exception tree.

::

    KubeError
    ├── ConfigError                 kubeconfig / in-cluster config is missing or wrong
    ├── TransportError              the request never got an HTTP answer
    │   ├── KubeConnectionError     refused, reset, TLS handshake failed, DNS ...
    │   └── KubeTimeoutError        the per-request (or watch inactivity) deadline passed
    └── ApiError                    the server answered with a metav1 Status (or a bare 4xx/5xx)
        ├── BadRequestError         400
        ├── UnauthorizedError       401
        ├── ForbiddenError          403
        ├── NotFoundError           404
        ├── MethodNotAllowedError   405
        ├── ConflictError           409 (stale resourceVersion, apply field conflict)
        │   └── AlreadyExistsError  409 reason AlreadyExists
        ├── ExpiredError            410 Gone / reason Expired: relist (watch, continue token)
        ├── UnsupportedMediaTypeError 415
        ├── InvalidError            422
        ├── TooManyRequestsError    429
        └── ServerError             5xx
            ├── ServiceUnavailableError 503
            └── ServerTimeoutError  504 or reason Timeout / ServerTimeout

`error_from_status` is the one place that turns an HTTP code plus a response body into an
`ApiError`; it is pure so both the HTTP client and watch ``ERROR`` events use it.
"""

from __future__ import annotations

import json
from typing import Any, Final


class KubeError(Exception):
    """Root of every error raised by ``ocm_core.kube``."""


class ConfigError(KubeError):
    """The client configuration is missing or invalid; the message says what to fix."""


class TransportError(KubeError):
    """No HTTP answer was received."""


class KubeConnectionError(TransportError):
    """The connection could not be made or broke mid-request."""


class KubeTimeoutError(TransportError):
    """The request deadline passed before the server answered."""


class ApiError(KubeError):
    """The API server rejected the request. Keeps the server's Status fields verbatim."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.details: dict[str, Any] = details or {}
        self.status: dict[str, Any] = status or {}


class BadRequestError(ApiError):
    """400: the request was malformed."""


class UnauthorizedError(ApiError):
    """401: the credentials were missing, expired or wrong."""


class ForbiddenError(ApiError):
    """403: authenticated but not allowed."""


class NotFoundError(ApiError):
    """404: the object, namespace or resource does not exist."""


class MethodNotAllowedError(ApiError):
    """405: the verb is not served for this resource."""


class ConflictError(ApiError):
    """409: the write lost a race (stale resourceVersion) or an apply conflicted."""


class AlreadyExistsError(ConflictError):
    """409 AlreadyExists: create of a name that is taken."""


class ExpiredError(ApiError):
    """410: the resourceVersion or continue token is too old; the caller must relist."""


class UnsupportedMediaTypeError(ApiError):
    """415: e.g. a strategic merge patch sent to a custom resource."""


class InvalidError(ApiError):
    """422: the object failed validation; ``details['causes']`` lists the fields."""


class TooManyRequestsError(ApiError):
    """429: throttled; retry later."""


class ServerError(ApiError):
    """5xx: the server failed."""


class ServiceUnavailableError(ServerError):
    """503: the server is not ready."""


class ServerTimeoutError(ServerError):
    """504, or a Status with reason Timeout / ServerTimeout."""


_BY_CODE: Final[dict[int, type[ApiError]]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    410: ExpiredError,
    415: UnsupportedMediaTypeError,
    422: InvalidError,
    429: TooManyRequestsError,
    503: ServiceUnavailableError,
    504: ServerTimeoutError,
}

# Reasons that decide the class regardless of the code (the server's word is more precise).
_BY_REASON: Final[dict[str, type[ApiError]]] = {
    "AlreadyExists": AlreadyExistsError,
    "Expired": ExpiredError,
    "Gone": ExpiredError,
    "Timeout": ServerTimeoutError,
    "ServerTimeout": ServerTimeoutError,
}


def error_from_status(code: int, body: bytes | str | dict[str, Any] | None) -> ApiError:
    """Build the `ApiError` subclass for an HTTP ``code`` and a response body.

    ``body`` may be a metav1 Status (dict or JSON text) or anything else (a proxy's HTML page,
    plain text); non-Status bodies are kept as the message so nothing the server said is lost.
    """
    status = _parse_status(body)
    code = int(status.get("code") or code)
    reason = str(status.get("reason") or _default_reason(code))
    message = str(status.get("message") or _text_of(body) or reason)
    details = status.get("details")
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if code >= 500 else ApiError
    return cls(
        code,
        reason,
        message,
        details=details if isinstance(details, dict) else None,
        status=status or None,
    )


def _parse_status(body: bytes | str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(body, dict):
        return body if body.get("kind") == "Status" else {}
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) and parsed.get("kind") == "Status" else {}


def _text_of(body: bytes | str | dict[str, Any] | None) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace").strip()[:1024]
    if isinstance(body, str):
        return body.strip()[:1024]
    return ""


def _default_reason(code: int) -> str:
    cls = _BY_CODE.get(code)
    if cls is None:
        return "InternalError" if code >= 500 else "Unknown"
    return cls.__name__.removesuffix("Error")
