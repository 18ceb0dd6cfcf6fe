"""Certificates for the project: CAs, serving and client certs, CSR signing, rotation, TLS contexts.

What this module owns:
- creating a self-signed CA (RSA-2048 or ECDSA P-256) and issuing leaf certificates from it:
  serving certs (DNS and IP SANs) and client certs (CN = user, O = groups, optional OU);
- signing a PEM CSR the way a Kubernetes CSR signer does (`kubernetes.io/kube-apiserver-client`
  and custom signers such as cluster-proxy's), with key usages and a duration;
- PEM load/save, CSR subject parsing, expiry and "needs rotation" checks (OCM's rule: re-issue
  in the last 20% of the lifetime), a CA bundle that holds several CAs so rotation overlaps;
- building `ssl.SSLContext`s for servers (optionally asking for client certs) and mTLS clients,
  and a server context whose cert and client CA bundle hot-reload (`ReloadableServerContext`).

Rules: no module globals with state, no clock reads the caller cannot replace (every time-based
function takes `now`), and every function is synchronous. Key generation and signing block for
a few milliseconds (RSA: tens of ms), so async callers run them through `asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import ipaddress
import os
import secrets
import ssl
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

SIGNER_KUBE_APISERVER_CLIENT: Final = "kubernetes.io/kube-apiserver-client"
"""The built-in signer OCM registration uses for spoke agents' hub client certificates."""

DEFAULT_CA_VALIDITY: Final = dt.timedelta(days=3650)
"""Ten years, like kubeadm's CA: the CA rotates on purpose, not because it ran out."""

DEFAULT_LEAF_VALIDITY: Final = dt.timedelta(days=180)
"""180 days, the validity OCM's certrotation gives cluster-proxy's leaf certificates."""

DEFAULT_SIGNER_DURATION: Final = dt.timedelta(days=365)
"""kube-controller-manager's `--cluster-signing-duration` default: the cap on CSR certificates."""

MIN_CSR_EXPIRATION_SECONDS: Final = 600
"""kube's validation floor for `CertificateSigningRequest.spec.expirationSeconds`."""

ROTATION_FRACTION: Final = 0.2
"""Re-issue a certificate once it is in the last 20% of its lifetime (OCM certrotation)."""

CLOCK_SKEW_ALLOWANCE: Final = dt.timedelta(minutes=5)
"""Back-date notBefore so a peer whose clock is a little behind still accepts a fresh cert."""

RSA_KEY_SIZE: Final = 2048
RSA_PUBLIC_EXPONENT: Final = 65537


class PKIError(Exception):
    """A certificate, key or CSR is unusable; the message says what is wrong."""


class KeyAlgorithm(enum.Enum):
    """Private key types the project issues."""

    RSA_2048 = "rsa-2048"
    ECDSA_P256 = "ecdsa-p256"


class KeyUsage(enum.Enum):
    """Key usages as spelled in `CertificateSigningRequest.spec.usages`."""

    DIGITAL_SIGNATURE = "digital signature"
    KEY_ENCIPHERMENT = "key encipherment"
    CERT_SIGN = "cert sign"
    CLIENT_AUTH = "client auth"
    SERVER_AUTH = "server auth"


CLIENT_USAGES: Final = (KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT, KeyUsage.CLIENT_AUTH)
SERVING_USAGES: Final = (
    KeyUsage.DIGITAL_SIGNATURE,
    KeyUsage.KEY_ENCIPHERMENT,
    KeyUsage.SERVER_AUTH,
)

