"""``Access``: the real authentication, impersonation and RBAC authorization of the server.

Plugs :mod:`ocm_core.apiserver.auth` into the request hooks of :mod:`authhooks`:
- authentication, in kube's order: verified x509 client certificate (CN user, O groups), the
  admin token (user ``admin`` in ``system:masters``) and the ``--token-auth-file`` users,
  ServiceAccount JWTs signed with the key kept in the data dir, bootstrap tokens; nothing
  valid → 401 (no anonymous access);
- impersonation (``Impersonate-*`` headers), each requested identity checked with the
  ``impersonate`` verb; the request then runs as the impersonated user;
- RBAC over the :class:`AuthCache`, ``system:masters`` always allowed.
On start-up the default bootstrap policy (cluster-admin, admin/edit/view, system:discovery, ...)
is created where missing, as kube-apiserver does.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web
from cryptography import x509

from ocm_core import pki
from ocm_core.apiserver import auth, authhooks, errors
from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth_cache import AuthCache
from ocm_core.apiserver.client_certificates import peer_certificate_der
from ocm_core.apiserver.operations import Operations
from ocm_core.apiserver.registry import RBAC

logger = logging.getLogger(__name__)

SERVICE_ACCOUNT_KEY_FILE: Final = "sa.key"
#: Client certificates kept parsed (one per cluster agent, say).
_PARSED_CERTIFICATES: Final = 4096
_POLICY_RESOURCES: Final = {
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
}


@functools.lru_cache(maxsize=_PARSED_CERTIFICATES)
def _peer_certificate(der: bytes) -> x509.Certificate:
    """Parsed once per client certificate, not on each of its requests."""
    return pki.load_certificate_der(der)


def to_hook_user(user: users.UserInfo) -> authhooks.UserInfo:
    return authhooks.UserInfo(user.name, tuple(user.groups), user.uid, dict(user.extra))


def to_auth_user(user: authhooks.UserInfo) -> users.UserInfo:
    return users.UserInfo(
        name=user.name,
        groups=tuple(user.groups),
        uid=user.uid,
        extra=users.freeze_extra(user.extra),
    )


def to_auth_attributes(attrs: authhooks.RequestAttributes) -> users.RequestAttributes:
    return users.RequestAttributes(
        user=to_auth_user(attrs.user),
        verb=attrs.verb,
        api_group=attrs.api_group,
        api_version=attrs.api_version,
        resource=attrs.resource,
        subresource=attrs.subresource,
        namespace=attrs.namespace,
        name=attrs.name,
        path=attrs.path,
        resource_request=attrs.resource_request,
    )


def service_account_signing_key(data_dir: Path) -> pki.PrivateKey:
    """The ServiceAccount token signing key, generated into ``data_dir`` on first start."""
    path = data_dir / SERVICE_ACCOUNT_KEY_FILE
    if path.exists():
        return pki.load_private_key_pem(path.read_bytes())
    key = pki.generate_private_key()
    pki.write_pem(path, pki.private_key_to_pem(key), private=True)
    return key


class RequestAuthenticator:
    """The ``authhooks.Authenticator``: credentials of the request, then impersonation."""

    def __init__(self, authenticator: auth.Authenticator, authorizer: auth.RBACAuthorizer) -> None:
        self._authenticator = authenticator
        self._authorizer = authorizer

    async def authenticate(self, request: web.Request) -> authhooks.UserInfo | None:
        der = peer_certificate_der(request)
        certificate = _peer_certificate(der) if der else None
        user = self._authenticator.authenticate(certificate, request.headers.get("Authorization"))
        if user is None:
            return None
        try:
            acting = auth.resolve_impersonation(user, request.headers, self._authorizer.authorize)
        except auth.ImpersonationRequestError as exc:
            raise errors.bad_request(str(exc)) from None
        except auth.ImpersonationForbiddenError as exc:
            raise errors.forbidden(str(exc)) from None
        return to_hook_user(acting)


class RequestAuthorizer:
    """The ``authhooks.Authorizer``: RBAC, decided synchronously from the cache."""

    def __init__(self, authorizer: auth.RBACAuthorizer) -> None:
        self._authorizer = authorizer

    async def authorize(self, attrs: authhooks.RequestAttributes) -> authhooks.Decision:
        decision = self._authorizer.authorize(to_auth_attributes(attrs))
        return authhooks.Decision(decision.allowed, decision.reason)


@dataclass(frozen=True)
class Access:
    """Everything the server needs for authn/authz, built once per server."""

    cache: AuthCache
    authenticator: auth.Authenticator
    rbac: auth.RBACAuthorizer
    service_accounts: auth.ServiceAccountTokens

    @classmethod
    def create(
        cls,
        admin_token: str,
        signing_key: pki.PrivateKey,
        static_tokens: auth.StaticTokens | None = None,
    ) -> Access:
        """``static_tokens``: the ``--token-auth-file`` users, served next to the admin token."""
        cache = AuthCache()
        admin = users.UserInfo(
            name=authhooks.ADMIN_USER, groups=(users.SYSTEM_MASTERS, users.SYSTEM_AUTHENTICATED)
        )
        service_accounts = auth.ServiceAccountTokens(signing_key, uid_lookup=cache.uid)
        file_users = static_tokens.users_by_token if static_tokens is not None else {}
        authenticator = auth.Authenticator(
            static_tokens=auth.StaticTokens(users_by_token={**file_users, admin_token: admin}),
            service_accounts=service_accounts,
            bootstrap_tokens=auth.BootstrapTokens(cache.secret),
        )
        return cls(cache, authenticator, auth.RBACAuthorizer(cache), service_accounts)

    def request_authenticator(self) -> RequestAuthenticator:
        return RequestAuthenticator(self.authenticator, self.rbac)

    def request_authorizer(self) -> RequestAuthorizer:
        return RequestAuthorizer(self.rbac)

    async def seed_policy(self, operations: Operations) -> None:
        """Create the bootstrap ClusterRoles/Bindings that do not exist yet (kube reconciles
        them on every start; we never overwrite an administrator's edits)."""
        for obj in auth.bootstrap_policy():
            resource = _POLICY_RESOURCES[obj["kind"]]
            name = obj["metadata"]["name"]
            if self.cache.contains(f"{RBAC}/{resource}", "", name):
                continue
            info = operations.registry.lookup(RBAC, "v1", resource)
            assert info is not None, f"{resource} is a built-in resource"
            with contextlib.suppress(errors.ApiError):  # a concurrent create won: fine
                await operations.create(info, "", obj)
            logger.debug("seeded bootstrap policy", extra={"kind": obj["kind"], "name": name})
