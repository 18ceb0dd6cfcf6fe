"""Bootstrap tokens (`<id>.<secret>`), the credential `ocm join` gives a new spoke.

Like kube-apiserver's bootstrap authenticator: the token `abcdef.0123456789abcdef` is valid when
the Secret `bootstrap-token-abcdef` in `kube-system`, of type `bootstrap.kubernetes.io/token`,
has the same `token-secret`, `usage-bootstrap-authentication: "true"`, is not expired and is not
being deleted. The user is `system:bootstrap:<id>` in `system:bootstrappers` plus the Secret's
`auth-extra-groups`. Secrets come from a lookup callable (the server's cache); this module does
no I/O. It also builds such Secrets, for `ocm init`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import re
import secrets
import string
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ocm_core.apiserver.auth import user as users

BOOTSTRAP_NAMESPACE: Final = "kube-system"
SECRET_TYPE: Final = "bootstrap.kubernetes.io/token"
SECRET_NAME_PREFIX: Final = "bootstrap-token-"
KEY_TOKEN_ID: Final = "token-id"
KEY_TOKEN_SECRET: Final = "token-secret"
KEY_EXPIRATION: Final = "expiration"
KEY_USAGE_AUTHENTICATION: Final = "usage-bootstrap-authentication"
KEY_USAGE_SIGNING: Final = "usage-bootstrap-signing"
KEY_EXTRA_GROUPS: Final = "auth-extra-groups"
KEY_DESCRIPTION: Final = "description"

_TOKEN_PATTERN: Final = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
_EXTRA_GROUP_PATTERN: Final = re.compile(r"^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$")
_ID_LENGTH: Final = 6
_SECRET_LENGTH: Final = 16
_ALPHABET: Final = string.ascii_lowercase + string.digits

SecretLookup = Callable[[str, str], Mapping[str, Any] | None]
"""(namespace, name) → the Secret as stored (a dict with base64 `data`), or None."""


def is_bootstrap_token(token: str) -> bool:
    """True if `token` has the `<6 chars>.<16 chars>` shape of a bootstrap token."""
    return _TOKEN_PATTERN.match(token) is not None


class BootstrapTokens:
    """Authenticates bootstrap tokens against their Secrets."""

    def __init__(self, lookup: SecretLookup, *, clock: Callable[[], float] = time.time) -> None:
        self._lookup = lookup
        self._clock = clock

    def authenticate(self, token: str) -> users.UserInfo | None:
        """The bootstrap user for a valid token, else None (reasons are not leaked to clients)."""
        match = _TOKEN_PATTERN.match(token)
        if match is None:
            return None
        token_id, token_secret = match.groups()
        secret = self._lookup(BOOTSTRAP_NAMESPACE, SECRET_NAME_PREFIX + token_id)
        if secret is None or not self._usable(secret, token_id, token_secret):
            return None
        data = _decoded_data(secret)
        groups = _extra_groups(data.get(KEY_EXTRA_GROUPS, ""))
        if groups is None:
            return None
        return users.UserInfo(
            name=users.BOOTSTRAP_USER_PREFIX + token_id,
            groups=(users.BOOTSTRAPPERS_GROUP, *groups, users.SYSTEM_AUTHENTICATED),
        )

    def _usable(self, secret: Mapping[str, Any], token_id: str, token_secret: str) -> bool:
        if secret.get("type") != SECRET_TYPE:
            return False
        if (secret.get("metadata") or {}).get("deletionTimestamp"):
            return False
        data = _decoded_data(secret)
        if data.get(KEY_TOKEN_ID) != token_id:
            return False
        # Constant time: the comparison must not reveal how much of the secret matched.
        if not hmac.compare_digest(data.get(KEY_TOKEN_SECRET, "").encode(), token_secret.encode()):
            return False
        if data.get(KEY_USAGE_AUTHENTICATION) != "true":
            return False
        return not _expired(data.get(KEY_EXPIRATION), self._clock())


def _decoded_data(secret: Mapping[str, Any]) -> dict[str, str]:
    data = secret.get("data") or {}
    decoded: dict[str, str] = {}
    for key, value in data.items():
        try:
            decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, TypeError):
            continue  # an unreadable field counts as absent, which fails the checks above
    return decoded


def _expired(expiration: str | None, now: float) -> bool:
    if not expiration:
        return False
    try:
        moment = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        return True  # kube treats an unparseable expiration as expired
    if moment.tzinfo is None:
        return True
    return now >= moment.timestamp()


def _extra_groups(value: str) -> tuple[str, ...] | None:
    if not value:
        return ()
    groups = tuple(group.strip() for group in value.split(","))
    if not all(_EXTRA_GROUP_PATTERN.match(group) for group in groups):
        return None  # kube rejects the token when any extra group is malformed
    return groups


def generate_token(choice: Callable[[str], str] = secrets.choice) -> str:
    """A new random `<6>.<16>` token; `choice` is injectable for deterministic tests."""
    token_id = "".join(choice(_ALPHABET) for _ in range(_ID_LENGTH))
    token_secret = "".join(choice(_ALPHABET) for _ in range(_SECRET_LENGTH))
    return f"{token_id}.{token_secret}"


def bootstrap_token_secret(
    token: str,
    *,
    expiration: dt.datetime | None = None,
    extra_groups: Sequence[str] = (),
    description: str = "",
) -> dict[str, Any]:
    """The Secret that makes `token` valid (apply it in kube-system)."""
    match = _TOKEN_PATTERN.match(token)
    if match is None:
        raise ValueError("a bootstrap token looks like [a-z0-9]{6}.[a-z0-9]{16}")
    for group in extra_groups:
        if not _EXTRA_GROUP_PATTERN.match(group):
            raise ValueError(f"extra group {group!r} must look like system:bootstrappers:<name>")
    token_id, token_secret = match.groups()
    fields = {
        KEY_TOKEN_ID: token_id,
        KEY_TOKEN_SECRET: token_secret,
        KEY_USAGE_AUTHENTICATION: "true",
        KEY_USAGE_SIGNING: "true",
    }
    if expiration is not None:
        fields[KEY_EXPIRATION] = expiration.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if extra_groups:
        fields[KEY_EXTRA_GROUPS] = ",".join(extra_groups)
    if description:
        fields[KEY_DESCRIPTION] = description
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET_NAME_PREFIX + token_id, "namespace": BOOTSTRAP_NAMESPACE},
        "type": SECRET_TYPE,
        "data": {k: base64.b64encode(v.encode()).decode("ascii") for k, v in fields.items()},
    }
