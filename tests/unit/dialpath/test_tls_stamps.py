"""`TLSFileSet.refresh` reads the files only when their stamps moved or cannot vouch for them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ocm_core import pki, tlsfiles
from ocm_core.tlsfiles import RACY_NS, TLSFileSet, stamps_vouch

LATER = 10 * RACY_NS


def later_clock() -> int:
    """A clock well past the files' last change: their stamps vouch for them."""
    return time.time_ns() + LATER


def write_set(directory: Path, ca: pki.CertificateAuthority) -> bytes:
    issued = pki.issue_serving_cert(ca, common_name="localhost", dns_names=("localhost",))
    for name, content in (
        ("ca.crt", ca.cert_pem()),
        ("tls.crt", issued.cert_pem()),
        ("tls.key", issued.key_pem()),
    ):
        staged = directory / f"{name}.new"
        staged.write_bytes(content)
        os.replace(staged, directory / name)
    return issued.cert_pem()


def file_set(directory: Path, clock: Callable[[], int] = later_clock) -> TLSFileSet:
    return TLSFileSet(
        cert=directory / "tls.crt",
        key=directory / "tls.key",
        ca=directory / "ca.crt",
        clock=clock,
    )


@pytest.fixture
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("stamps")


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    original = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        reads.append(path)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


def test_unchanged_settled_files_are_not_read_again(
    tmp_path: Path, ca: pki.CertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_set(tmp_path, ca)
    files = file_set(tmp_path)
    reads = count_reads(monkeypatch)
    for _ in range(5):
        assert files.refresh() is None
    assert reads == []


def test_a_replaced_file_is_read_at_the_next_refresh(
    tmp_path: Path, ca: pki.CertificateAuthority
) -> None:
    write_set(tmp_path, ca)
    files = file_set(tmp_path)
    new_cert = write_set(tmp_path, pki.create_ca("next"))
    refreshed = files.refresh()
    assert refreshed is not None
    assert refreshed.cert == new_cert


def same_size_bundle(size: int) -> bytes:
    """Another CA of the same name: its PEM has the same length unless the signature's DER
    differs by a byte, so a few tries find one."""
    for _ in range(50):
        bundle = pki.create_ca("stamps").cert_pem()
        if len(bundle) == size:
            return bundle
    raise AssertionError(f"no CA certificate of {size} bytes in 50 tries")


def test_an_in_place_rewrite_of_the_same_size_and_mtime_is_seen(
    tmp_path: Path, ca: pki.CertificateAuthority
) -> None:
    """Same inode, same size, modification time put back: the change time still moves."""
    write_set(tmp_path, ca)
    bundle = tmp_path / "ca.crt"
    before = os.stat(bundle)
    other = same_size_bundle(before.st_size)
    files = file_set(tmp_path)
    # The change time ticks coarsely: rewrite until it has moved (it does within a tick).
    deadline = time.monotonic() + 5
    while os.stat(bundle).st_ctime_ns == before.st_ctime_ns:
        assert time.monotonic() < deadline, "the file's change time never moved"
        with bundle.open("r+b") as handle:
            handle.write(other)
        os.utime(bundle, ns=(before.st_atime_ns, before.st_mtime_ns))
    refreshed = files.refresh()
    assert refreshed is not None
    assert refreshed.ca == other


def test_recent_files_are_compared_by_contents_even_with_equal_stamps(
    tmp_path: Path, ca: pki.CertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rewrite within one timestamp tick can leave every stamp as it was: while the files
    are that recent, their contents decide."""
    write_set(tmp_path, ca)
    frozen = (1, 2, 3, time.time_ns(), time.time_ns())
    monkeypatch.setattr(tlsfiles, "file_stamp", lambda _path: frozen)
    recent = file_set(tmp_path, clock=time.time_ns)
    settled = file_set(tmp_path)
    new_cert = write_set(tmp_path, pki.create_ca("next"))

    refreshed = recent.refresh()
    assert refreshed is not None
    assert refreshed.cert == new_cert
    assert settled.refresh() is None  # the stamps vouch: not read (this is what they save)


@pytest.mark.parametrize(
    ("changed_at", "vouch"),
    [(0, True), (LATER - RACY_NS - 1, True), (LATER - RACY_NS, False), (2 * LATER, False)],
)
def test_stamps_vouch_only_for_files_older_than_the_racy_window(
    changed_at: int, vouch: bool
) -> None:
    stamp = (1, 2, 3, changed_at, changed_at)
    assert stamps_vouch((stamp, None), now_ns=LATER) is vouch
