"""The serving certificate: a self-signed CA and a server cert for 127.0.0.1/localhost.

Kept in one place so it can be swapped for ``ocm_core.pki`` (the project CA) later. Files are
created once in the data directory and reused on restart, so clients keep trusting the server.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_FILE: Final = "ca.crt"
CA_KEY_FILE: Final = "ca.key"
CERT_FILE: Final = "serving.crt"
KEY_FILE: Final = "serving.key"
VALIDITY: Final = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class ServingCertificate:
    ca_path: Path
    cert_path: Path
    key_path: Path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    hosts: tuple[str, ...] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if hosts:
        alt: list[x509.GeneralName] = []
        for host in hosts:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                alt.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(signer, hashes.SHA256())


def ensure_serving_certificate(data_dir: Path, hosts: tuple[str, ...]) -> ServingCertificate:
    """Create the CA and serving cert under ``data_dir`` unless they already exist (blocking)."""
    paths = ServingCertificate(data_dir / CA_FILE, data_dir / CERT_FILE, data_dir / KEY_FILE)
    if all(p.exists() for p in (paths.ca_path, paths.cert_path, paths.key_path)):
        return paths
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("ocm-apiserver-ca", ca_key, None, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("ocm-apiserver", key, ca_cert.subject, ca_key, ca=False, hosts=hosts)
    _write_private(data_dir / CA_KEY_FILE, _key_pem(ca_key))
    _write_private(paths.key_path, _key_pem(key))
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return paths
