"""Errors as Kubernetes `Status` JSON bodies, so kubectl prints them as it prints the API's."""

from __future__ import annotations

from typing import Final

from aiohttp import web

REASONS: Final = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_response(code: int, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": REASONS.get(code, "InternalError"),
        "code": code,
    }
    return web.json_response(body, status=code)
