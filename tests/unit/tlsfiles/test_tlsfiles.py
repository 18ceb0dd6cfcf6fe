"""`TLSFileSet`: a changed set of files is picked up only once it is consistent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ocm_core import pki
from ocm_core.tlsfiles import TLSFilesError, TLSFileSet


def replace(path: Path, content: bytes) -> None:
    """A new file in place of the old one, as a Secret volume update does (a new inode, so
    the change shows even within one timestamp tick)."""
    staged = path.with_name(path.name + ".new")
    staged.write_bytes(content)
    os.replace(staged, path)


def write_pair(directory: Path, ca: pki.CertificateAuthority) -> tuple[bytes, bytes]:
    issued = pki.issue_serving_cert(ca, common_name="localhost", dns_names=("localhost",))
    replace(directory / "tls.crt", issued.cert_pem())
    replace(directory / "tls.key", issued.key_pem())
    return issued.cert_pem(), issued.key_pem()


@pytest.fixture
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("test")


def file_set(directory: Path) -> TLSFileSet:
    return TLSFileSet(
        cert=directory / "tls.crt", key=directory / "tls.key", ca=directory / "ca.crt"
    )


def test_unchanged_files_give_nothing_new(tmp_path: Path, ca: pki.CertificateAuthority) -> None:
    replace(tmp_path / "ca.crt", ca.cert_pem())
    cert, key = write_pair(tmp_path, ca)
    files = file_set(tmp_path)
    assert (files.current.cert, files.current.key, files.current.ca) == (cert, key, ca.cert_pem())
    assert files.refresh() is None


def test_half_written_rotation_keeps_the_previous_pair(
    tmp_path: Path, ca: pki.CertificateAuthority
) -> None:
    replace(tmp_path / "ca.crt", ca.cert_pem())
    old_cert, old_key = write_pair(tmp_path, ca)
    files = file_set(tmp_path)
    staging = tmp_path / "next"
    staging.mkdir()
    new_cert, new_key = write_pair(staging, ca)

    replace(tmp_path / "tls.crt", new_cert)  # the key is not written yet
    assert files.refresh() is None
    assert (files.current.cert, files.current.key) == (old_cert, old_key)

    replace(tmp_path / "tls.key", new_key)
    refreshed = files.refresh()
    assert refreshed is not None
    assert (refreshed.cert, refreshed.key) == (new_cert, new_key)
    assert files.current == refreshed


def test_a_new_bundle_alone_is_a_change(tmp_path: Path, ca: pki.CertificateAuthority) -> None:
    replace(tmp_path / "ca.crt", ca.cert_pem())
    write_pair(tmp_path, ca)
    files = file_set(tmp_path)
    bundle = ca.cert_pem() + pki.create_ca("next").cert_pem()
    replace(tmp_path / "ca.crt", bundle)
    refreshed = files.refresh()
    assert refreshed is not None
    assert refreshed.ca == bundle


def test_a_garbled_bundle_is_skipped(tmp_path: Path, ca: pki.CertificateAuthority) -> None:
    replace(tmp_path / "ca.crt", ca.cert_pem())
    write_pair(tmp_path, ca)
    files = file_set(tmp_path)
    replace(tmp_path / "ca.crt", b"not a certificate")
    assert files.refresh() is None
    assert files.current.ca == ca.cert_pem()


def test_a_mismatched_pair_at_start_is_refused_with_the_file_names(
    tmp_path: Path, ca: pki.CertificateAuthority
) -> None:
    write_pair(tmp_path, ca)
    other = tmp_path / "other"
    other.mkdir()
    write_pair(other, ca)
    replace(tmp_path / "tls.key", (other / "tls.key").read_bytes())
    with pytest.raises(TLSFilesError, match=r"tls\.key is not the key of .*tls\.crt"):
        TLSFileSet(cert=tmp_path / "tls.crt", key=tmp_path / "tls.key", ca=None)


def test_a_missing_file_at_start_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TLSFilesError, match=r"ca\.crt: cannot read it"):
        TLSFileSet(cert=None, key=None, ca=tmp_path / "ca.crt")
