"""The hub CRDs under charts/ocm-hub/crds are structurally valid apiextensions.k8s.io/v1."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core.api.cluster import (
    CLUSTER_CLAIMS,
    MANAGED_CLUSTER_SET_BINDINGS,
    MANAGED_CLUSTER_SETS,
    MANAGED_CLUSTERS,
    ApiResource,
)
from ocm_core.api.placement import ADDON_PLACEMENT_SCORES, PLACEMENT_DECISIONS, PLACEMENTS

CRD_DIR = Path(__file__).resolve().parents[3] / "charts" / "ocm-hub" / "crds"
FILE_NAME = re.compile(r"^(?P<plural>[a-z]+)\.cluster\.open-cluster-management\.io\.yaml$")
TYPES = {"object", "array", "string", "integer", "number", "boolean"}
COLUMN_TYPES = {"integer", "number", "string", "boolean", "date"}
RESOURCES = [
    MANAGED_CLUSTERS,
    MANAGED_CLUSTER_SETS,
    MANAGED_CLUSTER_SET_BINDINGS,
    CLUSTER_CLAIMS,
    PLACEMENTS,
    PLACEMENT_DECISIONS,
    ADDON_PLACEMENT_SCORES,
]


def load(path: Path) -> dict[str, Any]:
    (document,) = list(yaml.safe_load_all(path.read_text()))
    assert isinstance(document, dict)
    return document


CRD_FILES = sorted(CRD_DIR.glob("*.cluster.open-cluster-management.io.yaml"))


def test_there_is_one_file_per_resource() -> None:
    plurals = sorted(FILE_NAME.match(p.name)["plural"] for p in CRD_FILES)  # type: ignore[index]
    assert plurals == sorted(r.resource for r in RESOURCES)


@pytest.mark.parametrize("path", CRD_FILES, ids=lambda p: p.name)
def test_crd_is_structurally_valid(path: Path) -> None:
    crd = load(path)
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    spec = crd["spec"]
    names = spec["names"]
    assert crd["metadata"]["name"] == f"{names['plural']}.{spec['group']}"
    assert FILE_NAME.match(path.name)["plural"] == names["plural"]  # type: ignore[index]
    assert names["listKind"] == f"{names['kind']}List"
    assert names["singular"] == names["kind"].lower()
    assert names["plural"] == names["plural"].lower()
    assert spec["scope"] in ("Namespaced", "Cluster")
    versions = spec["versions"]
    assert [v["storage"] for v in versions].count(True) == 1
    for version in versions:
        assert isinstance(version["served"], bool)
        schema = version["schema"]["openAPIV3Schema"]
        assert schema["type"] == "object"
        check_schema(schema, "openAPIV3Schema")
        if "status" in schema["properties"] and names["kind"] != "ClusterClaim":
            assert version["subresources"]["status"] == {}
        for column in version.get("additionalPrinterColumns", []):
            assert column["type"] in COLUMN_TYPES
            assert column["jsonPath"].startswith(".")
            assert column["name"]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
def test_api_constants_match_the_crds(resource: ApiResource) -> None:
    (path,) = [
        p
        for p in CRD_FILES
        if p.name == f"{resource.resource}.cluster.open-cluster-management.io.yaml"
    ]
    spec = load(path)["spec"]
    assert spec["group"] == resource.group
    assert spec["names"]["kind"] == resource.kind
    assert (spec["scope"] == "Namespaced") is resource.namespaced
    assert [v["name"] for v in spec["versions"] if v["storage"]] == [resource.version]


def test_placement_printer_columns_and_fields_the_scheduler_reads() -> None:
    (path,) = [
        p for p in CRD_FILES if p.name == "placements.cluster.open-cluster-management.io.yaml"
    ]
    (version,) = load(path)["spec"]["versions"]
    columns = [(c["name"], c["jsonPath"]) for c in version["additionalPrinterColumns"]]
    assert columns == [
        ("Succeeded", '.status.conditions[?(@.type=="PlacementSatisfied")].status'),
        ("Reason", '.status.conditions[?(@.type=="PlacementSatisfied")].reason'),
        ("SelectedClusters", ".status.numberOfSelectedClusters"),
    ]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert set(spec) >= {
        "clusterSets",
        "numberOfClusters",
        "predicates",
        "prioritizerPolicy",
        "tolerations",
        "spreadPolicy",
        "decisionStrategy",
        "sortBy",
    }
    selector = spec["predicates"]["items"]["properties"]["requiredClusterSelector"]["properties"]
    assert set(selector) == {"labelSelector", "claimSelector", "celSelector"}
    constraint = spec["spreadPolicy"]["properties"]["spreadConstraints"]["items"]["properties"]
    assert set(constraint) == {"topologyKey", "topologyKeyType", "maxSkew", "whenUnsatisfiable"}


def check_schema(node: dict[str, Any], where: str) -> None:
    """Structural-schema rules: every node typed, objects with properties, arrays with items."""
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    if int_or_string:
        assert "type" not in node, where
        assert [branch["type"] for branch in node["anyOf"]] == ["integer", "string"], where
    else:
        assert node.get("type") in TYPES, f"{where}: missing or unknown type"
    kind = node.get("type")
    if "properties" in node or "additionalProperties" in node:
        assert kind == "object", where
    for name in node.get("required", []):
        assert name in node.get("properties", {}), f"{where}: required {name} is not a property"
    for name, child in node.get("properties", {}).items():
        check_schema(child, f"{where}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        check_schema(node["additionalProperties"], f"{where}.additionalProperties")
    if kind == "array":
        check_schema(node["items"], f"{where}.items")
    if "default" in node:
        check_value(node, node["default"], f"{where}.default")
    for value in node.get("enum", []):
        check_value(node, value, f"{where}.enum")
    if node.get("x-kubernetes-list-type") == "map":
        for key in node["x-kubernetes-list-map-keys"]:
            assert key in node["items"]["required"], f"{where}: map key {key} must be required"


def check_value(node: dict[str, Any], value: Any, where: str) -> None:
    python_types: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }
    if node.get("x-kubernetes-int-or-string"):
        assert isinstance(value, int | str), where
    else:
        assert isinstance(value, python_types[node["type"]]), where
    if isinstance(value, str) and "pattern" in node:
        assert re.search(node["pattern"], value), where
