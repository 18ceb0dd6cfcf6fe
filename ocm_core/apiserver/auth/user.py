"""The values authentication produces and authorization consumes: who, what, and the verdict.

Pure data: no I/O, no logic beyond small derived properties. Well-known user and group names
match kube-apiserver's exactly, since RBAC bindings and clients refer to them by string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

SYSTEM_AUTHENTICATED: Final = "system:authenticated"
SYSTEM_UNAUTHENTICATED: Final = "system:unauthenticated"
SYSTEM_MASTERS: Final = "system:masters"
ANONYMOUS_USER: Final = "system:anonymous"
SERVICE_ACCOUNT_PREFIX: Final = "system:serviceaccount:"
SERVICE_ACCOUNTS_GROUP: Final = "system:serviceaccounts"
BOOTSTRAP_USER_PREFIX: Final = "system:bootstrap:"
BOOTSTRAPPERS_GROUP: Final = "system:bootstrappers"

_EMPTY_EXTRA: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({})


@dataclass(frozen=True)
class UserInfo:
    """An authenticated identity, as kube's `user.Info`."""

    name: str
    groups: tuple[str, ...]
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY_EXTRA, hash=False)


@dataclass(frozen=True)
class RequestAttributes:
    """What a request asks to do, in RBAC terms (kube's `authorizer.Attributes`).

    For a resource request `path` is informational; for a non-resource request (`/healthz`,
    `/apis`) only `verb` and `path` matter and the resource fields are empty.
    """

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
    """An authorization verdict and a sentence saying why (shown in 403 messages and SARs)."""

    allowed: bool
    reason: str


def service_account_username(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    """The groups kube gives every ServiceAccount token user (without system:authenticated)."""
    return (SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{namespace}")


def split_service_account_username(username: str) -> tuple[str, str] | None:
    """`system:serviceaccount:<ns>:<name>` → (ns, name); None for any other user name."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = username[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
    if not sep or not namespace or not name or ":" in name:
        return None
    return namespace, name


def with_authenticated_group(user: UserInfo) -> UserInfo:
    """Add `system:authenticated` unless present (kube adds it to every authenticated user)."""
    if SYSTEM_AUTHENTICATED in user.groups:
        return user
    return UserInfo(
        name=user.name,
        groups=(*user.groups, SYSTEM_AUTHENTICATED),
        uid=user.uid,
        extra=user.extra,
    )


def freeze_extra(extra: Mapping[str, object]) -> Mapping[str, tuple[str, ...]]:
    """Normalise an `extra` mapping (lists or tuples of strings) into an immutable one."""
    if not extra:
        return _EMPTY_EXTRA
    frozen: dict[str, tuple[str, ...]] = {}
    for key, values in extra.items():
        if isinstance(values, str) or not isinstance(values, list | tuple):
            raise TypeError(f"extra[{key!r}] must be a list of strings")
        frozen[key] = tuple(str(v) for v in values)
    return MappingProxyType(frozen)


def user_info_dict(user: UserInfo) -> dict[str, object]:
    """The `UserInfo` JSON shape of authentication.k8s.io (TokenReview, SelfSubjectReview)."""
    body: dict[str, object] = {"username": user.name, "groups": list(user.groups)}
    if user.uid:
        body["uid"] = user.uid
    if user.extra:
        body["extra"] = {key: list(values) for key, values in user.extra.items()}
    return body
