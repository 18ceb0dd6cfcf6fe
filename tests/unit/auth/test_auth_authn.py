"""Authenticator composition (x509, bearer tokens, anonymous) and impersonation."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from multidict import CIMultiDict

from ocm_core import pki
from ocm_core.apiserver import auth

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("ca", now=NOW)


@pytest.fixture(scope="module")
def service_accounts() -> auth.ServiceAccountTokens:
    return auth.ServiceAccountTokens(
        pki.generate_private_key(), issuer="https://hub", api_audiences=["https://hub"]
    )


@pytest.fixture
def authenticator(service_accounts: auth.ServiceAccountTokens) -> auth.Authenticator:
    secret = auth.bootstrap_token_secret("abcdef.0123456789abcdef")
    return auth.Authenticator(
        static_tokens=auth.StaticTokens.parse('tok,alice,1,"devs"\n'),
        service_accounts=service_accounts,
        bootstrap_tokens=auth.BootstrapTokens(lambda ns, name: secret),
    )


def test_client_certificate_maps_cn_and_o(
    ca: pki.CertificateAuthority, authenticator: auth.Authenticator
) -> None:
    cert = pki.issue_client_cert(ca, user="admin", groups=["system:masters"], now=NOW).certificate
    user = authenticator.authenticate(cert, None)
    assert user == auth.UserInfo("admin", ("system:masters", auth.SYSTEM_AUTHENTICATED))


def test_client_certificate_without_cn_falls_through_to_token(
    ca: pki.CertificateAuthority, authenticator: auth.Authenticator
) -> None:
    # A certificate with an empty subject, through CSR signing (no signer rules applied).
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(pki.generate_private_key(), hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM)
    nameless = pki.sign_csr(ca, pem, usages=["client auth"], now=NOW)
    assert auth.user_from_certificate(nameless) is None
    assert authenticator.authenticate(nameless, None) is None
    assert authenticator.authenticate(nameless, "Bearer tok") is not None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("Bearer tok", "tok", id="plain"),
        pytest.param("bearer   tok  ", "tok", id="case-and-spaces"),
        pytest.param("Bearer", None, id="empty"),
        pytest.param("Basic dXNlcjpwdw==", None, id="basic"),
        pytest.param("Bearer a b", None, id="two-words"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_bearer_token_parsing(header: str | None, expected: str | None) -> None:
    assert auth.bearer_token(header) == expected


def test_each_token_kind_authenticates(
    authenticator: auth.Authenticator, service_accounts: auth.ServiceAccountTokens
) -> None:
    static = authenticator.authenticate(None, "Bearer tok")
    assert static is not None
    assert static.name == "alice"
    sa_token = service_accounts.issue("ns", "robot", "u").token
    sa_user = authenticator.authenticate(None, f"Bearer {sa_token}")
    assert sa_user is not None
    assert sa_user.name == "system:serviceaccount:ns:robot"
    bootstrap = authenticator.authenticate(None, "Bearer abcdef.0123456789abcdef")
    assert bootstrap is not None
    assert bootstrap.name == "system:bootstrap:abcdef"
    for user in (static, sa_user, bootstrap):
        assert auth.SYSTEM_AUTHENTICATED in user.groups


def test_invalid_token_is_refused_even_with_anonymous(
    service_accounts: auth.ServiceAccountTokens,
) -> None:
    anonymous_ok = auth.Authenticator(service_accounts=service_accounts, anonymous=True)
    assert anonymous_ok.authenticate(None, "Bearer nope") is None
    assert anonymous_ok.authenticate(None, "Basic abc") is None
    assert anonymous_ok.authenticate(None, None) == auth.ANONYMOUS


def test_anonymous_is_off_by_default(authenticator: auth.Authenticator) -> None:
    assert authenticator.authenticate(None, None) is None


def test_authenticate_token_reports_why(authenticator: auth.Authenticator) -> None:
    with pytest.raises(auth.TokenError, match="not valid"):
        authenticator.authenticate_token("garbage")


def test_static_tokens_only_count_for_api_audiences(authenticator: auth.Authenticator) -> None:
    assert authenticator.authenticate_token("tok").audiences == ("https://hub",)
    with pytest.raises(auth.TokenError, match="requested audiences"):
        authenticator.authenticate_token("tok", ["vault"])


# --- impersonation ----------------------------------------------------------------------------

ALICE = auth.UserInfo("alice", ("devs", auth.SYSTEM_AUTHENTICATED))


class RecordingAuthorizer:
    """Allows what is in `allowed` (as (resource, subresource, name)) and records every check."""

    def __init__(self, *allowed: tuple[str, str, str]) -> None:
        self.allowed = set(allowed)
        self.checks: list[auth.RequestAttributes] = []

    def __call__(self, attributes: auth.RequestAttributes) -> auth.Decision:
        self.checks.append(attributes)
        key = (attributes.resource, attributes.subresource, attributes.name)
        return auth.Decision(key in self.allowed, "" if key in self.allowed else "not in test list")


def test_no_headers_means_no_impersonation() -> None:
    authorize = RecordingAuthorizer()
    assert auth.resolve_impersonation(ALICE, {"Accept": "x"}, authorize) is ALICE
    assert authorize.checks == []


def test_impersonating_user_groups_uid_and_extra() -> None:
    headers = CIMultiDict(
        [
            ("Impersonate-User", "bob"),
            ("Impersonate-Group", "devs"),
            ("Impersonate-Group", "ops"),
            ("Impersonate-Uid", "1234"),
            ("Impersonate-Extra-Scopes%2Fkind", "a"),
            ("Impersonate-Extra-Scopes%2Fkind", "b"),
        ]
    )
    authorize = RecordingAuthorizer(
        ("users", "", "bob"),
        ("groups", "", "devs"),
        ("groups", "", "ops"),
        ("uids", "", "1234"),
        ("userextras", "scopes/kind", "a"),
        ("userextras", "scopes/kind", "b"),
    )
    user = auth.resolve_impersonation(ALICE, headers, authorize)
    assert (user.name, user.uid) == ("bob", "1234")
    assert user.groups == ("devs", "ops", auth.SYSTEM_AUTHENTICATED)
    assert dict(user.extra) == {"scopes/kind": ("a", "b")}
    assert all(a.verb == "impersonate" and a.user == ALICE for a in authorize.checks)
    groups = {a.resource: a.api_group for a in authorize.checks}
    assert groups == {
        "users": "",
        "groups": "",
        "uids": "authentication.k8s.io",
        "userextras": "authentication.k8s.io",
    }


def test_impersonating_service_account_checks_serviceaccounts_and_adds_its_groups() -> None:
    authorize = RecordingAuthorizer(("serviceaccounts", "", "robot"))
    headers = [("impersonate-user", "system:serviceaccount:team:robot")]
    user = auth.resolve_impersonation(ALICE, headers, authorize)
    assert authorize.checks[0].namespace == "team"
    assert user.groups == (
        "system:serviceaccounts",
        "system:serviceaccounts:team",
        auth.SYSTEM_AUTHENTICATED,
    )


def test_impersonating_anonymous_gets_unauthenticated_group() -> None:
    authorize = RecordingAuthorizer(("users", "", "system:anonymous"))
    user = auth.resolve_impersonation(ALICE, [("Impersonate-User", "system:anonymous")], authorize)
    assert user.groups == (auth.SYSTEM_UNAUTHENTICATED,)


def test_impersonation_refused_with_kube_message() -> None:
    authorize = RecordingAuthorizer()
    with pytest.raises(auth.ImpersonationForbiddenError) as caught:
        auth.resolve_impersonation(ALICE, [("Impersonate-User", "bob")], authorize)
    assert caught.value.status == 403
    assert str(caught.value) == (
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API '
        'group "" at the cluster scope: not in test list'
    )


def test_impersonation_refused_when_one_group_is_not_allowed() -> None:
    authorize = RecordingAuthorizer(("users", "", "bob"), ("groups", "", "devs"))
    headers = [
        ("Impersonate-User", "bob"),
        ("Impersonate-Group", "devs"),
        ("Impersonate-Group", "root"),
    ]
    with pytest.raises(auth.ImpersonationForbiddenError, match='groups "root" is forbidden'):
        auth.resolve_impersonation(ALICE, headers, authorize)


def test_groups_without_user_is_a_bad_request() -> None:
    with pytest.raises(
        auth.ImpersonationRequestError, match="requires impersonating a user"
    ) as caught:
        auth.resolve_impersonation(ALICE, [("Impersonate-Group", "x")], RecordingAuthorizer())
    assert caught.value.status == 400


def test_impersonation_through_rbac() -> None:
    """End to end with real RBAC: the `impersonate` verb on users is what makes it work."""
    impersonator = {
        "metadata": {"name": "impersonator"},
        "rules": [{"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"]}],
    }
    grant = {
        "metadata": {"name": "alice-impersonates"},
        "roleRef": {"kind": "ClusterRole", "name": "impersonator"},
        "subjects": [{"kind": "User", "name": "alice"}],
    }
    rbac = auth.RBACAuthorizer(
        auth.StaticRBACSource(all_cluster_roles=[impersonator], all_cluster_role_bindings=[grant])
    )
    bob = auth.resolve_impersonation(ALICE, [("Impersonate-User", "bob")], rbac.authorize)
    assert bob.name == "bob"
    with pytest.raises(auth.ImpersonationForbiddenError):
        auth.resolve_impersonation(bob, [("Impersonate-User", "carol")], rbac.authorize)
