"""The headers a request carries to the spoke (pure).

Kube API requests: the client's `Authorization` and every `Impersonate-*` header are dropped
(a client must not choose whom we impersonate: upstream #335), the user-server's own spoke
credential goes in `Authorization`, and the hub user is named with `Impersonate-User` and one
`Impersonate-Group` per group. Hub ServiceAccounts get the prefix `cluster:hub:` (upstream
parity: `cluster:hub:system:serviceaccount:<ns>:<name>`); plain users and groups pass unchanged.

Service requests: the client's credentials are dropped too (a hub token must never reach a
spoke service); nothing is added.

Hop-by-hop headers (RFC 9110 §7.6.1) are dropped, except that an upgrade request keeps
`Connection: Upgrade` and `Upgrade`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from multidict import CIMultiDict, CIMultiDictProxy

from ocm_core.apiserver.auth.user import SERVICE_ACCOUNT_PREFIX, UserInfo

HUB_SERVICE_ACCOUNT_PREFIX: Final = "cluster:hub:"
IMPERSONATE_USER: Final = "Impersonate-User"
IMPERSONATE_GROUP: Final = "Impersonate-Group"
IMPERSONATE_PREFIX: Final = "impersonate-"
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",  # recomputed for the body we send
    }
)
CREDENTIALS: Final = frozenset({"authorization", "cookie"})

Headers = CIMultiDict[str] | CIMultiDictProxy[str]


def spoke_user(user: UserInfo) -> str:
    """The name the spoke sees: hub ServiceAccounts are prefixed, other users are not."""
    if user.name.startswith(SERVICE_ACCOUNT_PREFIX):
        return HUB_SERVICE_ACCOUNT_PREFIX + user.name
    return user.name


def is_upgrade(headers: Mapping[str, str]) -> bool:
    connection = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
    return "upgrade" in connection and bool(headers.get("Upgrade"))


def forwarded_headers(incoming: Headers, *, upgrade: bool) -> CIMultiDict[str]:
    """The client's headers minus hop-by-hop ones, credentials and `Impersonate-*`."""
    named_by_connection = {
        t.strip().lower() for t in incoming.get("Connection", "").split(",") if t.strip()
    }
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in incoming.items():
        lowered = name.lower()
        if (
            lowered in HOP_BY_HOP
            or lowered in CREDENTIALS
            or lowered in named_by_connection
            or lowered.startswith(IMPERSONATE_PREFIX)
        ):
            continue
        out.add(name, value)
    if upgrade:
        out["Connection"] = "Upgrade"
        out["Upgrade"] = incoming.get("Upgrade", "")
    return out


def impersonate(headers: CIMultiDict[str], user: UserInfo, spoke_token: str | None) -> None:
    """Add the spoke credential and the impersonation of `user` (kube API requests)."""
    if spoke_token:
        headers["Authorization"] = f"Bearer {spoke_token}"
    headers[IMPERSONATE_USER] = spoke_user(user)
    for group in user.groups:
        headers.add(IMPERSONATE_GROUP, group)
