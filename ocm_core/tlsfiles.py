"""TLS material read from files that change under a running program (mounted Secrets).

When a certificate rotates, the kubelet swaps a Secret volume at once, but the local runtime
and hand-made setups rewrite the files one by one, so a reader can meet a new certificate next
to the old key for a moment. `TLSFileSet` reads certificate, key and CA bundle together, checks
that the key belongs to the certificate and that every PEM parses, and otherwise keeps the last
good set. `refresh()` is cheap enough for a server to call before every handshake (gRPC calls it
from its own threads, hence the lock): it `stat`s the files and re-reads their contents only
when a stamp moved (`FileStamp`), or while the last read is too recent for the stamps to vouch
for it. `reloading_server_context` gives an `ssl` server the same behaviour: open connections
keep their certificate, new ones get the files' current contents.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization

from ocm_core import pki

logger = logging.getLogger(__name__)

Snapshot = tuple[bytes | None, ...]
"""The contents of each file, None for a missing or unreadable one: what `refresh` compares."""

FileStamp = tuple[int, int, int, int, int]
"""A file's (device, inode, size, mtime_ns, ctime_ns): any write or replacement moves one."""

Stamps = tuple[FileStamp | None, ...]
"""Each file's stamp, None for a missing one: what `refresh` compares before reading."""

#: Timestamps come from a coarse kernel clock, so a file rewritten within the tick of the last
#: read (same size, same inode) keeps its stamp: files changed this recently, or stamped in
#: the future, are compared by contents until they are older than this.
RACY_NS: Final = 2_000_000_000


def file_stamp(path: Path) -> FileStamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def stamps_vouch(stamps: Stamps, now_ns: int) -> bool:
    """Whether unchanged stamps prove unchanged contents: no file changed within `RACY_NS`
    of `now_ns` (a later write lands in a later tick, so it moves a stamp)."""
    return all(stamp is None or max(stamp[3], stamp[4]) < now_ns - RACY_NS for stamp in stamps)


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

    def __init__(
        self,
        *,
        cert: Path | None,
        key: Path | None,
        ca: Path | None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        """`clock`: wall-clock nanoseconds, the time base of file timestamps."""
        if (cert is None) != (key is None):
            raise TLSFilesError("a certificate and its key must be given together")
        self.paths = (cert, key, ca)
        self._clock = clock
        self._lock = threading.Lock()
        self._stamps, self._vouched, self._seen = self._read()
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
            if self._vouched and self._current_stamps() == self._stamps:
                return None  # the common case: a few stat calls, no reading
            self._stamps, self._vouched, snapshot = self._read()
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

    def _current_stamps(self) -> Stamps:
        return tuple(file_stamp(path) if path is not None else None for path in self.paths)

    def _read(self) -> tuple[Stamps, bool, Snapshot]:
        """The stamps, whether they vouch for the contents, and the contents. Stamps first: a
        write between the two moves a stamp, so the next refresh reads again."""
        stamps = self._current_stamps()
        return stamps, stamps_vouch(stamps, self._clock()), self._snapshot()

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
    session_tickets: bool = True,
) -> ssl.SSLContext:
    """A server context that swaps in the files' new contents at the next handshake (in the
    SNI callback, which OpenSSL calls with or without SNI). With a CA file, client
    certificates are checked against it (and only it: no system CAs) with `client_verify`."""

    def build(material: TLSMaterial) -> ssl.SSLContext:
        if material.cert is None or material.key is None:
            raise TLSFilesError("a server context needs a certificate and its key")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not session_tickets:
            context.num_tickets = 0
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

    outer = build(files.current)
    #: The context of the files' latest contents, once they changed (until then, `outer`'s).
    latest: ssl.SSLContext | None = None

    def select(connection: ssl.SSLObject | ssl.SSLSocket, _name: str | None, _: object) -> None:
        nonlocal latest
        material = files.refresh()
        if material is not None:
            latest = build(material)
        if latest is not None:
            connection.context = latest

    outer.sni_callback = select
    return outer
