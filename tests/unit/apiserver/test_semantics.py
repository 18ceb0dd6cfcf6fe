"""Create/update/delete rules applied to objects (pure, with a fixed environment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ocm_core.apiserver import semantics
from ocm_core.apiserver.errors import ApiError
from ocm_core.apiserver.registry import Registry, ResourceInfo

ENV = semantics.Environment(
    now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    new_uid=lambda: "uid-1",
    random_suffix=lambda n: "x" * n,
)
REGISTRY = Registry.with_builtins()
PLUS_TWO = timezone(timedelta(hours=2))


def info(group: str, resource: str) -> ResourceInfo:
    found = REGISTRY.lookup(group, "v1", resource)
    assert found is not None
    return found


def test_create_fills_metadata() -> None:
    obj = semantics.prepare_create(
        {"metadata": {"generateName": "web-"}}, info("apps", "deployments"), "ns", ENV
    )
    assert obj["apiVersion"] == "apps/v1"
    assert obj["kind"] == "Deployment"
    meta = obj["metadata"]
    assert (meta["name"], meta["namespace"], meta["uid"]) == ("web-xxxxx", "ns", "uid-1")
    assert (meta["creationTimestamp"], meta["generation"]) == ("2026-01-02T03:04:05Z", 1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"metadata": {"name": "Bad_Name"}}, 422, id="invalid-name"),
        pytest.param({"metadata": {}}, 422, id="no-name"),
        pytest.param(
            {"metadata": {"name": "a", "namespace": "other"}}, 400, id="namespace-mismatch"
        ),
        pytest.param({"kind": "Secret", "metadata": {"name": "a"}}, 400, id="wrong-kind"),
    ],
)
def test_create_rejects_bad_objects(body: dict[str, Any], status: int) -> None:
    with pytest.raises(ApiError) as exc:
        semantics.prepare_create(body, info("", "configmaps"), "ns", ENV)
    assert exc.value.code == status


def test_namespace_defaults() -> None:
    ns = semantics.prepare_create({"metadata": {"name": "team"}}, info("", "namespaces"), "", ENV)
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}


def stored_deployment() -> dict[str, Any]:
    body = {"metadata": {"name": "web"}, "spec": {"replicas": 1}, "status": {"ready": 1}}
    created = semantics.prepare_create(body, info("apps", "deployments"), "ns", ENV)
    created["status"] = {"ready": 1}
    return created


def test_update_bumps_generation_only_on_spec_change_and_keeps_status() -> None:
    old = stored_deployment()
    relabelled = {**old, "metadata": {**old["metadata"], "labels": {"a": "b"}}, "status": {}}
    same_spec = semantics.prepare_update(old, relabelled, info("apps", "deployments"))
    assert same_spec["metadata"]["generation"] == 1
    assert same_spec["status"] == {"ready": 1}
    scaled = semantics.prepare_update(
        old, {**old, "spec": {"replicas": 2}}, info("apps", "deployments")
    )
    assert scaled["metadata"]["generation"] == 2


def test_status_update_changes_only_status() -> None:
    old = stored_deployment()
    new = {**old, "spec": {"replicas": 5}, "status": {"ready": 3}}
    updated = semantics.prepare_update(old, new, info("apps", "deployments"), "status")
    assert updated["spec"] == {"replicas": 1}
    assert updated["status"] == {"ready": 3}


def test_update_keeps_immutable_metadata() -> None:
    old = stored_deployment()
    new = {**old, "metadata": {**old["metadata"], "uid": "forged", "creationTimestamp": "x"}}
    updated = semantics.prepare_update(old, new, info("apps", "deployments"))
    assert updated["metadata"]["uid"] == "uid-1"


def test_deletion_with_finalizers() -> None:
    obj = semantics.add_finalizer(stored_deployment(), "example.com/hold")
    marked = semantics.mark_deleting(obj, ENV.now())
    assert semantics.is_deleting(marked)
    assert semantics.has_finalizers(marked)
    released = {**marked, "metadata": {**marked["metadata"], "finalizers": []}}
    assert not semantics.has_finalizers(released)


def test_secret_string_data_is_folded_into_data() -> None:
    body = {"metadata": {"name": "s"}, "stringData": {"k": "v"}}
    secret = semantics.prepare_create(body, info("", "secrets"), "ns", ENV)
    assert secret["data"] == {"k": "dg=="}
    assert "stringData" not in secret
    assert secret["type"] == "Opaque"


@pytest.mark.parametrize(
    ("resource", "group", "name", "valid"),
    [
        ("configmaps", "", "a.b-c", True),
        ("configmaps", "", "-a", False),
        ("namespaces", "", "a.b", False),
        ("clusterroles", "rbac.authorization.k8s.io", "system:admin", True),
        ("clusterroles", "rbac.authorization.k8s.io", "a/b", False),
        ("services", "", "1abc", False),
    ],
)
def test_name_rules(resource: str, group: str, name: str, valid: bool) -> None:
    kind = info(group, resource)
    assert (semantics.name_problem(name, kind.name_rule) is None) is valid


@pytest.mark.parametrize(
    "meta",
    [
        pytest.param({"labels": {"bad key!": "x"}}, id="label-key"),
        pytest.param({"labels": {"app": "-starts-with-dash"}}, id="label-value"),
        pytest.param({"labels": {"app": "x" * 64}}, id="label-value-too-long"),
        pytest.param({"annotations": {"a": "x" * (256 * 1024 + 1)}}, id="annotations-too-large"),
        pytest.param({"annotations": {"a": 1}}, id="annotation-not-a-string"),
    ],
)
def test_invalid_labels_and_annotations_are_422(meta: dict[str, Any]) -> None:
    body = {"metadata": {"name": "c", **meta}}
    with pytest.raises(ApiError) as exc:
        semantics.prepare_create(body, info("", "configmaps"), "ns", ENV)
    assert exc.value.code == 422
    assert exc.value.details["causes"]


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC), "2026-01-02T03:04:05Z"),
        (datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC), "2026-01-02T03:04:06Z"),
        (datetime(2026, 1, 2, 5, 4, 5, tzinfo=PLUS_TWO), "2026-01-02T03:04:05Z"),
        (datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), "1969-12-31T23:59:59Z"),
    ],
)
def test_format_time_is_utc_to_the_second(moment: datetime, text: str) -> None:
    assert semantics.format_time(moment) == text
