"""ServiceAccount tokens: issue (TokenRequest, legacy Secrets) and verify, as kube-apiserver does.

Two token shapes, both JWTs signed with the server's key (RS256 or ES256):
- bound tokens (TokenRequest, `kubectl create token`): `iss` = the server's issuer, `aud`, `exp`,
  `iat`, `nbf`, `jti`, `sub`, and a private `kubernetes.io` claim naming the namespace, the
  ServiceAccount (name, uid) and optionally the object the token is bound to (Pod, Secret, Node);
- legacy tokens (Secrets of type `kubernetes.io/service-account-token`): issuer
  `kubernetes/serviceaccount`, flat `kubernetes.io/serviceaccount/*` claims, no expiry.

Verification checks signature, issuer, time window (60 s leeway, kube's) and audience, then,
when a `UIDLookup` is given, that the ServiceAccount and the bound object still exist with the
same uid (so deleting a Pod revokes its tokens). Time comes from an injected clock.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Protocol

from ocm_core.apiserver.auth import jwt
from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.errors import TokenError

LEGACY_ISSUER: Final = "kubernetes/serviceaccount"
DEFAULT_ISSUER: Final = "https://kubernetes.default.svc.cluster.local"
DEFAULT_API_AUDIENCES: Final = (DEFAULT_ISSUER,)
DEFAULT_EXPIRATION_SECONDS: Final = 3600
MIN_EXPIRATION_SECONDS: Final = 600
"""kube's TokenRequest validation: "may not specify a duration less than 10 minutes"."""
LEEWAY_SECONDS: Final = 60
"""Clock skew tolerated on exp/nbf/iat, as kube's JWT validator allows."""

JWKS_PATH: Final = "/openid/v1/jwks"
OPENID_CONFIGURATION_PATH: Final = "/.well-known/openid-configuration"

KUBERNETES_CLAIM: Final = "kubernetes.io"
LEGACY_NAMESPACE_CLAIM: Final = "kubernetes.io/serviceaccount/namespace"
LEGACY_SECRET_NAME_CLAIM: Final = "kubernetes.io/serviceaccount/secret.name"
LEGACY_SA_NAME_CLAIM: Final = "kubernetes.io/serviceaccount/service-account.name"
LEGACY_SA_UID_CLAIM: Final = "kubernetes.io/serviceaccount/service-account.uid"

EXTRA_POD_NAME: Final = "authentication.kubernetes.io/pod-name"
EXTRA_POD_UID: Final = "authentication.kubernetes.io/pod-uid"
EXTRA_NODE_NAME: Final = "authentication.kubernetes.io/node-name"
EXTRA_NODE_UID: Final = "authentication.kubernetes.io/node-uid"
EXTRA_CREDENTIAL_ID: Final = "authentication.kubernetes.io/credential-id"

BOUND_KINDS: Final = ("Pod", "Secret", "Node")
#: Signature-checked tokens remembered (one or a few per client).
VERIFIED_TOKENS_KEPT: Final = 4096
SERVICE_ACCOUNT_KIND: Final = "ServiceAccount"


class UIDLookup(Protocol):
    """Return the uid of the live object (kind, namespace, name), or None if it does not exist.

    `namespace` is empty for cluster-scoped kinds (Node). Implemented by the server's cache.
    """

    def __call__(self, kind: str, namespace: str, name: str) -> str | None: ...


@dataclass(frozen=True)
class BoundObject:
    """The object a token is bound to: the token dies with it."""

    kind: str
    name: str
    uid: str


@dataclass(frozen=True)
class IssuedToken:
    """A token and when it expires (`TokenRequest.status`)."""

    token: str = field(repr=False)
    expiration: dt.datetime


@dataclass(frozen=True)
class VerifiedToken:
    """A valid token's user and the audiences it was accepted for (TokenReview needs both)."""

    user: users.UserInfo
    audiences: tuple[str, ...]


