"""Which Placements a change reaches, and which updates are ignored."""

from __future__ import annotations

from typing import Any

from ocm_core.placement.triggers import PlacementTriggers, cluster_changed, placement_changed
from ocm_core.runtime.cache import Cache
from tests.support.placement_builders import binding, cluster, decision, label_set, placement


def cache_of(*objects: dict[str, Any]) -> Cache:
    cache = Cache()
    for obj in objects:
        cache.upsert(obj)
    return cache


def triggers() -> PlacementTriggers:
    return PlacementTriggers(
        placements=cache_of(placement("p", "apps"), placement("q", "other")),
        sets=cache_of(label_set("default"), label_set("blue")),
        bindings=cache_of(binding("default", "apps"), binding("blue", "other")),
        clusters=cache_of(cluster("c1"), cluster("b1", clusterset="blue")),
    )


def test_a_cluster_reaches_the_placements_bound_to_its_sets() -> None:
    assert list(triggers().for_cluster(cluster("c1"))) == ["apps/p"]
    assert list(triggers().for_cluster(cluster("b1", clusterset="blue"))) == ["other/q"]
    assert list(triggers().for_cluster(cluster("x", clusterset=None))) == []


def test_sets_bindings_scores_and_decisions_reach_their_placements() -> None:
    found = triggers()
    assert list(found.for_set(label_set("blue"))) == ["other/q"]
    assert list(found.for_binding(binding("anything", "apps"))) == ["apps/p"]
    assert list(found.for_score({"metadata": {"name": "s", "namespace": "c1"}})) == ["apps/p"]
    assert list(found.for_score({"metadata": {"name": "s", "namespace": "gone"}})) == []
    assert list(found.for_decision(decision("p", ["c1"]))) == ["apps/p"]


def test_heartbeats_and_status_writes_are_not_changes() -> None:
    old = cluster("c1")
    heartbeat = {**old, "status": {**old["status"], "conditions": [{"type": "Available"}]}}
    heartbeat["metadata"] = {**old["metadata"], "resourceVersion": "9"}
    assert not cluster_changed(old, heartbeat)
    relabelled = {**old, "metadata": {**old["metadata"], "labels": {"env": "prod"}}}
    assert cluster_changed(old, relabelled)
    p = placement("p")
    assert not placement_changed(p, {**p, "status": {"numberOfSelectedClusters": 1}})
    assert placement_changed(p, {**p, "spec": {"numberOfClusters": 1}})
