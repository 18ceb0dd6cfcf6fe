"""Throwaway mTLS material for the tunnel under test: one CA and three leaf certificates.

- server: the proxy server's certificate on both its agent and frontend ports;
- agent: the agent's client certificate;
- client: the benchmark client's certificate for the HTTP CONNECT and gRPC frontends.
ECDSA P-256 keys, valid for one day, written as PEM files into a temporary directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from proxy_server.identity import agent_subject

#: The cluster the bench's agent serves; its certificate names it (identity binding).
CLUSTER: Final = "bench"

VALIDITY: Final = datetime.timedelta(days=1)
SERVER_NAME: Final = "localhost"


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Bundle:
    ca: Path
    server: CertPair
    agent: CertPair
    client: CertPair
    #: For row 8's lightweight agents: names no cluster (the server runs --allow-unbound-agents).
    fleet: CertPair


def _name(common_name: str, organization: str = "") -> x509.Name:
    # The agent subject (OCM's add-on format) exceeds X.509's 64-character CN bound, as upstream.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False)]
        if organization:
            attributes.append(
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization, _validate=False)
            )
    return x509.Name(attributes)


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    *,
    common_name: str,
    organization: str = "",
    usage: x509.ObjectIdentifier,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
    now: datetime.datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def write_bundle(directory: Path) -> Bundle:
    """Create the CA and leaf certificates under `directory` (blocking: run it in a thread)."""
    directory.mkdir(mode=0o700, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("tunnelbench throwaway CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.crt"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pairs: dict[str, CertPair] = {}
    agent_cn, agent_org = agent_subject(CLUSTER)
    subjects = {"agent": (agent_cn, agent_org)}
    for role, usage in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("agent", ExtendedKeyUsageOID.CLIENT_AUTH),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
        ("fleet", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        common_name, organization = subjects.get(role, (f"tunnelbench-{role}", ""))
        cert, key = _issue(
            common_name=common_name,
            organization=organization,
            usage=usage,
            ca_key=ca_key,
            ca_name=ca_name,
            now=now,
        )
        pair = CertPair(directory / f"{role}.crt", directory / f"{role}.key")
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, pair.key)
        pairs[role] = pair
    return Bundle(
        ca=ca_path,
        server=pairs["server"],
        agent=pairs["agent"],
        client=pairs["client"],
        fleet=pairs["fleet"],
    )
