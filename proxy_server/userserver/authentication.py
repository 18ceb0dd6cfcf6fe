"""Who the hub user is: a verified client certificate (CN = user, O = groups), else a bearer
token checked by a TokenReview on the hub (cached, see `reviewcache`).

`Authenticator` is a protocol so deployments (and tests) can plug in another source. A hub
that cannot be asked is an `AuthUnavailableError` (503), never a silent rejection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cryptography import x509

from ocm_core.apiserver.auth import user_from_certificate
from ocm_core.apiserver.auth.user import UserInfo, freeze_extra
from ocm_core.kube import errors as kube_errors
from proxy_server.userserver.reviewcache import TTLCache

TOKEN_REVIEWS: Final = "/apis/authentication.k8s.io/v1/tokenreviews"


class AuthUnavailableError(Exception):
    """The hub could not answer a review; the message says what failed."""


class HubApi(Protocol):
    """The one call the reviews need (`ocm_core.kube.ApiClient` is one)."""

    async def request(self, method: str, path: str, *, body: Any = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Presented:
    """What the client presented: a verified certificate and/or a bearer token."""

    certificate: x509.Certificate | None = None
    token: str | None = None


class Authenticator(Protocol):
    async def authenticate(self, presented: Presented) -> UserInfo | None: ...


class CertificateAuthenticator:
    async def authenticate(self, presented: Presented) -> UserInfo | None:
        if presented.certificate is None:
            return None
        return user_from_certificate(presented.certificate)


class TokenReviewAuthenticator:
    def __init__(self, hub: HubApi, *, cache_ttl: float = 10.0) -> None:
        self._hub = hub
        # Rejections are cached too: a stream of bad tokens must not become a stream of
        # TokenReviews on the hub. A 1-tuple tells "cached: nobody" from "not cached".
        self._cache: TTLCache[tuple[UserInfo | None]] = TTLCache(cache_ttl)

    async def authenticate(self, presented: Presented) -> UserInfo | None:
        token = presented.token
        if not token:
            return None
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None:
            return cached[0]
        user = await self._review(token)
        self._cache.put(key, (user,))
        return user

    async def _review(self, token: str) -> UserInfo | None:
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token},
        }
        try:
            answer = await self._hub.request("POST", TOKEN_REVIEWS, body=body)
        except (kube_errors.KubeError, OSError) as exc:
            raise AuthUnavailableError(f"the hub TokenReview failed: {exc}") from exc
        status = answer.get("status") or {}
        if not status.get("authenticated"):
            return None
        user = status.get("user") or {}
        return UserInfo(
            name=str(user.get("username") or ""),
            groups=tuple(str(g) for g in user.get("groups") or ()),
            uid=str(user.get("uid") or ""),
            extra=freeze_extra(user.get("extra") or {}),
        )


class AuthenticatorChain:
    """Tries each authenticator in order; the first user found wins."""

    def __init__(self, *authenticators: Authenticator) -> None:
        self._authenticators = authenticators

    async def authenticate(self, presented: Presented) -> UserInfo | None:
        for authenticator in self._authenticators:
            user = await authenticator.authenticate(presented)
            if user is not None and user.name:
                return user
        return None
