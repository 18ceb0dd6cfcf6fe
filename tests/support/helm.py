"""Run the helm v4 binary that `make tools` caches, and parse what it renders.

Tests find helm at `.cache/bin/helm` (scripts/fetch_helm.py puts it there), or at `$HELM` when
that is set. A missing binary is a test failure that says to run `make tools`, never a skip, so
a chart test cannot pass by not running.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from scripts.fetch_helm import DEFAULT_DEST

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
CHARTS_DIR: Final = REPO_ROOT / "charts"
HELM_TIMEOUT_SECONDS: Final = 120

Manifest = dict[str, Any]


class HelmMissing(AssertionError):
    """helm is not where the tests look for it."""


@dataclass(frozen=True)
class HelmResult:
    returncode: int
    stdout: str
    stderr: str


def helm_binary() -> Path:
    """The helm to run: `$HELM` if set, else the cached `.cache/bin/helm`."""
    path = Path(os.environ.get("HELM", DEFAULT_DEST))
    if not path.is_file() or not os.access(path, os.X_OK):
        raise HelmMissing(f"helm not found at {path}: run `make tools` (or set HELM=/path/to/helm)")
    return path


def run_helm(args: Sequence[str], *, env: dict[str, str] | None = None) -> HelmResult:
    """Run helm with `args` and return its exit code and output."""
    result = subprocess.run(
        [str(helm_binary()), *args],
        capture_output=True,
        text=True,
        timeout=HELM_TIMEOUT_SECONDS,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return HelmResult(result.returncode, result.stdout, result.stderr)


def template(
    chart: str,
    *,
    release: str = "release",
    namespace: str = "default",
    sets: Sequence[str] = (),
    set_json: Sequence[str] = (),
) -> HelmResult:
    """`helm template` of a chart under charts/, with `--set` and `--set-json` overrides."""
    args = ["template", release, str(CHARTS_DIR / chart), "--namespace", namespace]
    for value in sets:
        args += ["--set", value]
    for value in set_json:
        args += ["--set-json", value]
    return run_helm(args)


def render(chart: str, **kwargs: Any) -> list[Manifest]:
    """The objects `helm template` renders; fails the test with helm's message if it refuses."""
    result = template(chart, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"helm template {chart} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(manifests: Sequence[Manifest], kind: str, name: str) -> Manifest:
    """The one rendered object of this kind and name."""
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    if len(matches) != 1:
        present = sorted(f"{m['kind']}/{m['metadata']['name']}" for m in manifests)
        raise AssertionError(f"expected one {kind}/{name}, found {len(matches)} in {present}")
    return matches[0]


def container(deployment: Manifest, name: str) -> Manifest:
    """The named container of a Deployment."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    for item in containers:
        if item["name"] == name:
            return dict(item)
    raise AssertionError(f"no container {name} in {[c['name'] for c in containers]}")
