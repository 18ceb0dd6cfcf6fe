"""The Dockerfile builds what pyproject.toml packages and runs as the charts expect."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = REPO_ROOT / "Dockerfile"
IMAGE_REPOSITORY = "ghcr.io/ocm-python/ocm-cluster-proxy"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of every Dockerfile line that is not a comment."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _pyproject() -> dict[str, Any]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def _copied_sources() -> set[str]:
    # COPY <src>... <dest>: every word but the last is a source.
    return {word for op, args in _instructions() if op == "COPY" for word in args.split()[:-1]}


def test_every_package_and_build_input_is_copied() -> None:
    project = _pyproject()
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed = packages | {"pyproject.toml", project["project"]["readme"]}
    assert needed - _copied_sources() == set(), "the Dockerfile misses inputs of the install"


def test_the_crds_the_code_reads_are_in_the_image() -> None:
    # `ocm hub` creates missing CRDs from charts/ocm-hub/crds, found next to the source.
    crd_dirs = {str(path.relative_to(REPO_ROOT)) for path in REPO_ROOT.glob("charts/*/crds")}
    assert crd_dirs
    assert crd_dirs - _copied_sources() == set()
    ignore = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert "charts" in ignore
    assert {f"!{d}" for d in crd_dirs} <= set(ignore), "the crds must stay in the build context"


def test_installed_in_place_on_python_311_slim_with_no_entrypoint() -> None:
    instructions = _instructions()
    assert [args for op, args in instructions if op == "FROM"] == ["python:3.11-slim"]
    assert "ENTRYPOINT" not in {op for op, _ in instructions}, "args must name the program"
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert "pip install --editable ." in runs, "an editable install keeps the source layout"


def test_image_user_matches_the_charts_security_context() -> None:
    users = [args for op, args in _instructions() if op == "USER"]
    assert users == ["65532:65532"]
    for template in (REPO_ROOT / "charts").glob("*/templates/*"):
        for match in re.finditer(r"runAsUser: (\d+)", template.read_text()):
            assert match.group(1) == "65532", template


def test_charts_default_to_the_documented_image() -> None:
    version = _pyproject()["project"]["version"]
    assert f"`{IMAGE_REPOSITORY}`" in (REPO_ROOT / "docs" / "images.md").read_text()
    for chart in ("cluster-proxy", "ocm-hub"):
        meta = yaml.safe_load((REPO_ROOT / "charts" / chart / "Chart.yaml").read_text())
        assert meta["appVersion"] == version, f"{chart} appVersion must follow pyproject.toml"
    values = yaml.safe_load((REPO_ROOT / "charts/cluster-proxy/values.yaml").read_text())
    assert f"{values['registry']}/{values['image']}" == IMAGE_REPOSITORY
    assert values["proxyServerImage"] == values["proxyAgentImage"] == IMAGE_REPOSITORY
    hub = yaml.safe_load((REPO_ROOT / "charts/ocm-hub/values.yaml").read_text())
    assert hub["image"]["repository"] == IMAGE_REPOSITORY
