"""TLS material read from files that change under a running program (mounted Secrets).

When a certificate rotates, the kubelet swaps a Secret volume at once, but the local runtime
and hand-made setups rewrite the files one by one, so a reader can meet a new certificate next
to the old key for a moment. `TLSFileSet` reads certificate, key and CA bundle together, checks
that the key belongs to the certificate and that every PEM parses, and otherwise keeps the last
good set. `refresh()` re-reads a few kilobytes and compares them (timestamps and inodes can
repeat within one clock tick, contents cannot), cheap next to a handshake, so a server may call
it on every one (gRPC calls it from its own threads, hence the lock). `reloading_server_context`
gives an `ssl` server the same behaviour: open connections keep their certificate, new ones get
the files' current contents.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ocm_core import pki

logger = logging.getLogger(__name__)

Snapshot = tuple[bytes | None, ...]
"""The contents of each file, None for a missing or unreadable one: what `refresh` compares."""


class TLSFilesError(Exception):
    """The files do not make a usable set; the message names the file and what is wrong."""


@dataclass(frozen=True)
class TLSMaterial:
    """PEM bytes as read: a certificate chain and its key (both or neither), and a CA bundle."""

    cert: bytes | None
    key: bytes | None
    ca: bytes | None


class TLSFileSet:
    """A certificate, its key and a CA bundle from files, re-read when they change."""

    def __init__(self, *, cert: Path | None, key: Path | None, ca: Path | None) -> None:
        if (cert is None) != (key is None):
            raise TLSFilesError("a certificate and its key must be given together")
        self.paths = (cert, key, ca)
        self._lock = threading.Lock()
        self._seen = self._snapshot()
        self._current = self._check(self._seen)

    @property
    def current(self) -> TLSMaterial:
        """The last good set (the one read at construction until a good change is seen)."""
        return self._current

    def refresh(self) -> TLSMaterial | None:
        """The new set if the files changed into a good one since the last call, else None.

        A bad set (mismatched pair, unparsable PEM, missing file) is logged and skipped: the
        previous set stays current, and the next change of any file is read again."""
        with self._lock:
            snapshot = self._snapshot()
            if snapshot == self._seen:
                return None
            self._seen = snapshot
            try:
                material = self._check(snapshot)
            except TLSFilesError as exc:
                logger.warning(
                    "keeping the previous TLS files: %s", exc, extra={"files": self._names()}
                )
                return None
            if material == self._current:
                return None
            self._current = material
            logger.info(
                "TLS files changed; new handshakes use them", extra={"files": self._names()}
            )
            return material

    def _names(self) -> list[str]:
        return [str(path) for path in self.paths if path is not None]

    def _snapshot(self) -> Snapshot:
        contents: list[bytes | None] = []
        for path in self.paths:
            try:
                contents.append(path.read_bytes() if path is not None else None)
            except OSError:
                contents.append(None)
        return tuple(contents)

    def _check(self, snapshot: Snapshot) -> TLSMaterial:
        cert, key, ca = snapshot
        for path, content in zip(self.paths, snapshot, strict=True):
            if path is not None and content is None:
                raise TLSFilesError(f"{path}: cannot read it (missing, or not readable)")
        cert_path, key_path, ca_path = self.paths
        if cert is not None and key is not None:
            _check_pair(cert, key, cert_path, key_path)
        if ca is not None:
            try:
                pki.load_certificates_pem(ca)
            except pki.PKIError as exc:
                raise TLSFilesError(f"{ca_path}: {exc}") from exc
        return TLSMaterial(cert=cert, key=key, ca=ca)


def _check_pair(cert: bytes, key: bytes, cert_path: Path | None, key_path: Path | None) -> None:
    try:
        certificate = pki.load_certificate_pem(cert)
    except pki.PKIError as exc:
        raise TLSFilesError(f"{cert_path}: {exc}") from exc
    try:
        private_key = pki.load_private_key_pem(key)
    except pki.PKIError as exc:
        raise TLSFilesError(f"{key_path}: {exc}") from exc
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificate.public_key().public_bytes(der, spki) != private_key.public_key().public_bytes(
        der, spki
    ):
        raise TLSFilesError(
            f"{key_path} is not the key of {cert_path} (a rotation may be half written; "
            "it is read again when the files change)"
        )


def reloading_server_context(
    files: TLSFileSet,
    *,
    client_verify: ssl.VerifyMode = ssl.CERT_REQUIRED,
    alpn: Sequence[str] = (),
) -> ssl.SSLContext:
    """A server context that swaps in the files' new contents at the next handshake (in the
    SNI callback, which OpenSSL calls with or without SNI). With a CA file, client
    certificates are checked against it with `client_verify`."""

    def build(material: TLSMaterial) -> ssl.SSLContext:
        if material.cert is None or material.key is None:
            raise TLSFilesError("a server context needs a certificate and its key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        pki.load_cert_chain_into(
            context,
            pki.load_certificates_pem(material.cert),
            pki.load_private_key_pem(material.key),
        )
        if alpn:
            context.set_alpn_protocols(list(alpn))
        if material.ca is not None:
            context.load_verify_locations(cadata=material.ca.decode("ascii"))
            context.verify_mode = client_verify
        return context

    latest = build(files.current)
    outer = build(files.current)

    def select(connection: ssl.SSLObject | ssl.SSLSocket, _name: str | None, _: object) -> None:
        nonlocal latest
        material = files.refresh()
        if material is not None:
            latest = build(material)
        connection.context = latest

    outer.sni_callback = select
    return outer