class ServiceAccountTokens:
    """Issuer and verifier of ServiceAccount JWTs for one API server."""

    def __init__(
        self,
        signing_key: jwt.SigningKey,
        *,
        issuer: str = DEFAULT_ISSUER,
        api_audiences: Sequence[str] = DEFAULT_API_AUDIENCES,
        extra_verification_keys: Sequence[jwt.VerificationKey] = (),
        uid_lookup: UIDLookup | None = None,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        jwt.algorithm_for(signing_key)  # reject unsupported curves at startup, not per request
        if not api_audiences:
            raise TokenError("the API server needs at least one audience")
        self._signing_key = signing_key
        self._issuer = issuer
        self._api_audiences = tuple(api_audiences)
        # Old public keys stay listed during a key rotation so earlier tokens still verify.
        self._verification_keys = (signing_key.public_key(), *extra_verification_keys)
        self._uid_lookup = uid_lookup
        self._clock = clock
        self._new_id = new_id
        #: Claims of tokens whose signature checked out, newest last: a client sends the same
        #: token on every request, and the signature check is most of a verification. Time
        #: window, audiences and live objects are still checked on each use.
        self._verified: OrderedDict[str, Mapping[str, Any]] = OrderedDict()

    def __repr__(self) -> str:
        return f"ServiceAccountTokens(issuer={self._issuer!r})"

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def api_audiences(self) -> tuple[str, ...]:
        return self._api_audiences

    # --- issuer discovery (kube's /.well-known/openid-configuration and /openid/v1/jwks) ------

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify our tokens, as a JWK set (`GET /openid/v1/jwks`)."""
        return {"keys": [jwt.public_jwk(key) for key in self._verification_keys]}

    def openid_configuration(self, jwks_uri: str | None = None) -> dict[str, Any]:
        """The OIDC discovery document (`GET /.well-known/openid-configuration`)."""
        algorithms = sorted({jwt.algorithm_for(key) for key in self._verification_keys})
        return {
            "issuer": self._issuer,
            "jwks_uri": jwks_uri or f"{self._issuer.rstrip('/')}{JWKS_PATH}",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
        }

    # --- issuing ------------------------------------------------------------------------------

    def issue(
        self,
        namespace: str,
        name: str,
        uid: str,
        *,
        audiences: Sequence[str] = (),
        expiration_seconds: int = DEFAULT_EXPIRATION_SECONDS,
        bound_object: BoundObject | None = None,
    ) -> IssuedToken:
        """Issue a bound token (what `POST …/serviceaccounts/<name>/token` returns)."""
        if not namespace or not name:
            raise TokenError("a ServiceAccount token needs the namespace and the account name")
        if expiration_seconds < MIN_EXPIRATION_SECONDS:
            raise TokenError(
                f"spec.expirationSeconds: may not specify a duration less than "
                f"{MIN_EXPIRATION_SECONDS} seconds (10 minutes)"
            )
        if bound_object is not None and bound_object.kind not in BOUND_KINDS:
            raise TokenError(
                f"spec.boundObjectRef.kind: {bound_object.kind!r} is not one of {BOUND_KINDS}"
            )
        now = int(self._clock())
        expires = now + expiration_seconds
        private: dict[str, Any] = {
            "namespace": namespace,
            "serviceaccount": {"name": name, "uid": uid},
        }
        if bound_object is not None:
            private[bound_object.kind.lower()] = {
                "name": bound_object.name,
                "uid": bound_object.uid,
            }
        claims = {
            "iss": self._issuer,
            "sub": users.service_account_username(namespace, name),
            "aud": list(audiences or self._api_audiences),
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": self._new_id(),
            KUBERNETES_CLAIM: private,
        }
        return IssuedToken(
            token=jwt.encode(claims, self._signing_key),
            expiration=dt.datetime.fromtimestamp(expires, dt.UTC),
        )

    def issue_legacy(self, namespace: str, name: str, uid: str, *, secret_name: str) -> str:
        """Issue a non-expiring legacy token for a `kubernetes.io/service-account-token` Secret."""
        claims = {
            "iss": LEGACY_ISSUER,
            "sub": users.service_account_username(namespace, name),
            LEGACY_NAMESPACE_CLAIM: namespace,
            LEGACY_SECRET_NAME_CLAIM: secret_name,
            LEGACY_SA_NAME_CLAIM: name,
            LEGACY_SA_UID_CLAIM: uid,
        }
        return jwt.encode(claims, self._signing_key)

    # --- verifying ----------------------------------------------------------------------------

    def handles(self, token: str) -> bool:
        """True if `token` is a JWT from one of our issuers (so other authenticators may skip)."""
        if not jwt.looks_like_jwt(token):
            return False
        try:
            issuer = jwt.decode_unverified_claims(token).get("iss")
        except TokenError:
            return False
        return issuer in (self._issuer, LEGACY_ISSUER)

    def verify(self, token: str, audiences: Sequence[str] | None = None) -> users.UserInfo:
        """The ServiceAccount user of a valid token; raises `TokenError` saying why not."""
        return self.verify_detailed(token, audiences).user

    def verify_detailed(self, token: str, audiences: Sequence[str] | None = None) -> VerifiedToken:
        """Verify `token` for `audiences` (default: the API audiences)."""
        claims = self._signed_claims(token)
        wanted = tuple(audiences) if audiences else self._api_audiences
        issuer = claims.get("iss")
        if issuer == self._issuer:
            return self._verify_bound(claims, wanted)
        if issuer == LEGACY_ISSUER:
            return self._verify_legacy(claims, wanted)
        raise TokenError(f"the token issuer {issuer!r} is not trusted")

    def _signed_claims(self, token: str) -> Mapping[str, Any]:
        claims = self._verified.get(token)
        if claims is None:
            claims = MappingProxyType(jwt.decode(token, self._verification_keys))
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        return claims

    def _verify_bound(self, claims: Mapping[str, Any], wanted: tuple[str, ...]) -> VerifiedToken:
        self._check_time_window(claims)
        accepted = _intersect(_audience_claim(claims), wanted)
        if not accepted:
            raise TokenError("the token audiences do not include any accepted audience")
        private = claims.get(KUBERNETES_CLAIM)
        if not isinstance(private, Mapping):
            raise TokenError(f"the token lacks the {KUBERNETES_CLAIM!r} claim")
        namespace = _string(private.get("namespace"), "namespace")
        account = private.get("serviceaccount")
        if not isinstance(account, Mapping):
            raise TokenError("the token does not name its ServiceAccount")
        name = _string(account.get("name"), "serviceaccount name")
        uid = _string(account.get("uid"), "serviceaccount uid")
        self._check_alive(SERVICE_ACCOUNT_KIND, namespace, name, uid)
        extra: dict[str, list[str]] = {}
        for kind in BOUND_KINDS:
            bound = private.get(kind.lower())
            if isinstance(bound, Mapping):
                bound_name = _string(bound.get("name"), f"{kind} name")
                bound_uid = _string(bound.get("uid"), f"{kind} uid")
                scope = "" if kind == "Node" else namespace
                self._check_alive(kind, scope, bound_name, bound_uid)
                extra.update(_bound_extra(kind, bound_name, bound_uid))
        jti = claims.get("jti")
        if isinstance(jti, str) and jti:
            extra[EXTRA_CREDENTIAL_ID] = [f"JTI={jti}"]
        return VerifiedToken(_service_account_user(namespace, name, uid, extra), accepted)

    def _verify_legacy(self, claims: Mapping[str, Any], wanted: tuple[str, ...]) -> VerifiedToken:
        # Legacy tokens carry no audience: kube treats them as meant for the API server itself.
        accepted = _intersect(self._api_audiences, wanted)
        if not accepted:
            raise TokenError("legacy ServiceAccount tokens are only valid for the API audiences")
        namespace = _string(claims.get(LEGACY_NAMESPACE_CLAIM), "namespace")
        name = _string(claims.get(LEGACY_SA_NAME_CLAIM), "serviceaccount name")
        uid = _string(claims.get(LEGACY_SA_UID_CLAIM), "serviceaccount uid")
        secret_name = _string(claims.get(LEGACY_SECRET_NAME_CLAIM), "secret name")
        self._check_alive(SERVICE_ACCOUNT_KIND, namespace, name, uid)
        if (
            self._uid_lookup is not None
            and self._uid_lookup("Secret", namespace, secret_name) is None
        ):
            raise TokenError(f"the token's Secret {namespace}/{secret_name} has been deleted")
        return VerifiedToken(_service_account_user(namespace, name, uid, {}), accepted)

    def _check_time_window(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        expires = claims.get("exp")
        if not isinstance(expires, int | float):
            raise TokenError("the token has no expiry ('exp')")
        if now > expires + LEEWAY_SECONDS:
            raise TokenError("the token has expired")
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and now + LEEWAY_SECONDS < not_before:
            raise TokenError("the token is not valid yet")

    def _check_alive(self, kind: str, namespace: str, name: str, uid: str) -> None:
        if self._uid_lookup is None:
            return
        live_uid = self._uid_lookup(kind, namespace, name)
        where = f"{namespace}/{name}" if namespace else name
        if live_uid is None:
            raise TokenError(f"{kind} {where} referenced by the token no longer exists")
        if uid and live_uid != uid:
            raise TokenError(f"{kind} {where} was recreated (uid {live_uid}, token has {uid})")


def _service_account_user(
    namespace: str, name: str, uid: str, extra: Mapping[str, list[str]]
) -> users.UserInfo:
    return users.UserInfo(
        name=users.service_account_username(namespace, name),
        groups=(*users.service_account_groups(namespace), users.SYSTEM_AUTHENTICATED),
        uid=uid,
        extra=users.freeze_extra(extra) if extra else MappingProxyType({}),
    )


def _bound_extra(kind: str, name: str, uid: str) -> dict[str, list[str]]:
    if kind == "Pod":
        return {EXTRA_POD_NAME: [name], EXTRA_POD_UID: [uid]}
    if kind == "Node":
        return {EXTRA_NODE_NAME: [name], EXTRA_NODE_UID: [uid]}
    return {}


def _audience_claim(claims: Mapping[str, Any]) -> tuple[str, ...]:
    audience = claims.get("aud")
    if isinstance(audience, str):
        return (audience,)
    if isinstance(audience, list) and all(isinstance(a, str) for a in audience):
        return tuple(audience)
    raise TokenError("the token has no valid audience ('aud') claim")


def _intersect(have: Sequence[str], wanted: Sequence[str]) -> tuple[str, ...]:
    return tuple(a for a in wanted if a in have)


def _string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise TokenError(f"the token's {what} claim is missing or not a string")
    return value
