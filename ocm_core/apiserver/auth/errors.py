"""Errors of the authentication and authorization package.

    AuthError                       root; never raised itself
    ├── TokenFileError              the static token file is malformed (startup: say line and fix)
    ├── TokenError                  a bearer token could not be issued or verified
    ├── ImpersonationError          impersonation headers refused
    │   ├── ImpersonationRequestError   malformed headers (HTTP 400 BadRequest)
    │   └── ImpersonationForbiddenError the caller may not impersonate that (HTTP 403 Forbidden)
    └── ReviewError                 a *Review body is invalid (HTTP 422 Invalid or 400)

The HTTP layer maps them to Status objects; messages are written for the person reading them.
"""

from __future__ import annotations

from typing import Final

HTTP_BAD_REQUEST: Final = 400
HTTP_FORBIDDEN: Final = 403
HTTP_UNPROCESSABLE: Final = 422


class AuthError(Exception):
    """Root of this package's errors."""


class TokenFileError(AuthError):
    """The static token file cannot be used; the message names the line and the problem."""


class TokenError(AuthError):
    """A token could not be issued, or a presented token is invalid (the message says why)."""


class ImpersonationError(AuthError):
    """Impersonation refused; `status` is the HTTP status the server should answer with."""

    status: int = HTTP_FORBIDDEN


class ImpersonationRequestError(ImpersonationError):
    """The impersonation headers do not make sense (e.g. a group without a user)."""

    status = HTTP_BAD_REQUEST


class ImpersonationForbiddenError(ImpersonationError):
    """The authenticated user lacks the `impersonate` permission for what it asked."""

    status = HTTP_FORBIDDEN


class ReviewError(AuthError):
    """A TokenReview / SubjectAccessReview body is invalid (the message names the field).

    `status` is 422 (Invalid) for field errors and 400 where kube answers BadRequest.
    """

    def __init__(self, message: str, *, status: int = HTTP_UNPROCESSABLE) -> None:
        super().__init__(message)
        self.status = status
