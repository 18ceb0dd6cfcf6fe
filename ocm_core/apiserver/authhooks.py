"""The authentication/authorization hook points and the defaults used when none is configured.

``ocm_core.apiserver.access`` plugs the real ones (x509, tokens, impersonation, RBAC) in through
these exact shapes; ``ocm apiserver`` always uses those. The defaults here (the admin bearer
token only, every authenticated user allowed) serve apps built without ``access``, in tests.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from aiohttp import web

ADMIN_USER: Final = "admin"
MASTERS_GROUP: Final = "system:masters"
AUTHENTICATED_GROUP: Final = "system:authenticated"
BEARER_PREFIX: Final = "bearer "


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestAttributes:
    user: UserInfo
    verb: str
    api_group: str
    api_version: str
    resource: str
    subresource: str
    namespace: str
    name: str
    path: str
    resource_request: bool


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


class Authenticator(Protocol):
    async def authenticate(self, request: web.Request) -> UserInfo | None:
        """The user behind the request, or None when it carries no valid credentials."""
        ...


class Authorizer(Protocol):
    async def authorize(self, attrs: RequestAttributes) -> Decision: ...


class TokenAuthenticator:
    """Accepts exactly one static bearer token (the admin kubeconfig's) as a cluster admin."""

    def __init__(self, token: str, user: UserInfo | None = None) -> None:
        self._token = token
        self._user = user or UserInfo(ADMIN_USER, (MASTERS_GROUP, AUTHENTICATED_GROUP))

    async def authenticate(self, request: web.Request) -> UserInfo | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith(BEARER_PREFIX):
            return None
        presented = header[len(BEARER_PREFIX) :].strip()
        if hmac.compare_digest(presented.encode(), self._token.encode()):
            return self._user
        return None


class AllowAuthenticated:
    """Allows every request that authenticated (apps built without ``access``)."""

    async def authorize(self, attrs: RequestAttributes) -> Decision:
        return Decision(True, "authenticated users may do anything")
