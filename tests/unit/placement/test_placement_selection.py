"""Cluster-set selection: bindings, clusterSets narrowing, set membership."""

from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.placement.model import Cluster, Stage
from ocm_core.placement.selection import (
    default_cluster_set,
    global_cluster_set,
    select_candidates,
    set_members,
)
from tests.support.placement_builders import NAMESPACE, binding, cluster, label_set


def views(*objs: dict[str, object]) -> list[Cluster]:
    return [Cluster.from_dict(o) for o in objs]


def names(clusters: object) -> list[str]:
    return [c.name for c in clusters]  # type: ignore[attr-defined]


def test_exclusive_label_set_takes_labelled_clusters() -> None:
    clusters = views(cluster("a", clusterset="dev"), cluster("b", clusterset="prod"))
    assert names(set_members(label_set("dev"), clusters)) == ["a"]


def test_label_selector_set_takes_matching_clusters() -> None:
    clusters = views(cluster("a", {"env": "dev"}), cluster("b", {"env": "prod"}))
    cluster_set = label_set("by-env", {"matchLabels": {"env": "prod"}})
    assert names(set_members(cluster_set, clusters)) == ["b"]


def test_global_set_takes_every_cluster_and_default_uses_the_label() -> None:
    clusters = views(cluster("a", clusterset=None), cluster("b", clusterset="default"))
    assert names(set_members(global_cluster_set(), clusters)) == ["a", "b"]
    assert names(set_members(default_cluster_set(), clusters)) == ["b"]
    assert default_cluster_set()["metadata"]["name"] == "default"
    assert global_cluster_set()["spec"]["clusterSelector"] == {
        "selectorType": "LabelSelector",
        "labelSelector": {},
    }


def test_invalid_set_selector_selects_nothing() -> None:
    cluster_set = label_set("bad", {"matchExpressions": [{"key": "x", "operator": "Bogus"}]})
    assert set_members(cluster_set, views(cluster("a"))) == []


def test_only_bindings_in_the_placement_namespace_to_existing_sets_count() -> None:
    clusters = views(cluster("a", clusterset="dev"), cluster("b", clusterset="prod"))
    selection = select_candidates(
        NAMESPACE,
        [],
        clusters,
        [label_set("dev"), label_set("prod")],
        [binding("dev"), binding("prod", namespace="other"), binding("missing")],
    )
    assert selection.bound_sets == ("dev",)
    assert names(selection.candidates) == ["a"]
    assert [(r.cluster, r.stage) for r in selection.rejections] == [("b", Stage.CLUSTER_SET)]


def test_cluster_sets_field_narrows_the_bound_sets() -> None:
    clusters = views(cluster("a", clusterset="dev"), cluster("b", clusterset="prod"))
    selection = select_candidates(
        NAMESPACE,
        ["prod", "unbound"],
        clusters,
        [label_set("dev"), label_set("prod")],
        [binding("dev"), binding("prod")],
    )
    assert selection.eligible_sets == ("prod",)
    assert names(selection.candidates) == ["b"]


def test_cluster_in_two_sets_is_one_candidate_and_deleting_clusters_are_left_out() -> None:
    clusters = views(
        cluster("a", {"env": "x"}, clusterset="dev"),
        cluster("b", clusterset="dev", deleting=True),
    )
    selection = select_candidates(
        NAMESPACE,
        [],
        clusters,
        [label_set("dev"), label_set("x", {"matchLabels": {"env": "x"}})],
        [binding("dev"), binding("x")],
    )
    assert names(selection.candidates) == ["a"]
    assert [(r.cluster, r.stage) for r in selection.rejections] == [("b", Stage.DELETING)]
    assert CLUSTER_SET_LABEL in selection.candidates[0].labels