# Usages kube's kube-apiserver-client signer accepts (pkg/controller/certificates/signer).
_KUBE_APISERVER_CLIENT_ALLOWED: Final = frozenset(CLIENT_USAGES)
_EXTENDED_USAGE_OIDS: Final = {
    KeyUsage.CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
    KeyUsage.SERVER_AUTH: ExtendedKeyUsageOID.SERVER_AUTH,
}


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA certificate and its private key."""

    certificate: x509.Certificate
    private_key: PrivateKey = field(repr=False)

    def cert_pem(self) -> bytes:
        return certificate_to_pem(self.certificate)

    def key_pem(self) -> bytes:
        return private_key_to_pem(self.private_key)


@dataclass(frozen=True)
class IssuedCertificate:
    """A leaf certificate and its private key."""

    certificate: x509.Certificate
    private_key: PrivateKey = field(repr=False)

    def cert_pem(self) -> bytes:
        return certificate_to_pem(self.certificate)

    def key_pem(self) -> bytes:
        return private_key_to_pem(self.private_key)


@dataclass(frozen=True)
class CsrSubject:
    """What a CSR asks for: its subject and any SANs."""

    common_name: str
    organizations: tuple[str, ...]
    organizational_units: tuple[str, ...]
    dns_names: tuple[str, ...]
    ip_addresses: tuple[IPAddress, ...]
    email_addresses: tuple[str, ...]
    uris: tuple[str, ...]


# --- keys -------------------------------------------------------------------------------------


def generate_private_key(algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256) -> PrivateKey:
    """Generate a new private key (blocking: RSA takes tens of milliseconds)."""
    if algorithm is KeyAlgorithm.RSA_2048:
        return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_SIZE)
    return ec.generate_private_key(ec.SECP256R1())


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


# --- issuing ----------------------------------------------------------------------------------


def _attribute(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    """A subject attribute without X.509's 64-character upper bound: OCM's own subjects
    (e.g. `system:open-cluster-management:cluster:<c>:addon:<a>:agent:<a>`) exceed it, and Go
    and kube-apiserver accept them, so we must too."""
    if not value:
        raise PKIError(f"empty value for {oid.dotted_string} in a certificate subject")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return x509.NameAttribute(oid, value, _validate=False)


def create_ca(
    common_name: str,
    *,
    algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256,
    validity: dt.timedelta = DEFAULT_CA_VALIDITY,
    now: dt.datetime | None = None,
) -> CertificateAuthority:
    """Create a self-signed CA named `common_name`."""
    if not common_name:
        raise PKIError("a CA needs a non-empty common name")
    key = generate_private_key(algorithm)
    name = x509.Name([_attribute(NameOID.COMMON_NAME, common_name)])
    start = _now(now) - CLOCK_SKEW_ALLOWANCE
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate=certificate, private_key=key)


def issue_serving_cert(
    ca: CertificateAuthority,
    *,
    common_name: str,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str | IPAddress] = (),
    algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256,
    validity: dt.timedelta = DEFAULT_LEAF_VALIDITY,
    now: dt.datetime | None = None,
) -> IssuedCertificate:
    """Issue a TLS server certificate whose SANs are `dns_names` and `ip_addresses`."""
    if not dns_names and not ip_addresses:
        raise PKIError("a serving certificate needs at least one DNS name or IP address SAN")
    key = generate_private_key(algorithm)
    subject = x509.Name([_attribute(NameOID.COMMON_NAME, common_name)])
    certificate = _sign_leaf(
        ca,
        subject=subject,
        public_key=key.public_key(),
        usages=SERVING_USAGES,
        sans=_san_list(dns_names, ip_addresses),
        validity=validity,
        now=now,
    )
    return IssuedCertificate(certificate=certificate, private_key=key)


def issue_client_cert(
    ca: CertificateAuthority,
    *,
    user: str,
    groups: Sequence[str] = (),
    organizational_unit: str | None = None,
    algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256,
    validity: dt.timedelta = DEFAULT_LEAF_VALIDITY,
    now: dt.datetime | None = None,
) -> IssuedCertificate:
    """Issue a TLS client certificate for Kubernetes x509 auth: CN = user, one O per group."""
    key = generate_private_key(algorithm)
    certificate = _sign_leaf(
        ca,
        subject=client_subject(user, groups, organizational_unit),
        public_key=key.public_key(),
        usages=CLIENT_USAGES,
        sans=[],
        validity=validity,
        now=now,
    )
    return IssuedCertificate(certificate=certificate, private_key=key)


def client_subject(
    user: str, groups: Sequence[str] = (), organizational_unit: str | None = None
) -> x509.Name:
    """The subject Kubernetes maps to (user, groups): CN = user, one O per group, optional OU."""
    if not user:
        raise PKIError("a client certificate needs a non-empty user name (its CN)")
    attributes = [_attribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
    if organizational_unit:
        attributes.append(_attribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    attributes.append(_attribute(NameOID.COMMON_NAME, user))
    return x509.Name(attributes)


def create_csr(
    key: PrivateKey,
    *,
    user: str,
    groups: Sequence[str] = (),
    organizational_unit: str | None = None,
) -> bytes:
    """Build a PEM CSR for a client certificate (what a spoke agent submits to the hub)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(client_subject(user, groups, organizational_unit))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def sign_csr(
    ca: CertificateAuthority,
    csr_pem: bytes,
    *,
    usages: Iterable[KeyUsage | str],
    duration: dt.timedelta = DEFAULT_LEAF_VALIDITY,
    signer_name: str | None = None,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """Sign a PEM CSR with `ca`, as a Kubernetes CSR signer does once the CSR is approved.

    The subject and SANs come from the CSR; the usages and duration are the signer's. The
    certificate never outlives the CA. With `signer_name=SIGNER_KUBE_APISERVER_CLIENT` the
    CSR must pass that signer's rules (`check_csr_for_signer`).
    """
    csr = load_csr_pem(csr_pem)
    if not csr.is_signature_valid:
        raise PKIError("the CSR's signature does not match its public key")
    parsed_usages = parse_usages(usages)
    if signer_name is not None:
        check_csr_for_signer(signer_name, parse_csr_subject(csr), parsed_usages)
    public_key = csr.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise PKIError("the CSR's key must be RSA or ECDSA")
    duration = min(duration, ca.certificate.not_valid_after_utc - _now(now))
    if duration <= dt.timedelta(0):
        raise PKIError("the CA has expired; it cannot sign")
    return _sign_leaf(
        ca,
        subject=_subject(csr),
        public_key=public_key,
        usages=parsed_usages,
        sans=_csr_sans(csr),
        validity=duration,
        now=now,
    )


def sign_csr_spec(
    ca: CertificateAuthority,
    spec: Mapping[str, Any],
    *,
    max_duration: dt.timedelta = DEFAULT_SIGNER_DURATION,
    now: dt.datetime | None = None,
) -> bytes:
    """Sign an approved `CertificateSigningRequest.spec` (a dict as stored); return PEM.

    What kube-controller-manager's signer does with one: decode `spec.request` (base64 PEM),
    apply the signer's rules for `spec.signerName` with `spec.usages`, and issue for
    `spec.expirationSeconds` capped at `max_duration`. The PEM goes to `status.certificate`
    (base64); a `PKIError` becomes a `Failed` condition with its message.
    """
    try:
        request = base64.b64decode(spec.get("request") or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise PKIError("spec.request is not base64") from exc
    duration = max_duration
    seconds = spec.get("expirationSeconds")
    if seconds is not None:
        if not isinstance(seconds, int) or seconds < MIN_CSR_EXPIRATION_SECONDS:
            raise PKIError(
                f"spec.expirationSeconds must be an integer of at least "
                f"{MIN_CSR_EXPIRATION_SECONDS} (10 minutes), got {seconds!r}"
            )
        duration = min(duration, dt.timedelta(seconds=seconds))
    certificate = sign_csr(
        ca,
        request,
        usages=spec.get("usages") or (),
        duration=duration,
        signer_name=str(spec.get("signerName") or ""),
        now=now,
    )
    return certificate_to_pem(certificate)


def parse_usages(usages: Iterable[KeyUsage | str]) -> tuple[KeyUsage, ...]:
    """Turn CSR usage strings into `KeyUsage`s; unknown strings are an error naming them."""
    parsed: list[KeyUsage] = []
    for usage in usages:
        if isinstance(usage, KeyUsage):
            parsed.append(usage)
            continue
        try:
            parsed.append(KeyUsage(usage))
        except ValueError:
            known = ", ".join(repr(u.value) for u in KeyUsage)
            raise PKIError(f"unsupported key usage {usage!r}; supported: {known}") from None
    if not parsed:
        raise PKIError("at least one key usage is required")
    return tuple(dict.fromkeys(parsed))


def check_csr_for_signer(signer_name: str, subject: CsrSubject, usages: Sequence[KeyUsage]) -> None:
    """Apply a built-in signer's admission rules; custom signers accept anything here.

    kube-apiserver-client (kube parity): usages limited to digital signature, key encipherment
    and client auth, "client auth" required, a non-empty CN, and no SANs of any kind.
    """
    if signer_name != SIGNER_KUBE_APISERVER_CLIENT:
        return
    extra = [usage.value for usage in usages if usage not in _KUBE_APISERVER_CLIENT_ALLOWED]
    if extra:
        raise PKIError(f"signer {signer_name} does not allow usages {extra}")
    if KeyUsage.CLIENT_AUTH not in usages:
        raise PKIError(f"signer {signer_name} requires the 'client auth' usage")
    if not subject.common_name:
        raise PKIError(f"signer {signer_name} requires a subject common name (the user name)")
    if subject.dns_names or subject.ip_addresses or subject.email_addresses or subject.uris:
        raise PKIError(f"signer {signer_name} does not allow SANs in the CSR")


def _sign_leaf(
    ca: CertificateAuthority,
    *,
    subject: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    usages: Sequence[KeyUsage],
    sans: list[x509.GeneralName],
    validity: dt.timedelta,
    now: dt.datetime | None,
) -> x509.Certificate:
    start = _now(now) - CLOCK_SKEW_ALLOWANCE
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CLOCK_SKEW_ALLOWANCE + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage_extension(usages), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    extended = [_EXTENDED_USAGE_OIDS[u] for u in usages if u in _EXTENDED_USAGE_OIDS]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca.private_key, hashes.SHA256())


def _key_usage_extension(usages: Sequence[KeyUsage]) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=KeyUsage.DIGITAL_SIGNATURE in usages,
        content_commitment=False,
        key_encipherment=KeyUsage.KEY_ENCIPHERMENT in usages,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=KeyUsage.CERT_SIGN in usages,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _san_list(
    dns_names: Sequence[str], ip_addresses: Sequence[str | IPAddress]
) -> list[x509.GeneralName]:
    sans: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    for address in ip_addresses:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            raise PKIError(f"{address!r} is not an IP address") from None
    return sans


def _csr_sans(csr: x509.CertificateSigningRequest) -> list[x509.GeneralName]:
    try:
        extension = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(extension.value)


# --- parsing ----------------------------------------------------------------------------------


def load_csr_pem(data: bytes) -> x509.CertificateSigningRequest:
    """Parse a PEM CSR (the bytes of `CertificateSigningRequest.spec.request`, decoded)."""
    try:
        return x509.load_pem_x509_csr(data)
    except ValueError as exc:
        raise PKIError(f"not a PEM certificate request: {exc}") from exc


def parse_csr_subject(csr: x509.CertificateSigningRequest | bytes) -> CsrSubject:
    """Return what a CSR (object or PEM) asks for."""
    request = load_csr_pem(csr) if isinstance(csr, bytes) else csr
    sans = _csr_sans(request)
    return CsrSubject(
        common_name=_first_attribute(_subject(request), NameOID.COMMON_NAME),
        organizations=_attributes(_subject(request), NameOID.ORGANIZATION_NAME),
        organizational_units=_attributes(_subject(request), NameOID.ORGANIZATIONAL_UNIT_NAME),
        dns_names=tuple(n.value for n in sans if isinstance(n, x509.DNSName)),
        ip_addresses=tuple(
            n.value
            for n in sans
            if isinstance(n, x509.IPAddress)
            and isinstance(n.value, ipaddress.IPv4Address | ipaddress.IPv6Address)
        ),
        email_addresses=tuple(n.value for n in sans if isinstance(n, x509.RFC822Name)),
        uris=tuple(n.value for n in sans if isinstance(n, x509.UniformResourceIdentifier)),
    )


def subject_user(certificate: x509.Certificate) -> tuple[str, tuple[str, ...]]:
    """Return the Kubernetes (user, groups) a client certificate names: its CN and O values."""
    return (
        _first_attribute(_subject(certificate), NameOID.COMMON_NAME),
        _attributes(_subject(certificate), NameOID.ORGANIZATION_NAME),
    )


def subject_organizational_units(certificate: x509.Certificate) -> tuple[str, ...]:
    """The OU values of a certificate's subject (cluster-proxy's names the signing CA)."""
    return _attributes(_subject(certificate), NameOID.ORGANIZATIONAL_UNIT_NAME)


def _subject(item: x509.Certificate | x509.CertificateSigningRequest) -> x509.Name:
    """`item.subject` without the warning cryptography gives for OCM's long (legal) names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return item.subject


def _attributes(name: x509.Name, oid: x509.ObjectIdentifier) -> tuple[str, ...]:
    return tuple(str(attribute.value) for attribute in name.get_attributes_for_oid(oid))


def _first_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = _attributes(name, oid)
    return values[0] if values else ""


def certificate_sans(certificate: x509.Certificate) -> tuple[set[str], set[IPAddress]]:
    """Return a certificate's (DNS names, IP addresses) SANs."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return set(), set()
    names = extension.value
    addresses = {
        value
        for value in names.get_values_for_type(x509.IPAddress)
        if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address)
    }
    return set(names.get_values_for_type(x509.DNSName)), addresses


