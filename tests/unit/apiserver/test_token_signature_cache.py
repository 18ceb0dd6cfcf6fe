"""ServiceAccount tokens: the signature is checked once per token, everything else per use."""

from __future__ import annotations

import pytest

from ocm_core import pki
from ocm_core.apiserver import auth
from ocm_core.apiserver.auth import jwt

T0 = 1_800_000_000.0


class World:
    """The clock and the live ServiceAccounts the verifier consults."""

    def __init__(self) -> None:
        self.now = T0
        self.accounts = {("team", "robot"): "uid-1"}

    def clock(self) -> float:
        return self.now

    def uid(self, kind: str, namespace: str, name: str) -> str | None:
        return self.accounts.get((namespace, name)) if kind == "ServiceAccount" else None


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def tokens(world: World) -> auth.ServiceAccountTokens:
    return auth.ServiceAccountTokens(
        pki.generate_private_key(), clock=world.clock, uid_lookup=world.uid
    )


def test_signature_is_checked_once_per_token(
    tokens: auth.ServiceAccountTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tokens.issue("team", "robot", "uid-1").token
    checks: list[str] = []
    real_decode = jwt.decode

    def counting_decode(raw: str, keys: list[jwt.VerificationKey]) -> dict[str, object]:
        checks.append(raw)
        return real_decode(raw, keys)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    for _ in range(3):
        assert tokens.verify(token).name == "system:serviceaccount:team:robot"
    assert checks == [token]


def test_remembered_token_still_expires_and_dies_with_its_account(
    tokens: auth.ServiceAccountTokens, world: World
) -> None:
    token = tokens.issue("team", "robot", "uid-1", expiration_seconds=600).token
    tokens.verify(token)
    world.accounts.clear()
    with pytest.raises(auth.TokenError):
        tokens.verify(token)
    world.accounts[("team", "robot")] = "uid-1"
    world.now = T0 + 600 + 61
    with pytest.raises(auth.TokenError, match="expired"):
        tokens.verify(token)
