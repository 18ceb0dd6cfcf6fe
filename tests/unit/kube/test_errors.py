"""Status bodies map onto the error tree, keeping what the server said."""

from __future__ import annotations

import json

import pytest

from ocm_core.kube import errors


def status(code: int, reason: str, message: str = "msg") -> dict[str, object]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
        "details": {"name": "x", "kind": "configmaps"},
    }


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        pytest.param(404, "NotFound", errors.NotFoundError, id="not-found"),
        pytest.param(409, "Conflict", errors.ConflictError, id="conflict"),
        pytest.param(409, "AlreadyExists", errors.AlreadyExistsError, id="already-exists"),
        pytest.param(410, "Expired", errors.ExpiredError, id="expired"),
        pytest.param(410, "Gone", errors.ExpiredError, id="gone"),
        pytest.param(403, "Forbidden", errors.ForbiddenError, id="forbidden"),
        pytest.param(401, "Unauthorized", errors.UnauthorizedError, id="unauthorized"),
        pytest.param(422, "Invalid", errors.InvalidError, id="invalid"),
        pytest.param(415, "UnsupportedMediaType", errors.UnsupportedMediaTypeError, id="415"),
        pytest.param(429, "TooManyRequests", errors.TooManyRequestsError, id="429"),
        pytest.param(500, "Timeout", errors.ServerTimeoutError, id="timeout-reason"),
        pytest.param(504, "", errors.ServerTimeoutError, id="504"),
        pytest.param(503, "ServiceUnavailable", errors.ServiceUnavailableError, id="503"),
        pytest.param(500, "InternalError", errors.ServerError, id="500"),
        pytest.param(418, "Teapot", errors.ApiError, id="unknown-4xx"),
    ],
)
def test_status_maps_to_class(code: int, reason: str, cls: type[errors.ApiError]) -> None:
    error = errors.error_from_status(code, json.dumps(status(code, reason, "the words")).encode())
    assert type(error) is cls
    assert error.code == code
    assert error.message == "the words"
    assert error.details == {"name": "x", "kind": "configmaps"}


def test_already_exists_is_a_conflict() -> None:
    assert issubclass(errors.AlreadyExistsError, errors.ConflictError)


def test_non_status_body_is_kept_as_message() -> None:
    error = errors.error_from_status(502, b"<html>bad gateway</html>")
    assert isinstance(error, errors.ServerError)
    assert error.message == "<html>bad gateway</html>"
    assert error.reason == "InternalError"


def test_status_code_inside_body_wins_over_http_code() -> None:
    # Watch ERROR events carry the code only in the Status object.
    error = errors.error_from_status(500, status(410, "Expired", "too old resource version"))
    assert isinstance(error, errors.ExpiredError)
    assert "too old resource version" in str(error)


def test_empty_body_gets_a_default_reason() -> None:
    error = errors.error_from_status(404, b"")
    assert isinstance(error, errors.NotFoundError)
    assert error.reason == "NotFound"
