"""Predicate filter: label, claim and CEL selectors; ANDed parts, ORed predicates."""

from typing import Any

import pytest

from ocm_core.placement.model import Cluster, Misconfigured, Stage
from ocm_core.placement.predicates import compile_predicates, filter_by_predicates
from tests.support.placement_builders import addon_score, cluster

SCORES = {("a", "usage"): addon_score("a", "usage", {"cpu": 80, "mem": 10})}


def lookup(namespace: str, name: str) -> dict[str, Any] | None:
    return SCORES.get((namespace, name))


def run(
    predicates: list[dict[str, Any]], *clusters: dict[str, Any]
) -> tuple[list[str], dict[str, str]]:
    selectors = compile_predicates(predicates, lookup)
    passed, rejected = filter_by_predicates(selectors, [Cluster.from_dict(c) for c in clusters])
    assert all(r.stage is Stage.PREDICATE for r in rejected)
    return [c.name for c in passed], {r.cluster: r.message for r in rejected}


def selector(**parts: Any) -> dict[str, Any]:
    return {"requiredClusterSelector": parts}


def test_no_predicates_pass_everything() -> None:
    assert run([], cluster("a"), cluster("b")) == (["a", "b"], {})


def test_label_selector() -> None:
    passed, rejected = run(
        [selector(labelSelector={"matchLabels": {"env": "prod"}})],
        cluster("a", {"env": "prod"}),
        cluster("b", {"env": "dev"}),
    )
    assert passed == ["a"]
    assert rejected == {"b": "labels do not match env=prod"}


def test_claim_selector() -> None:
    passed, rejected = run(
        [
            selector(
                claimSelector={
                    "matchExpressions": [{"key": "region", "operator": "In", "values": ["eu"]}]
                }
            )
        ],
        cluster("a", claims={"region": "eu"}),
        cluster("b", claims={"region": "us"}),
        cluster("c"),
    )
    assert passed == ["a"]
    assert rejected["b"] == "claims do not match region=eu"
    assert set(rejected) == {"b", "c"}


def test_parts_of_one_selector_are_anded() -> None:
    passed, _ = run(
        [
            selector(
                labelSelector={"matchLabels": {"env": "prod"}},
                claimSelector={"matchExpressions": [{"key": "region", "operator": "Exists"}]},
            )
        ],
        cluster("both", {"env": "prod"}, claims={"region": "eu"}),
        cluster("label-only", {"env": "prod"}),
        cluster("claim-only", claims={"region": "eu"}),
    )
    assert passed == ["both"]


def test_predicates_are_ored_and_each_failure_is_explained() -> None:
    passed, rejected = run(
        [
            selector(labelSelector={"matchLabels": {"env": "prod"}}),
            selector(labelSelector={"matchLabels": {"env": "staging"}}),
        ],
        cluster("a", {"env": "prod"}),
        cluster("b", {"env": "staging"}),
        cluster("c", {"env": "dev"}),
    )
    assert passed == ["a", "b"]
    assert rejected["c"] == (
        "predicates[0]: labels do not match env=prod; "
        "predicates[1]: labels do not match env=staging"
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('managedCluster.metadata.labels["version"].versionIsGreaterThan("1.29.0")', ["a"]),
        ('managedCluster.metadata.labels["version"].versionIsLessThan("1.29.0")', ["b"]),
        ('managedCluster.status.allocatable.memory.quantityIsGreaterThan("1Gi")', ["a"]),
        ('managedCluster.status.allocatable.memory.quantityIsLessThan("1Gi")', ["b"]),
        ('managedCluster.scores("usage").filter(s, s.name == "cpu").all(s, s.value > 50)', ["a"]),
        ('managedCluster.metadata.name.startsWith("a")', ["a"]),
        ('managedCluster.metadata.labels["version"].matches("^v?1\\\\.28")', ["b"]),
        ('"gpu" in managedCluster.metadata.labels', []),
        ("managedCluster.spec.hubAcceptsClient", ["a", "b"]),
        ('managedCluster.metadata.annotations["cfg"].parseJSON().tier == "gold"', ["a"]),
        ('managedCluster.metadata.labels["version"].upperAscii().startsWith("V")', ["b"]),
        ('managedCluster.metadata.labels["version"].split(".")[1] == "30"', ["a"]),
        ('["x", "y"].join("-") == "x-y"', ["a", "b"]),
        ('" v ".trim().replace("v", "w").lowerAscii() == "w"', ["a", "b"]),
    ],
)
def test_cel_selector(expression: str, expected: list[str]) -> None:
    gold = cluster("a", {"version": "1.30.1"}, memory="2Gi")
    gold["metadata"]["annotations"] = {"cfg": '{"tier": "gold"}'}
    passed, _ = run(
        [selector(celSelector={"celExpressions": [expression]})],
        gold,
        cluster("b", {"version": "v1.28.0"}, memory="1000Mi"),
    )
    assert passed == expected


def test_cel_runtime_errors_count_as_false_and_name_the_expression() -> None:
    expressions = ["true", 'managedCluster.metadata.labels["missing"] == "x"']
    passed, rejected = run([selector(celSelector={"celExpressions": expressions})], cluster("a"))
    assert passed == []
    assert rejected["a"] == f"celExpressions[1] is not true: {expressions[1]}"


@pytest.mark.parametrize(
    ("predicate", "fragment"),
    [
        (
            selector(labelSelector={"matchExpressions": [{"key": "a", "operator": "Bad"}]}),
            "predicates[0].requiredClusterSelector.labelSelector",
        ),
        (
            selector(claimSelector={"matchExpressions": [{"key": "a", "operator": "In"}]}),
            "claimSelector",
        ),
        (
            selector(celSelector={"celExpressions": ["managedCluster.metadata.name =="]}),
            "compilation failed",
        ),
        (
            selector(celSelector={"celExpressions": ["noSuchFunction(managedCluster)"]}),
            "undeclared function 'noSuchFunction'",
        ),
    ],
)
def test_bad_selectors_are_misconfigured(predicate: dict[str, Any], fragment: str) -> None:
    with pytest.raises(Misconfigured) as caught:
        compile_predicates([predicate], lookup)
    assert caught.value.plugin == "Predicate"
    assert fragment in caught.value.message
