"""Bearer tokens: JWT wire format, ServiceAccount tokens, static token file, bootstrap tokens."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ocm_core import pki
from ocm_core.apiserver import auth
from ocm_core.apiserver.auth import jwt

T0 = 1_800_000_000.0


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def ec_key() -> pki.PrivateKey:
    return pki.generate_private_key(pki.KeyAlgorithm.ECDSA_P256)


@pytest.fixture(scope="module")
def rsa_key() -> pki.PrivateKey:
    return pki.generate_private_key(pki.KeyAlgorithm.RSA_2048)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(ec_key: pki.PrivateKey, clock: FakeClock) -> auth.ServiceAccountTokens:
    return auth.ServiceAccountTokens(
        ec_key,
        issuer="https://hub",
        api_audiences=["https://hub"],
        clock=clock,
        new_id=lambda: "j1",
    )


def _tamper_payload(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return f"{header}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


# --- JWT --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["ec_key", "rsa_key"])
def test_jwt_round_trip(which: str, request: pytest.FixtureRequest) -> None:
    key = request.getfixturevalue(which)
    token = jwt.encode({"sub": "x"}, key)
    assert jwt.decode(token, [key.public_key()]) == {"sub": "x"}


def test_jwt_rejects_tampered_payload(ec_key: pki.PrivateKey) -> None:
    token = _tamper_payload(jwt.encode({"sub": "x"}, ec_key), sub="admin")
    with pytest.raises(auth.TokenError, match="signature is invalid"):
        jwt.decode(token, [ec_key.public_key()])


def test_jwt_rejects_unknown_key(ec_key: pki.PrivateKey) -> None:
    other = pki.generate_private_key()
    with pytest.raises(auth.TokenError, match="not signed by a known key"):
        jwt.decode(jwt.encode({"sub": "x"}, other), [ec_key.public_key()])


def test_jwt_rejects_alg_none(ec_key: pki.PrivateKey) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"sub":"x"}').rstrip(b"=").decode()
    with pytest.raises(auth.TokenError, match="unsupported token signing algorithm 'none'"):
        jwt.decode(f"{header}.{payload}.", [ec_key.public_key()])


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param("a.b", "three dot-separated segments", id="segments"),
        pytest.param("!!.e30.", "header is not base64url JSON", id="header"),
        pytest.param("W10.e30.", "header is not a JSON object", id="not-object"),
    ],
)
def test_jwt_malformed(token: str, message: str, ec_key: pki.PrivateKey) -> None:
    with pytest.raises(auth.TokenError, match=message):
        jwt.decode(token, [ec_key.public_key()])


def test_jwt_key_id_selects_among_rotated_keys(ec_key: pki.PrivateKey) -> None:
    old = pki.generate_private_key()
    token = jwt.encode({"sub": "x"}, old)
    assert jwt.decode(token, [ec_key.public_key(), old.public_key()]) == {"sub": "x"}


# --- ServiceAccount tokens --------------------------------------------------------------------


def test_bound_token_verifies_to_service_account_user(tokens: auth.ServiceAccountTokens) -> None:
    issued = tokens.issue("team", "robot", "uid-1")
    assert issued.expiration == dt.datetime.fromtimestamp(T0 + 3600, dt.UTC)
    user = tokens.verify(issued.token)
    assert user.name == "system:serviceaccount:team:robot"
    assert user.groups == (
        "system:serviceaccounts",
        "system:serviceaccounts:team",
        auth.SYSTEM_AUTHENTICATED,
    )
    assert user.uid == "uid-1"
    assert dict(user.extra) == {"authentication.kubernetes.io/credential-id": ("JTI=j1",)}


def test_token_repr_hides_secret(tokens: auth.ServiceAccountTokens) -> None:
    issued = tokens.issue("team", "robot", "uid-1")
    assert issued.token not in repr(issued)


def test_bound_token_expires_after_leeway(
    tokens: auth.ServiceAccountTokens, clock: FakeClock
) -> None:
    token = tokens.issue("team", "robot", "u", expiration_seconds=600).token
    clock.now = T0 + 600 + 60
    tokens.verify(token)  # within kube's 60 s leeway
    clock.now = T0 + 600 + 61
    with pytest.raises(auth.TokenError, match="expired"):
        tokens.verify(token)


def test_token_not_valid_before_issue_time(
    tokens: auth.ServiceAccountTokens, clock: FakeClock
) -> None:
    token = tokens.issue("team", "robot", "u").token
    clock.now = T0 - 120
    with pytest.raises(auth.TokenError, match="not valid yet"):
        tokens.verify(token)


def test_audience_must_match(tokens: auth.ServiceAccountTokens) -> None:
    token = tokens.issue("team", "robot", "u", audiences=["vault"]).token
    with pytest.raises(auth.TokenError, match="audiences do not include"):
        tokens.verify(token)
    verified = tokens.verify_detailed(token, ["other", "vault"])
    assert verified.audiences == ("vault",)


def test_tampered_service_account_token_is_rejected(tokens: auth.ServiceAccountTokens) -> None:
    token = tokens.issue("team", "robot", "u").token
    with pytest.raises(auth.TokenError, match="signature is invalid"):
        tokens.verify(_tamper_payload(token, exp=T0 + 10**6))


def test_other_issuer_is_rejected(ec_key: pki.PrivateKey, clock: FakeClock) -> None:
    foreign = auth.ServiceAccountTokens(ec_key, issuer="https://elsewhere", clock=clock)
    ours = auth.ServiceAccountTokens(ec_key, issuer="https://hub", clock=clock)
    token = foreign.issue("team", "robot", "u").token
    assert not ours.handles(token)
    with pytest.raises(auth.TokenError, match="issuer 'https://elsewhere' is not trusted"):
        ours.verify(token)


def test_issue_validates_expiration_and_bound_kind(tokens: auth.ServiceAccountTokens) -> None:
    with pytest.raises(auth.TokenError, match="less than 600 seconds"):
        tokens.issue("team", "robot", "u", expiration_seconds=599)
    with pytest.raises(auth.TokenError, match=r"boundObjectRef\.kind"):
        tokens.issue("team", "robot", "u", bound_object=auth.BoundObject("Deployment", "d", "1"))


class Objects:
    """A UIDLookup over a dict, mutable to simulate deletions."""

    def __init__(self, uids: Mapping[tuple[str, str, str], str]) -> None:
        self.uids = dict(uids)

    def __call__(self, kind: str, namespace: str, name: str) -> str | None:
        return self.uids.get((kind, namespace, name))


def test_bound_pod_token_dies_with_the_pod(ec_key: pki.PrivateKey, clock: FakeClock) -> None:
    objects = Objects({("ServiceAccount", "team", "robot"): "sa1", ("Pod", "team", "p"): "pod1"})
    tokens = auth.ServiceAccountTokens(ec_key, uid_lookup=objects, clock=clock)
    token = tokens.issue("team", "robot", "sa1", bound_object=auth.BoundObject("Pod", "p", "pod1"))
    user = tokens.verify(token.token)
    assert user.extra["authentication.kubernetes.io/pod-name"] == ("p",)
    assert user.extra["authentication.kubernetes.io/pod-uid"] == ("pod1",)
    objects.uids[("Pod", "team", "p")] = "pod2"
    with pytest.raises(auth.TokenError, match="Pod team/p was recreated"):
        tokens.verify(token.token)
    del objects.uids[("ServiceAccount", "team", "robot")]
    with pytest.raises(auth.TokenError, match=r"ServiceAccount team/robot .* no longer exists"):
        tokens.verify(token.token)


def test_legacy_token_never_expires_but_needs_its_secret(
    ec_key: pki.PrivateKey, clock: FakeClock
) -> None:
    objects = Objects({("ServiceAccount", "team", "robot"): "sa1", ("Secret", "team", "s"): "x"})
    tokens = auth.ServiceAccountTokens(ec_key, uid_lookup=objects, clock=clock)
    token = tokens.issue_legacy("team", "robot", "sa1", secret_name="s")
    clock.now = T0 + 10 * 365 * 86400
    assert tokens.verify(token).name == "system:serviceaccount:team:robot"
    with pytest.raises(auth.TokenError, match="only valid for the API audiences"):
        tokens.verify(token, ["vault"])
    del objects.uids[("Secret", "team", "s")]
    with pytest.raises(auth.TokenError, match="Secret team/s has been deleted"):
        tokens.verify(token)


def test_rsa_signed_service_account_tokens(rsa_key: pki.PrivateKey, clock: FakeClock) -> None:
    tokens = auth.ServiceAccountTokens(rsa_key, clock=clock)
    token = tokens.issue("a", "b", "c").token
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "RS256"
    assert tokens.verify(token).name == "system:serviceaccount:a:b"


# --- static token file ------------------------------------------------------------------------


def test_token_file_parses_kube_format() -> None:
    text = '\ufeff# comment\n\nt1,alice,1001,"devs,ops"\nt2, bob ,1002\nt3,carol,1003,\n'
    table = auth.StaticTokens.parse(text)
    assert len(table) == 3
    alice = table.authenticate("t1")
    assert alice == auth.UserInfo("alice", ("devs", "ops", auth.SYSTEM_AUTHENTICATED), "1001")
    assert table.authenticate("t2") == auth.UserInfo("bob", (auth.SYSTEM_AUTHENTICATED,), "1002")
    assert table.authenticate("nope") is None
    assert "t1" not in repr(table)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "t1,alice\n", r"tokens.csv: line 1: expected token,user,uid.*got 2", id="columns"
        ),
        pytest.param("t1,alice,1,devs,ops\n", "got 5 column.*quote the group list", id="unquoted"),
        pytest.param(",alice,1\n", "line 1: the token \\(column 1\\) is empty", id="no-token"),
        pytest.param("t1,,1\n", "the user name \\(column 2\\) is empty", id="no-user"),
        pytest.param("t 1,a,1\n", "contains whitespace", id="space"),
        pytest.param('t1,a,1,"x,,y"\n', "empty group name", id="empty-group"),
        pytest.param(
            "t1,a,1\n\nt1,b,2\n", "line 3: duplicate token \\(first seen on line 1\\)", id="dup"
        ),
        pytest.param('t1,a,1,"unterminated\n', "line 1: unexpected end of data", id="csv-error"),
    ],
)
def test_token_file_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(auth.TokenFileError, match=message):
        auth.StaticTokens.parse(text, source="tokens.csv")


def test_token_file_from_missing_path(tmp_path: Any) -> None:
    with pytest.raises(auth.TokenFileError, match="cannot read token file"):
        auth.StaticTokens.from_file(tmp_path / "absent.csv")


# --- bootstrap tokens -------------------------------------------------------------------------

BOOTSTRAP = "abcdef.0123456789abcdef"


def _secrets(*items: dict[str, Any]) -> auth.bootstrap.SecretLookup:
    table = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in items}
    return lambda namespace, name: table.get((namespace, name))


def test_bootstrap_token_authenticates_with_extra_groups(clock: FakeClock) -> None:
    secret = auth.bootstrap_token_secret(
        BOOTSTRAP,
        expiration=dt.datetime.fromtimestamp(T0 + 3600, dt.UTC),
        extra_groups=["system:bootstrappers:managedcluster"],
    )
    assert secret["metadata"] == {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}
    tokens = auth.BootstrapTokens(_secrets(secret), clock=clock)
    assert tokens.authenticate(BOOTSTRAP) == auth.UserInfo(
        "system:bootstrap:abcdef",
        ("system:bootstrappers", "system:bootstrappers:managedcluster", auth.SYSTEM_AUTHENTICATED),
    )
    clock.now = T0 + 3600
    assert tokens.authenticate(BOOTSTRAP) is None


def _with_data(secret: dict[str, Any], **fields: str) -> dict[str, Any]:
    data = dict(secret["data"])
    for key, value in fields.items():
        data[key.replace("_", "-")] = base64.b64encode(value.encode()).decode()
    return {**secret, "data": data}


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda s: _with_data(s, token_secret="ffffffffffffffff"), id="wrong-secret"),
        pytest.param(lambda s: _with_data(s, usage_bootstrap_authentication="false"), id="usage"),
        pytest.param(lambda s: _with_data(s, expiration="not-a-date"), id="bad-expiry"),
        pytest.param(lambda s: _with_data(s, auth_extra_groups="admins"), id="bad-group"),
        pytest.param(lambda s: {**s, "type": "Opaque"}, id="wrong-type"),
        pytest.param(
            lambda s: {
                **s,
                "metadata": {**s["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"},
            },
            id="deleting",
        ),
    ],
)
def test_bootstrap_token_refusals(mutate: Any, clock: FakeClock) -> None:
    secret = mutate(auth.bootstrap_token_secret(BOOTSTRAP))
    assert auth.BootstrapTokens(_secrets(secret), clock=clock).authenticate(BOOTSTRAP) is None


def test_bootstrap_token_shape() -> None:
    generated = auth.generate_token()
    assert auth.is_bootstrap_token(generated)
    assert auth.generate_token(lambda alphabet: "a") == "aaaaaa.aaaaaaaaaaaaaaaa"
    assert not auth.is_bootstrap_token("ABCDEF.0123456789abcdef")
    with pytest.raises(ValueError, match="system:bootstrappers:<name>"):
        auth.bootstrap_token_secret(BOOTSTRAP, extra_groups=["admins"])


# --- issuer discovery -------------------------------------------------------------------------


def _key_from_jwk(jwk: dict[str, str]) -> jwt.VerificationKey:
    def number(field: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[field] + "=" * (-len(jwk[field]) % 4)))

    if jwk["kty"] == "RSA":
        return rsa.RSAPublicNumbers(number("e"), number("n")).public_key()
    return ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP256R1()).public_key()


@pytest.mark.parametrize("which", ["ec_key", "rsa_key"])
def test_jwks_verifies_issued_tokens(which: str, request: pytest.FixtureRequest) -> None:
    """A relying party with only the JWKS document can check our tokens (OIDC discovery)."""
    old = pki.generate_private_key()
    tokens = auth.ServiceAccountTokens(
        request.getfixturevalue(which),
        issuer="https://hub/",
        extra_verification_keys=[old.public_key()],
    )
    document = tokens.jwks()
    assert len(document["keys"]) == 2
    keys = [_key_from_jwk(k) for k in document["keys"]]
    assert [jwt.key_id(k) for k in keys] == [k["kid"] for k in document["keys"]]
    token = tokens.issue("ns", "sa", "uid").token
    assert jwt.decode(token, keys)["sub"] == "system:serviceaccount:ns:sa"
    config = tokens.openid_configuration()
    assert config["issuer"] == "https://hub/"
    assert config["jwks_uri"] == "https://hub/openid/v1/jwks"
    assert "ES256" in config["id_token_signing_alg_values_supported"]
