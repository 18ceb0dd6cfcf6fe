"""The work, add-on and cluster-proxy CRD files are well-formed and match upstream's shape."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core.api import addon, proxy, schema, work

ROOT = Path(__file__).resolve().parents[3]
OUR_GROUPS = (work.GROUP, addon.GROUP, proxy.GROUP)
CRD_FILES = sorted(
    path
    for directory in (
        ROOT / "charts" / "ocm-hub" / "crds",
        ROOT / "charts" / "cluster-proxy" / "crds",
    )
    for path in directory.glob("*.yaml")
    if path.name.removesuffix(".yaml").endswith(OUR_GROUPS)
)

# name -> (kind, scope, served versions, storage version, short names, status subresource)
UPSTREAM: dict[str, tuple[str, str, list[str], str, list[str], bool]] = {
    "manifestworks.work.open-cluster-management.io": (
        "ManifestWork",
        "Namespaced",
        ["v1"],
        "v1",
        [],
        True,
    ),
    "appliedmanifestworks.work.open-cluster-management.io": (
        "AppliedManifestWork",
        "Cluster",
        ["v1"],
        "v1",
        [],
        True,
    ),
    "manifestworkreplicasets.work.open-cluster-management.io": (
        "ManifestWorkReplicaSet",
        "Namespaced",
        ["v1alpha1"],
        "v1alpha1",
        ["mwrs"],
        True,
    ),
    "clustermanagementaddons.addon.open-cluster-management.io": (
        "ClusterManagementAddOn",
        "Cluster",
        ["v1alpha1", "v1beta1"],
        "v1alpha1",
        ["cma", "cmas"],
        True,
    ),
    "managedclusteraddons.addon.open-cluster-management.io": (
        "ManagedClusterAddOn",
        "Namespaced",
        ["v1alpha1", "v1beta1"],
        "v1alpha1",
        ["mca", "mcas"],
        True,
    ),
    "addondeploymentconfigs.addon.open-cluster-management.io": (
        "AddOnDeploymentConfig",
        "Namespaced",
        ["v1alpha1", "v1beta1"],
        "v1alpha1",
        [],
        False,
    ),
    "addontemplates.addon.open-cluster-management.io": (
        "AddOnTemplate",
        "Cluster",
        ["v1alpha1"],
        "v1alpha1",
        [],
        False,
    ),
    "managedproxyconfigurations.proxy.open-cluster-management.io": (
        "ManagedProxyConfiguration",
        "Cluster",
        ["v1alpha1"],
        "v1alpha1",
        [],
        True,
    ),
    "managedproxyserviceresolvers.proxy.open-cluster-management.io": (
        "ManagedProxyServiceResolver",
        "Cluster",
        ["v1alpha1"],
        "v1alpha1",
        [],
        True,
    ),
}


@functools.cache
def load(path: Path) -> dict[str, Any]:
    # Read-only by every test, so one parse per file is shared.
    document = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(document, dict)
    return document


def crd_id(path: Path) -> str:
    return path.name.removesuffix(".yaml")


def test_every_upstream_crd_has_a_file() -> None:
    assert sorted(crd_id(path) for path in CRD_FILES) == sorted(UPSTREAM)


@pytest.mark.parametrize("path", CRD_FILES, ids=crd_id)
def test_crd_header_and_names(path: Path) -> None:
    crd = load(path)
    kind, scope, versions, storage, short_names, status = UPSTREAM[crd_id(path)]
    spec = crd["spec"]
    names = spec["names"]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"]["name"] == crd_id(path) == f"{names['plural']}.{spec['group']}"
    assert names["kind"] == kind
    assert names["listKind"] == f"{kind}List"
    assert names["singular"] == kind.lower()
    assert names.get("shortNames", []) == short_names
    assert spec["scope"] == scope
    assert [v["name"] for v in spec["versions"]] == versions
    assert all(v["served"] for v in spec["versions"])
    assert [v["name"] for v in spec["versions"] if v["storage"]] == [storage]
    assert all(("status" in v.get("subresources", {})) == status for v in spec["versions"])


@pytest.mark.parametrize("path", CRD_FILES, ids=crd_id)
def test_schemas_are_structural_typed_objects(path: Path) -> None:
    for version in load(path)["spec"]["versions"]:
        root = version["schema"]["openAPIV3Schema"]
        assert root["type"] == "object"
        assert {"apiVersion", "kind", "metadata", "spec"} <= set(root["properties"])
        # Includes kube's CRD checks: list-map keys required or defaulted, defaults valid.
        assert schema.structural_problems(root) == []


@pytest.mark.parametrize("path", CRD_FILES, ids=crd_id)
def test_printer_columns_point_at_declared_fields(path: Path) -> None:
    for version in load(path)["spec"]["versions"]:
        root = version["schema"]["openAPIV3Schema"]
        for column in version.get("additionalPrinterColumns", []):
            node = root
            # `[?(@.type=="X")]` filters select array items; drop them before splitting.
            plain = re.sub(r"\[\?\(.*?\)\]", "[*]", column["jsonPath"])
            for part in plain.lstrip(".").split("."):
                field = part.split("[", 1)[0]
                node = node["properties"][field]
                if "[" in part:
                    node = node["items"]
            assert node["type"] == column["type"], column


@pytest.mark.parametrize("path", CRD_FILES, ids=crd_id)
def test_versions_with_different_schemas_need_conversion(path: Path) -> None:
    spec = load(path)["spec"]
    schemas = [v["schema"]["openAPIV3Schema"] for v in spec["versions"]]
    if any(s != schemas[0] for s in schemas):
        assert spec["conversion"]["strategy"] == "Webhook"


def test_generated_files_are_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.gen_crds", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
