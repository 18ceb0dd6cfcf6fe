"""Cache indexes and relist diffs."""

from __future__ import annotations

from typing import Any

from ocm_core.runtime.cache import LABEL_INDEX, NAMESPACE_INDEX, Cache


def obj(name: str, namespace: str | None = None, rv: str = "1", **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "resourceVersion": rv, "labels": labels}
    if namespace:
        metadata["namespace"] = namespace
    return {"metadata": metadata}


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objects]


def test_namespace_and_label_indexes_follow_updates() -> None:
    cache = Cache()
    cache.upsert(obj("a", "ns1", app="web"))
    cache.upsert(obj("b", "ns1", app="db"))
    cache.upsert(obj("c", "ns2", app="web"))
    assert names(cache.by_index(NAMESPACE_INDEX, "ns1")) == ["a", "b"]
    assert names(cache.by_index(LABEL_INDEX, "app=web")) == ["a", "c"]
    assert names(cache.list(namespace="ns1", labels={"app": "web"})) == ["a"]

    cache.upsert(obj("a", "ns1", rv="2", app="db"))
    assert names(cache.by_index(LABEL_INDEX, "app=web")) == ["c"]
    assert names(cache.list(labels={"app": "db"})) == ["a", "b"]

    cache.remove("ns1/a")
    assert names(cache.list(namespace="ns1")) == ["b"]
    assert cache.get("ns1/a") is None
    assert cache.get_named("b", "ns1") is not None


def test_custom_index_is_built_over_existing_objects() -> None:
    cache = Cache()
    cache.upsert(obj("w1", "c1", target="x"))
    cache.upsert(obj("w2", "c2", target="x"))
    cache.add_index("target", lambda o: [o["metadata"]["labels"]["target"]])
    assert names(cache.by_index("target", "x")) == ["w1", "w2"]
    cache.upsert(obj("w3", "c3", target="y"))
    assert names(cache.by_index("target", "y")) == ["w3"]
    assert cache.by_index("target", "none") == []


def test_replace_reports_added_updated_deleted() -> None:
    cache = Cache()
    cache.upsert(obj("keep"))
    cache.upsert(obj("change"))
    cache.upsert(obj("gone"))
    changes = cache.replace([obj("keep"), obj("change", rv="2"), obj("new")])
    assert names(changes.added) == ["new"]
    assert [
        (o["metadata"]["name"], n["metadata"]["resourceVersion"]) for o, n in changes.updated
    ] == [("change", "2")]
    assert names(changes.deleted) == ["gone"]
    assert sorted(cache.keys()) == ["change", "keep", "new"]
