"""JSON merge patch, JSON patch, strategic merge patch and server-side apply."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.apiserver.patching import (
    ApplyConflictError,
    PatchError,
    decode_fields,
    encode_fields,
    json_merge_patch,
    json_patch,
    server_side_apply,
    strategic_merge_patch,
)

NOW = "2026-01-01T00:00:00Z"


def test_merge_patch_deletes_with_null_and_replaces_lists() -> None:
    target = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert json_merge_patch(target, {"a": {"b": None}, "l": [3]}) == {"a": {"c": 2}, "l": [3]}
    assert target == {"a": {"b": 1, "c": 2}, "l": [1, 2]}, "input must not change"


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        pytest.param(
            [{"op": "add", "path": "/l/-", "value": 3}], {"a": 1, "l": [1, 2, 3]}, id="add-end"
        ),
        pytest.param([{"op": "remove", "path": "/a"}], {"l": [1, 2]}, id="remove"),
        pytest.param(
            [{"op": "replace", "path": "/l/0", "value": 9}], {"a": 1, "l": [9, 2]}, id="replace"
        ),
        pytest.param(
            [{"op": "move", "from": "/a", "path": "/b"}], {"b": 1, "l": [1, 2]}, id="move"
        ),
        pytest.param(
            [{"op": "copy", "from": "/a", "path": "/b"}], {"a": 1, "b": 1, "l": [1, 2]}, id="copy"
        ),
        pytest.param([{"op": "test", "path": "/a", "value": 1}], {"a": 1, "l": [1, 2]}, id="test"),
    ],
)
def test_json_patch_operations(ops: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    assert json_patch({"a": 1, "l": [1, 2]}, ops) == expected


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param([{"op": "test", "path": "/a", "value": 2}], id="failed-test"),
        pytest.param([{"op": "remove", "path": "/missing"}], id="missing-path"),
        pytest.param([{"op": "jump", "path": "/a"}], id="unknown-op"),
        pytest.param({"op": "add"}, id="not-a-list"),
    ],
)
def test_json_patch_errors(ops: Any) -> None:
    with pytest.raises(PatchError):
        json_patch({"a": 1}, ops)


def deployment(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": list(containers)}}}}


def test_strategic_merge_merges_containers_by_name_and_env_by_name() -> None:
    live = deployment(
        {
            "name": "a",
            "image": "x:1",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        },
        {"name": "b", "image": "y:1"},
    )
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                    "containers": [
                        {"name": "a", "image": "x:2", "env": [{"name": "B", "value": "3"}]}
                    ],
                }
            }
        }
    }
    result = strategic_merge_patch(live, patch)
    containers = result["spec"]["template"]["spec"]["containers"]
    assert containers[0] == {
        "name": "a",
        "image": "x:2",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}],
    }
    assert containers[1] == {"name": "b", "image": "y:1"}


def test_strategic_merge_directives() -> None:
    live = deployment({"name": "a"}, {"name": "b"})
    delete_b = {"spec": {"template": {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}}}
    assert strategic_merge_patch(live, delete_b) == deployment({"name": "a"})
    replace = {"spec": {"$patch": "replace", "replicas": 1}}
    assert strategic_merge_patch(live, replace) == {"spec": {"replicas": 1}}
    retain = {"spec": {"$retainKeys": ["x"], "x": 1}}
    assert strategic_merge_patch({"spec": {"y": 2}}, retain) == {"spec": {"x": 1}}


def test_strategic_merge_primitive_merge_list_and_delete_from_it() -> None:
    live = {"metadata": {"finalizers": ["a", "b"]}}
    added = strategic_merge_patch(live, {"metadata": {"finalizers": ["c"]}})
    assert added["metadata"]["finalizers"] == ["a", "b", "c"]
    removed = strategic_merge_patch(
        live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}
    )
    assert removed["metadata"]["finalizers"] == ["b"]


def test_strategic_merge_service_ports_merge_on_port() -> None:
    live = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    result = strategic_merge_patch(live, {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}})
    assert result["spec"]["ports"][0] == {"port": 80, "name": "http", "targetPort": 8080}
    assert len(result["spec"]["ports"]) == 2


def test_fields_round_trip() -> None:
    paths = {("data", "a"), ("metadata", "labels", "x")}
    assert decode_fields(encode_fields(paths)) == paths


def test_apply_creates_merges_and_removes_fields_dropped_by_the_same_manager() -> None:
    first = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"a": "1", "b": "2"},
    }
    created = server_side_apply(None, first, "helm", NOW)
    assert created["data"] == {"a": "1", "b": "2"}
    created["data"]["other"] = "kept"  # written by someone else (not an applier)
    second = {**first, "data": {"a": "1"}}
    applied = server_side_apply(created, second, "helm", NOW)
    assert applied["data"] == {"a": "1", "other": "kept"}
    assert [m["manager"] for m in applied["metadata"]["managedFields"]] == ["helm"]


def test_apply_by_a_second_manager_keeps_the_first_managers_fields() -> None:
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    live = server_side_apply(None, {**base, "data": {"a": "1"}}, "kubectl", NOW)
    annotation = {**base, "metadata": {"name": "c", "annotations": {"x": "y"}}}
    after = server_side_apply(live, annotation, "kubectl-last-applied", NOW)
    assert after["data"] == {"a": "1"}
    assert after["metadata"]["annotations"] == {"x": "y"}


def test_apply_conflicts_with_another_applier_unless_forced() -> None:
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    live = server_side_apply(None, {**base, "data": {"a": "1"}}, "helm", NOW)
    same_value = server_side_apply(live, {**base, "data": {"a": "1"}}, "kubectl", NOW)
    assert same_value["data"] == {"a": "1"}, "agreeing on a value is no conflict"
    with pytest.raises(ApplyConflictError) as exc:
        server_side_apply(live, {**base, "data": {"a": "2"}}, "kubectl", NOW)
    assert exc.value.conflicts == [("helm", ".data.a")]
    forced = server_side_apply(live, {**base, "data": {"a": "2"}}, "kubectl", NOW, force=True)
    assert forced["data"] == {"a": "2"}
    owners = {
        m["manager"]: decode_fields(m["fieldsV1"]) for m in forced["metadata"]["managedFields"]
    }
    assert owners == {"helm": set(), "kubectl": {("data", "a")}}
