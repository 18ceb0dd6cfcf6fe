"""ocm_core.pki: issuing, CSR signing, PEM round trips, rotation rules and CA bundles."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ocm_core import pki

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("test-ca", now=NOW)


@pytest.fixture(scope="module")
def other_ca() -> pki.CertificateAuthority:
    return pki.create_ca("other-ca", now=NOW)


@pytest.mark.parametrize(
    ("algorithm", "key_type"),
    [
        pytest.param(pki.KeyAlgorithm.RSA_2048, rsa.RSAPrivateKey, id="rsa"),
        pytest.param(pki.KeyAlgorithm.ECDSA_P256, ec.EllipticCurvePrivateKey, id="ecdsa"),
    ],
)
def test_create_ca_is_self_signed_ca(algorithm: pki.KeyAlgorithm, key_type: type) -> None:
    ca = pki.create_ca("my-ca", algorithm=algorithm, now=NOW)
    assert isinstance(ca.private_key, key_type)
    assert ca.certificate.subject == ca.certificate.issuer
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca
    assert pki.is_issued_by(ca.certificate, ca.certificate)


def test_create_ca_rejects_empty_name() -> None:
    with pytest.raises(pki.PKIError, match="non-empty common name"):
        pki.create_ca("")


def test_serving_cert_has_sans_and_server_usage(ca: pki.CertificateAuthority) -> None:
    issued = pki.issue_serving_cert(
        ca, common_name="api", dns_names=["localhost"], ip_addresses=["127.0.0.1"], now=NOW
    )
    dns, ips = pki.certificate_sans(issued.certificate)
    assert dns == {"localhost"}
    assert ips == {ipaddress.ip_address("127.0.0.1")}
    usage = issued.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(usage.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert pki.is_issued_by(issued.certificate, ca.certificate)


def test_serving_cert_needs_a_san(ca: pki.CertificateAuthority) -> None:
    with pytest.raises(pki.PKIError, match="at least one DNS name or IP"):
        pki.issue_serving_cert(ca, common_name="api")


def test_serving_cert_rejects_bad_ip(ca: pki.CertificateAuthority) -> None:
    with pytest.raises(pki.PKIError, match="'not-an-ip' is not an IP address"):
        pki.issue_serving_cert(ca, common_name="api", ip_addresses=["not-an-ip"])


def test_client_cert_subject_maps_to_user_and_groups(ca: pki.CertificateAuthority) -> None:
    issued = pki.issue_client_cert(
        ca, user="alice", groups=["devs", "ops"], organizational_unit="signer-abc", now=NOW
    )
    assert pki.subject_user(issued.certificate) == ("alice", ("devs", "ops"))
    units = issued.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert [u.value for u in units] == ["signer-abc"]
    usage = issued.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(usage.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_leaf_from_other_ca_is_not_issued_by(
    ca: pki.CertificateAuthority, other_ca: pki.CertificateAuthority
) -> None:
    issued = pki.issue_client_cert(other_ca, user="mallory", now=NOW)
    assert not pki.is_issued_by(issued.certificate, ca.certificate)


# --- CSR signing ------------------------------------------------------------------------------


def _csr(user: str = "agent", groups: tuple[str, ...] = ("g",), ou: str | None = None) -> bytes:
    key = pki.generate_private_key()
    return pki.create_csr(key, user=user, groups=groups, organizational_unit=ou)


def test_parse_csr_subject_reads_cn_o_ou() -> None:
    subject = pki.parse_csr_subject(
        _csr("system:open-cluster-management:c1:agent", ("a", "b"), "x")
    )
    assert subject.common_name == "system:open-cluster-management:c1:agent"
    assert subject.organizations == ("a", "b")
    assert subject.organizational_units == ("x",)
    assert subject.dns_names == ()


def test_sign_csr_for_kube_apiserver_client(ca: pki.CertificateAuthority) -> None:
    certificate = pki.sign_csr(
        ca,
        _csr("agent", ("system:open-cluster-management:c1",)),
        usages=["digital signature", "key encipherment", "client auth"],
        duration=dt.timedelta(hours=24),
        signer_name=pki.SIGNER_KUBE_APISERVER_CLIENT,
        now=NOW,
    )
    assert pki.subject_user(certificate) == ("agent", ("system:open-cluster-management:c1",))
    assert certificate.not_valid_after_utc == NOW + dt.timedelta(hours=24)
    assert certificate.issuer == ca.certificate.subject
    assert pki.is_issued_by(certificate, ca.certificate)


def test_sign_csr_spec_like_the_kube_signer(ca: pki.CertificateAuthority) -> None:
    spec = {
        "request": base64.b64encode(_csr("agent", ("g",))).decode(),
        "signerName": pki.SIGNER_KUBE_APISERVER_CLIENT,
        "usages": ["digital signature", "key encipherment", "client auth"],
        "expirationSeconds": 3600,
    }
    certificate = pki.load_certificate_pem(pki.sign_csr_spec(ca, spec, now=NOW))
    assert pki.subject_user(certificate) == ("agent", ("g",))
    assert certificate.not_valid_after_utc == NOW + dt.timedelta(hours=1)
    capped = pki.load_certificate_pem(
        pki.sign_csr_spec(ca, {**spec, "expirationSeconds": 10**9}, now=NOW)
    )
    assert capped.not_valid_after_utc == NOW + pki.DEFAULT_SIGNER_DURATION
    with pytest.raises(pki.PKIError, match="at least 600"):
        pki.sign_csr_spec(ca, {**spec, "expirationSeconds": 60}, now=NOW)
    with pytest.raises(pki.PKIError, match="not base64"):
        pki.sign_csr_spec(ca, {**spec, "request": "%%%"}, now=NOW)
    with pytest.raises(pki.PKIError, match="requires the 'client auth'"):
        pki.sign_csr_spec(ca, {**spec, "usages": ["digital signature"]}, now=NOW)


def test_sign_csr_never_outlives_the_ca(ca: pki.CertificateAuthority) -> None:
    certificate = pki.sign_csr(
        ca, _csr(), usages=["client auth"], duration=dt.timedelta(days=100_000), now=NOW
    )
    assert certificate.not_valid_after_utc <= ca.certificate.not_valid_after_utc


@pytest.mark.parametrize(
    ("usages", "message"),
    [
        pytest.param(["server auth", "client auth"], "does not allow usages", id="server-auth"),
        pytest.param(["digital signature"], "requires the 'client auth'", id="no-client-auth"),
    ],
)
def test_kube_apiserver_client_signer_rejects_usages(
    ca: pki.CertificateAuthority, usages: list[str], message: str
) -> None:
    with pytest.raises(pki.PKIError, match=message):
        pki.sign_csr(ca, _csr(), usages=usages, signer_name=pki.SIGNER_KUBE_APISERVER_CLIENT)


def test_kube_apiserver_client_signer_rejects_sans(ca: pki.CertificateAuthority) -> None:
    key = pki.generate_private_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(pki.client_subject("agent"))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(pki.PKIError, match="does not allow SANs"):
        pki.sign_csr(ca, pem, usages=["client auth"], signer_name=pki.SIGNER_KUBE_APISERVER_CLIENT)
    # A custom signer takes the SANs as they are.
    signed = pki.sign_csr(ca, pem, usages=["server auth"], signer_name="example.com/custom")
    assert pki.certificate_sans(signed)[0] == {"evil"}


def test_sign_csr_rejects_unknown_usage(ca: pki.CertificateAuthority) -> None:
    with pytest.raises(pki.PKIError, match="unsupported key usage 'code signing'"):
        pki.sign_csr(ca, _csr(), usages=["code signing"])


def test_sign_csr_rejects_garbage(ca: pki.CertificateAuthority) -> None:
    with pytest.raises(pki.PKIError, match="not a PEM certificate request"):
        pki.sign_csr(ca, b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n", usages=["client auth"])


def test_sign_csr_with_expired_ca_fails(ca: pki.CertificateAuthority) -> None:
    later = ca.certificate.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(pki.PKIError, match="CA has expired"):
        pki.sign_csr(ca, _csr(), usages=["client auth"], now=later)


# --- PEM I/O ----------------------------------------------------------------------------------


def test_ca_save_and_load_round_trip(ca: pki.CertificateAuthority, tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "ca.crt", tmp_path / "ca.key"
    pki.save_ca(ca, cert_path, key_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    loaded = pki.load_ca(cert_path, key_path)
    assert loaded.certificate == ca.certificate
    assert loaded.key_pem() == ca.key_pem()


def test_load_ca_detects_mismatched_key(
    ca: pki.CertificateAuthority, other_ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    pki.write_pem(tmp_path / "ca.crt", ca.cert_pem())
    pki.write_pem(tmp_path / "ca.key", other_ca.key_pem(), private=True)
    with pytest.raises(pki.PKIError, match="is not the private key of"):
        pki.load_ca(tmp_path / "ca.crt", tmp_path / "ca.key")


def test_load_or_create_ca_creates_once(tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "pki" / "ca.crt", tmp_path / "pki" / "ca.key"
    created, was_created = pki.load_or_create_ca(cert_path, key_path, common_name="hub-ca")
    loaded, again = pki.load_or_create_ca(cert_path, key_path, common_name="ignored")
    assert (was_created, again) == (True, False)
    assert loaded.certificate == created.certificate
    key_path.unlink()
    with pytest.raises(pki.PKIError, match=r"ca\.crt exists but .*ca\.key does not"):
        pki.load_or_create_ca(cert_path, key_path, common_name="hub-ca")


def test_encrypted_key_round_trip(ca: pki.CertificateAuthority) -> None:
    pem = pki.private_key_to_pem(ca.private_key, password=b"pw")
    assert b"ENCRYPTED" in pem
    assert pki.private_key_to_pem(pki.load_private_key_pem(pem, password=b"pw")) == ca.key_pem()
    with pytest.raises(pki.PKIError, match="not a usable PEM private key"):
        pki.load_private_key_pem(pem, password=b"wrong")


def test_load_certificates_rejects_non_pem() -> None:
    with pytest.raises(pki.PKIError, match="not a PEM certificate bundle"):
        pki.load_certificates_pem(b"hello")


def test_der_round_trip(ca: pki.CertificateAuthority) -> None:
    der = ca.certificate.public_bytes(serialization.Encoding.DER)
    assert pki.load_certificate_der(der) == ca.certificate
    with pytest.raises(pki.PKIError, match="not a DER certificate"):
        pki.load_certificate_der(b"\x00\x01")


# --- rotation ---------------------------------------------------------------------------------


def test_needs_rotation_in_last_fifth_of_lifetime(ca: pki.CertificateAuthority) -> None:
    issued = pki.issue_client_cert(ca, user="u", validity=dt.timedelta(days=100), now=NOW)
    cert = issued.certificate
    due = pki.rotation_due_at(cert)
    assert not pki.needs_rotation(cert, now=NOW + dt.timedelta(days=50))
    assert not pki.needs_rotation(cert, now=due - dt.timedelta(seconds=1))
    assert pki.needs_rotation(cert, now=due)
    assert not pki.is_expired(cert, now=due)
    assert pki.is_expired(cert, now=cert.not_valid_after_utc)
    # The window is 20% of the whole validity (back-dating included), ending at notAfter.
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert cert.not_valid_after_utc - due == lifetime * 0.2


def test_reissue_reason_covers_issuer_and_sans(
    ca: pki.CertificateAuthority, other_ca: pki.CertificateAuthority
) -> None:
    issued = pki.issue_serving_cert(
        ca, common_name="s", dns_names=["a"], ip_addresses=["127.0.0.1"], now=NOW
    )
    cert = issued.certificate
    assert (
        pki.reissue_reason(cert, ca=ca, dns_names=["a"], ip_addresses=["127.0.0.1"], now=NOW)
        is None
    )
    assert "SANs differ" in str(
        pki.reissue_reason(cert, ca=ca, dns_names=["a", "b"], ip_addresses=["127.0.0.1"], now=NOW)
    )
    assert "not issued by the current CA" in str(
        pki.reissue_reason(cert, ca=other_ca, dns_names=["a"], ip_addresses=["127.0.0.1"], now=NOW)
    )
    late = NOW + dt.timedelta(days=170)
    assert "last 20%" in str(pki.reissue_reason(cert, ca=ca, now=late))


# --- CA bundles -------------------------------------------------------------------------------


def test_ca_bundle_overlaps_old_and_new_ca(
    ca: pki.CertificateAuthority, other_ca: pki.CertificateAuthority
) -> None:
    bundle = pki.CABundle().with_ca(ca.certificate).with_ca(other_ca.certificate)
    assert bundle.with_ca(ca.certificate) is bundle
    assert len(bundle) == 2
    old_leaf = pki.issue_client_cert(ca, user="old", now=NOW).certificate
    new_leaf = pki.issue_client_cert(other_ca, user="new", now=NOW).certificate
    assert bundle.issuer_of(old_leaf) == ca.certificate
    assert bundle.issuer_of(new_leaf) == other_ca.certificate
    assert pki.CABundle.from_pem(bundle.pem()) == bundle
    assert pki.CABundle((ca.certificate,)).issuer_of(new_leaf) is None


def test_ca_bundle_drops_expired() -> None:
    short = pki.create_ca("short", validity=dt.timedelta(days=1), now=NOW)
    long = pki.create_ca("long", now=NOW)
    bundle = pki.CABundle((short.certificate, long.certificate))
    assert bundle.without_expired(now=NOW + dt.timedelta(days=2)).certificates == (
        long.certificate,
    )


# --- TLS contexts (no sockets here; the handshake is in tests/integration/auth) ---------------


def test_server_context_modes(ca: pki.CertificateAuthority) -> None:
    issued = pki.issue_serving_cert(ca, common_name="s", dns_names=["localhost"], now=NOW)
    bundle = pki.CABundle((ca.certificate,))
    plain = pki.server_ssl_context([issued.certificate], issued.private_key)
    assert plain.verify_mode == ssl.CERT_NONE
    optional = pki.server_ssl_context([issued.certificate], issued.private_key, client_ca=bundle)
    assert optional.verify_mode == ssl.CERT_OPTIONAL
    required = pki.server_ssl_context(
        [issued.certificate], issued.private_key, client_ca=bundle, require_client_cert=True
    )
    assert required.verify_mode == ssl.CERT_REQUIRED


def test_context_builders_reject_inconsistent_arguments(ca: pki.CertificateAuthority) -> None:
    issued = pki.issue_client_cert(ca, user="u", now=NOW)
    with pytest.raises(pki.PKIError, match="needs a client CA bundle"):
        pki.server_ssl_context([issued.certificate], issued.private_key, require_client_cert=True)
    with pytest.raises(pki.PKIError, match="given together"):
        pki.client_ssl_context(pki.CABundle((ca.certificate,)), chain=[issued.certificate])
    with pytest.raises(pki.PKIError, match="server CA bundle is empty"):
        pki.client_ssl_context(pki.CABundle())
    with pytest.raises(pki.PKIError, match="a certificate chain needs"):
        pki.server_ssl_context([], issued.private_key)
