"""Impersonation headers (`kubectl --as/--as-group/--as-uid`), with kube-apiserver's semantics.

The authenticated user must be allowed verb `impersonate` on each thing it asks for:
- `Impersonate-User: bob` → `users` "bob" (API group ""), or, for
  `system:serviceaccount:<ns>:<name>`, `serviceaccounts` "<name>" in namespace <ns>;
- each `Impersonate-Group` header (one header per group) → `groups` "<group>";
- each `Impersonate-Extra-<key>` value → `userextras/<key>` "<value>" (authentication.k8s.io);
- `Impersonate-Uid` → `uids` "<uid>" (authentication.k8s.io).
Groups, uid or extras without a user are a bad request. The request then runs as the
impersonated user: its own groups (ServiceAccounts get their fixed groups when none are given),
plus `system:authenticated` (or `system:unauthenticated` for `system:anonymous`).
Pure: the authorizer is passed in; nothing here does I/O.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.authorization import forbidden_message, resource_attributes
from ocm_core.apiserver.auth.errors import ImpersonationForbiddenError, ImpersonationRequestError
from ocm_core.apiserver.auth.user import Decision, RequestAttributes, UserInfo

HEADER_USER: Final = "impersonate-user"
HEADER_GROUP: Final = "impersonate-group"
HEADER_UID: Final = "impersonate-uid"
HEADER_EXTRA_PREFIX: Final = "impersonate-extra-"
_HEADER_PREFIX: Final = "impersonate-"
VERB_IMPERSONATE: Final = "impersonate"
AUTHENTICATION_GROUP: Final = "authentication.k8s.io"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""Request headers; give a multi-dict (aiohttp's `request.headers`) so repeated
`Impersonate-Group` headers are all seen, or a list of (name, value) pairs."""


@dataclass
class _Requested:
    user: str = ""
    groups: list[str] = field(default_factory=list)
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)

    def any(self) -> bool:
        return bool(self.user or self.groups or self.uid or self.extra)


def resolve_impersonation(
    user: UserInfo,
    headers: Headers,
    authorize: Callable[[RequestAttributes], Decision],
) -> UserInfo:
    """The user the request acts as: `user` itself without impersonation headers.

    Raises `ImpersonationRequestError` (400) for malformed headers and
    `ImpersonationForbiddenError` (403, with kube's message) when a check is refused.
    """
    if isinstance(headers, Mapping) and _HEADER_PREFIX not in "\n".join(headers).lower():
        return user  # the common case, decided without a look at each header
    requested = _read_headers(headers)
    if not requested.any():
        return user
    if not requested.user:
        raise ImpersonationRequestError(
            "impersonating groups, a uid or extra fields requires impersonating a user "
            "too (add Impersonate-User / kubectl --as)"
        )
    for attributes in _checks(user, requested):
        decision = authorize(attributes)
        if not decision.allowed:
            raise ImpersonationForbiddenError(forbidden_message(attributes, decision.reason))
    return _impersonated_user(requested)


def _read_headers(headers: Headers) -> _Requested:
    requested = _Requested()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for raw_name, raw_value in pairs:
        name = raw_name.lower()
        value = raw_value.strip()
        if name == HEADER_USER:
            requested.user = value
        elif name == HEADER_GROUP:
            requested.groups.append(value)
        elif name == HEADER_UID:
            requested.uid = value
        elif name.startswith(HEADER_EXTRA_PREFIX):
            # Header names cannot carry every character, so clients percent-encode the key.
            key = urllib.parse.unquote(name[len(HEADER_EXTRA_PREFIX) :])
            requested.extra.setdefault(key, []).append(value)
    return requested


def _checks(user: UserInfo, requested: _Requested) -> Iterable[RequestAttributes]:
    account = users.split_service_account_username(requested.user)
    if account is not None:
        namespace, name = account
        yield resource_attributes(
            user, VERB_IMPERSONATE, resource="serviceaccounts", namespace=namespace, name=name
        )
    else:
        yield resource_attributes(user, VERB_IMPERSONATE, resource="users", name=requested.user)
    for group in requested.groups:
        yield resource_attributes(user, VERB_IMPERSONATE, resource="groups", name=group)
    for key, values in requested.extra.items():
        for value in values:
            yield resource_attributes(
                user,
                VERB_IMPERSONATE,
                api_group=AUTHENTICATION_GROUP,
                resource="userextras",
                subresource=key,
                name=value,
            )
    if requested.uid:
        yield resource_attributes(
            user,
            VERB_IMPERSONATE,
            api_group=AUTHENTICATION_GROUP,
            resource="uids",
            name=requested.uid,
        )


def _impersonated_user(requested: _Requested) -> UserInfo:
    groups = list(requested.groups)
    account = users.split_service_account_username(requested.user)
    if account is not None and not groups:
        groups = list(users.service_account_groups(account[0]))
    implicit = (
        users.SYSTEM_UNAUTHENTICATED
        if requested.user == users.ANONYMOUS_USER
        else users.SYSTEM_AUTHENTICATED
    )
    if implicit not in groups:
        groups.append(implicit)
    return UserInfo(
        name=requested.user,
        groups=tuple(groups),
        uid=requested.uid,
        extra=users.freeze_extra(requested.extra),
    )