# --- PEM I/O ----------------------------------------------------------------------------------


def certificate_to_pem(certificate: x509.Certificate) -> bytes:
    """The certificate as PEM bytes."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def private_key_to_pem(key: PrivateKey, *, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, like OCM stores its signer key; encrypted when `password` is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_certificates_pem(data: bytes) -> list[x509.Certificate]:
    """Parse every certificate in a PEM bundle; an empty or malformed bundle is an error."""
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PKIError(f"not a PEM certificate bundle: {exc}") from exc
    return certificates


def load_certificate_pem(data: bytes) -> x509.Certificate:
    """Parse the first certificate of a PEM blob."""
    return load_certificates_pem(data)[0]


def load_certificate_der(data: bytes) -> x509.Certificate:
    """Parse a DER certificate (what `SSLObject.getpeercert(binary_form=True)` returns)."""
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise PKIError(f"not a DER certificate: {exc}") from exc


def load_private_key_pem(data: bytes, *, password: bytes | None = None) -> PrivateKey:
    """Parse a PEM private key (PKCS#8, PKCS#1 or SEC1); only RSA and ECDSA are accepted."""
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise PKIError(f"not a usable PEM private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PKIError(f"unsupported private key type {type(key).__name__}; use RSA or ECDSA")
    return key


def write_pem(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write PEM bytes atomically (temp file + rename); private files get mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.chmod(0o600 if private else 0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def save_ca(ca: CertificateAuthority, cert_path: Path, key_path: Path) -> None:
    """Write the CA certificate (0644) and its key (0600) as PEM files."""
    write_pem(cert_path, ca.cert_pem())
    write_pem(key_path, ca.key_pem(), private=True)


def load_ca(cert_path: Path, key_path: Path) -> CertificateAuthority:
    """Load a CA from PEM files and check the key belongs to the certificate."""
    certificate = load_certificate_pem(cert_path.read_bytes())
    key = load_private_key_pem(key_path.read_bytes())
    if not _same_public_key(certificate, key):
        raise PKIError(f"{key_path} is not the private key of {cert_path}")
    return CertificateAuthority(certificate=certificate, private_key=key)


def load_or_create_ca(
    cert_path: Path,
    key_path: Path,
    *,
    common_name: str,
    algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256,
    validity: dt.timedelta = DEFAULT_CA_VALIDITY,
    now: dt.datetime | None = None,
) -> tuple[CertificateAuthority, bool]:
    """Load the CA from its files, or create and save one on first start; (ca, created).

    One file without the other is an error rather than a silent new CA: replacing a CA
    breaks every client that trusts the old one.
    """
    have_cert, have_key = cert_path.exists(), key_path.exists()
    if have_cert and have_key:
        return load_ca(cert_path, key_path), False
    if have_cert or have_key:
        present, missing = (cert_path, key_path) if have_cert else (key_path, cert_path)
        raise PKIError(
            f"{present} exists but {missing} does not; restore it, or remove both to "
            "create a new CA (clients will have to trust the new one)"
        )
    ca = create_ca(common_name, algorithm=algorithm, validity=validity, now=now)
    save_ca(ca, cert_path, key_path)
    return ca, True


def _same_public_key(certificate: x509.Certificate, key: PrivateKey) -> bool:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return certificate.public_key().public_bytes(der, spki) == key.public_key().public_bytes(
        der, spki
    )


# --- expiry and rotation ----------------------------------------------------------------------


def is_expired(certificate: x509.Certificate, *, now: dt.datetime | None = None) -> bool:
    """True from the certificate's notAfter on."""
    return _now(now) >= certificate.not_valid_after_utc


def needs_rotation(
    certificate: x509.Certificate,
    *,
    now: dt.datetime | None = None,
    fraction: float = ROTATION_FRACTION,
) -> bool:
    """True once less than `fraction` of the certificate's lifetime remains (or it expired)."""
    start = certificate.not_valid_before_utc
    end = certificate.not_valid_after_utc
    return _now(now) >= end - (end - start) * fraction


def rotation_due_at(
    certificate: x509.Certificate, *, fraction: float = ROTATION_FRACTION
) -> dt.datetime:
    """When `needs_rotation` turns true: a controller requeues for this instant."""
    start = certificate.not_valid_before_utc
    end = certificate.not_valid_after_utc
    return end - (end - start) * fraction


def reissue_reason(
    certificate: x509.Certificate,
    *,
    ca: CertificateAuthority,
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[str | IPAddress] = (),
    now: dt.datetime | None = None,
) -> str | None:
    """Why a serving cert must be re-issued (OCM TargetRotation rules), or None if it is fine.

    Reasons: in the last 20% of its lifetime, signed by another CA, or its SANs changed.
    """
    if needs_rotation(certificate, now=now):
        return "the certificate is in the last 20% of its lifetime"
    if not is_issued_by(certificate, ca.certificate):
        return "the certificate was not issued by the current CA"
    wanted_ips = {ipaddress.ip_address(a) for a in ip_addresses}
    if certificate_sans(certificate) != (set(dns_names), wanted_ips):
        return "the certificate's SANs differ from the wanted ones"
    return None


def is_issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if `issuer`'s key signed `certificate` (a signature check, not a full path check)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- CA bundles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CABundle:
    """Several trusted CA certificates, so old and new CAs overlap while a CA rotates.

    Immutable: `with_ca` and `without_expired` return new bundles.
    """

    certificates: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_pem(cls, data: bytes) -> CABundle:
        return cls(tuple(load_certificates_pem(data)))

    def pem(self) -> bytes:
        return b"".join(certificate_to_pem(c) for c in self.certificates)

    def with_ca(self, certificate: x509.Certificate) -> CABundle:
        """Add a CA (newest last); adding one already present changes nothing."""
        if certificate in self.certificates:
            return self
        return CABundle((*self.certificates, certificate))

    def without_expired(self, *, now: dt.datetime | None = None) -> CABundle:
        moment = _now(now)
        return CABundle(tuple(c for c in self.certificates if not is_expired(c, now=moment)))

    def issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The CA in this bundle that signed `certificate`, if any."""
        for ca in self.certificates:
            if ca.subject == certificate.issuer and is_issued_by(certificate, ca):
                return ca
        return None

    def __len__(self) -> int:
        return len(self.certificates)


# --- TLS contexts -----------------------------------------------------------------------------


def load_cert_chain_into(
    context: ssl.SSLContext, chain: Sequence[x509.Certificate], key: PrivateKey
) -> None:
    """Load a certificate chain and key into `context` from memory.

    `ssl` only loads chains from files, so the PEM goes through a private temporary directory,
    with the key encrypted under a one-time password, and is removed at once. Calling this
    again on a live context swaps the certificate for new handshakes (hot reload).
    """
    if not chain:
        raise PKIError("a certificate chain needs at least the leaf certificate")
    password = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="ocm-tls-") as tmp:
        cert_file = Path(tmp) / "tls.crt"
        key_file = Path(tmp) / "tls.key"
        write_pem(cert_file, b"".join(certificate_to_pem(c) for c in chain))
        write_pem(key_file, private_key_to_pem(key, password=password), private=True)
        context.load_cert_chain(cert_file, key_file, password=password)


def server_ssl_context(
    chain: Sequence[x509.Certificate],
    key: PrivateKey,
    *,
    client_ca: CABundle | None = None,
    require_client_cert: bool = False,
) -> ssl.SSLContext:
    """A TLS server context; with `client_ca` it asks for client certificates.

    Go clients only send a client certificate when the server asks, and token users send none,
    so the default asks but does not insist (CERT_OPTIONAL); `require_client_cert` insists.
    """
    if require_client_cert and client_ca is None:
        raise PKIError("requiring client certificates needs a client CA bundle")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_cert_chain_into(context, chain, key)
    if client_ca is not None:
        if not len(client_ca):
            raise PKIError("the client CA bundle is empty")
        context.load_verify_locations(cadata=client_ca.pem().decode("ascii"))
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context


def client_ssl_context(
    server_ca: CABundle,
    *,
    chain: Sequence[x509.Certificate] = (),
    key: PrivateKey | None = None,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A TLS client context trusting `server_ca`, presenting a client cert for mTLS if given."""
    if bool(chain) != (key is not None):
        raise PKIError("a client certificate and its key must be given together")
    if not len(server_ca):
        raise PKIError("the server CA bundle is empty")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname
    context.load_verify_locations(cadata=server_ca.pem().decode("ascii"))
    if key is not None:
        load_cert_chain_into(context, chain, key)
    return context


class ReloadableServerContext:
    """A server TLS context whose certificate and client CA bundle can change while serving.

    Pass `.context` to the server once. Each handshake then uses the context of the latest
    `update` (an SNI callback swaps it in; OpenSSL calls it even without SNI), so a rotated
    serving cert or client CA bundle applies to new connections with no restart, and
    connections already open keep theirs. Unlike loading into a live context, `update` can
    also drop a CA. Whether client certs are asked for is fixed at construction (OpenSSL takes
    the verify mode from the first context).
    """

    def __init__(
        self,
        chain: Sequence[x509.Certificate],
        key: PrivateKey,
        *,
        client_ca: CABundle | None = None,
        require_client_cert: bool = False,
    ) -> None:
        self._asks_client_cert = client_ca is not None
        self._require_client_cert = require_client_cert
        self._current = server_ssl_context(
            chain, key, client_ca=client_ca, require_client_cert=require_client_cert
        )
        self.context = server_ssl_context(
            chain, key, client_ca=client_ca, require_client_cert=require_client_cert
        )
        self.context.sni_callback = self._select

    def update(
        self,
        chain: Sequence[x509.Certificate],
        key: PrivateKey,
        *,
        client_ca: CABundle | None = None,
    ) -> None:
        """Use this certificate and client CA bundle for every new handshake."""
        if (client_ca is not None) != self._asks_client_cert:
            raise PKIError(
                "a reloadable context cannot start or stop asking for client certificates; "
                "keep giving a client CA bundle, or none, as at construction"
            )
        self._current = server_ssl_context(
            chain, key, client_ca=client_ca, require_client_cert=self._require_client_cert
        )

    def _select(
        self, connection: ssl.SSLSocket | ssl.SSLObject, server_name: str | None, _: ssl.SSLContext
    ) -> None:
        connection.context = self._current
