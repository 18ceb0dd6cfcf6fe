"""Who is calling: the union of the server's authenticators, in kube-apiserver's order.

1. x509 client certificate (the TLS layer already verified the chain against the client CA):
   CN = user name, O = groups.
2. `Authorization: Bearer <token>`: static token file, then ServiceAccount JWTs, then
   bootstrap tokens.
3. Nothing presented: `system:anonymous` in `system:unauthenticated`, only if anonymous access
   is enabled. A credential that is presented but invalid is never downgraded to anonymous.

Every authenticated user gets `system:authenticated`. Pure: the HTTP layer passes in what it
has (the peer certificate, the header value); nothing here touches sockets or storage.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography import x509

from ocm_core import pki
from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.bootstrap import BootstrapTokens, is_bootstrap_token
from ocm_core.apiserver.auth.errors import TokenError
from ocm_core.apiserver.auth.serviceaccount import ServiceAccountTokens, VerifiedToken
from ocm_core.apiserver.auth.tokenfile import StaticTokens

logger = logging.getLogger(__name__)

BEARER_SCHEME: Final = "bearer"

ANONYMOUS: Final = users.UserInfo(name=users.ANONYMOUS_USER, groups=(users.SYSTEM_UNAUTHENTICATED,))


def user_from_certificate(certificate: x509.Certificate) -> users.UserInfo | None:
    """The user a verified client certificate names, or None when its CN is empty (kube)."""
    name, groups = pki.subject_user(certificate)
    if not name:
        return None
    return users.with_authenticated_group(users.UserInfo(name=name, groups=groups))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != BEARER_SCHEME or not token or " " in token:
        return None
    return token


@dataclass(frozen=True)
class Authenticator:
    """The configured authenticators; any of them may be absent."""

    static_tokens: StaticTokens | None = None
    service_accounts: ServiceAccountTokens | None = None
    bootstrap_tokens: BootstrapTokens | None = None
    anonymous: bool = False
    audiences: Sequence[str] = field(default=())
    """Audiences the API server accepts; empty means the ServiceAccount issuer's defaults."""

    def authenticate(
        self, peer_cert: x509.Certificate | None, authorization: str | None
    ) -> users.UserInfo | None:
        """The caller, or None (answer 401 Unauthorized)."""
        if peer_cert is not None:
            user = user_from_certificate(peer_cert)
            if user is not None:
                return user
        token = bearer_token(authorization)
        if token is not None:
            try:
                return self.authenticate_token(token).user
            except TokenError as exc:
                logger.debug("bearer token rejected", extra={"reason": str(exc)})
                return None
        if authorization:
            return None  # some other scheme (Basic, ...): refused, never anonymous
        return ANONYMOUS if self.anonymous and peer_cert is None else None

    def authenticate_token(
        self, token: str, audiences: Sequence[str] | None = None
    ) -> VerifiedToken:
        """Authenticate a bare token (also what TokenReview does); raises `TokenError`.

        `audiences` restricts which audiences the token must be for (TokenReview's
        `spec.audiences`); by default the API server's own.
        """
        wanted = tuple(audiences or self.audiences or self._default_audiences())
        if self.static_tokens is not None:
            user = self.static_tokens.authenticate(token)
            if user is not None:
                return VerifiedToken(user, self._api_audiences_in(wanted))
        if self.service_accounts is not None and self.service_accounts.handles(token):
            return self.service_accounts.verify_detailed(token, wanted)
        if self.bootstrap_tokens is not None and is_bootstrap_token(token):
            user = self.bootstrap_tokens.authenticate(token)
            if user is not None:
                return VerifiedToken(user, self._api_audiences_in(wanted))
        raise TokenError("the token is not valid")

    def _default_audiences(self) -> tuple[str, ...]:
        if self.service_accounts is not None:
            return self.service_accounts.api_audiences
        return ()

    def _api_audiences_in(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        # Static and bootstrap tokens carry no audience: like kube, they count as valid for
        # the API server's own audiences only.
        own = tuple(self.audiences) or self._default_audiences()
        if not own:
            return wanted
        accepted = tuple(a for a in wanted if a in own)
        if not accepted:
            raise TokenError("the token is not valid for the requested audiences")
        return accepted
