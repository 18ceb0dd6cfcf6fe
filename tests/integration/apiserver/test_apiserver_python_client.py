"""The ``kubernetes`` Python client against a real ``ocm apiserver`` process."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

from tests.support.apiserver_process import ApiServerProcess

NS = "default"
_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def core(apiserver: ApiServerProcess) -> Iterator[Any]:
    with apiserver.api_client() as api:
        yield client.CoreV1Api(api)


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"app": "demo"}}, "data": data}


def test_create_get_replace_delete(core: Any) -> None:
    name = unique("crud")
    created = core.create_namespaced_config_map(NS, configmap(name, a="1"))
    assert created.metadata.uid
    fetched = core.read_namespaced_config_map(name, NS)
    fetched.data = {"a": "2"}
    replaced = core.replace_namespaced_config_map(name, NS, fetched)
    assert replaced.data == {"a": "2"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    core.delete_namespaced_config_map(name, NS)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map(name, NS)
    assert missing.value.status == 404


def test_create_existing_is_409_already_exists(core: Any) -> None:
    name = unique("dup")
    core.create_namespaced_config_map(NS, configmap(name))
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(NS, configmap(name))
    assert exc.value.status == 409
    assert '"reason":"AlreadyExists"' in str(exc.value.body)


def test_replace_with_stale_resource_version_is_409_conflict(core: Any) -> None:
    name = unique("stale")
    stale = core.create_namespaced_config_map(NS, configmap(name, a="1"))
    core.patch_namespaced_config_map(name, NS, {"data": {"a": "2"}})
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map(name, NS, stale)
    assert exc.value.status == 409
    assert '"reason":"Conflict"' in str(exc.value.body)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param({"data": {"b": "2"}}, None, {"a": "1", "b": "2"}, id="strategic"),
        pytest.param({"data": {"a": None}}, "application/merge-patch+json", {}, id="merge"),
        pytest.param(
            [{"op": "replace", "path": "/data/a", "value": "9"}], None, {"a": "9"}, id="json"
        ),
        pytest.param(
            {"apiVersion": "v1", "kind": "ConfigMap", "data": {"c": "3"}},
            "application/apply-patch+yaml",
            {"a": "1", "c": "3"},
            id="apply",
        ),
    ],
)
def test_patch_types(
    core: Any, body: Any, content_type: str | None, expected: dict[str, str]
) -> None:
    name = unique("patch")
    core.create_namespaced_config_map(NS, configmap(name, a="1"))
    kwargs: dict[str, Any] = {"field_manager": "tests"}
    if content_type:
        kwargs["_content_type"] = content_type
    if isinstance(body, dict) and "kind" in body:
        body = {**body, "metadata": {"name": name}}
    patched = core.patch_namespaced_config_map(name, NS, body, **kwargs)
    assert (patched.data or {}) == expected


def test_server_side_apply_creates_then_drops_fields_it_no_longer_applies(
    core: Any,
) -> None:
    name = unique("ssa")
    first = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"a": "1", "b": "2"},
    }
    ssa = {"field_manager": "owner", "_content_type": "application/apply-patch+yaml"}
    core.patch_namespaced_config_map(name, NS, first, **ssa)
    second = {**first, "data": {"a": "1"}}
    applied = core.patch_namespaced_config_map(name, NS, second, **ssa)
    assert applied.data == {"a": "1"}


def test_list_pages_with_limit_and_continue(core: Any) -> None:
    core.create_namespace({"metadata": {"name": "paging"}})
    for n in range(5):
        core.create_namespaced_config_map("paging", configmap(f"cm{n}"))
    names: list[str] = []
    page = core.list_namespaced_config_map("paging", limit=2)
    names += [i.metadata.name for i in page.items]
    while page.metadata._continue:
        page = core.list_namespaced_config_map("paging", limit=2, _continue=page.metadata._continue)
        names += [i.metadata.name for i in page.items]
    assert names == [f"cm{n}" for n in range(5)]


def test_label_and_field_selectors(core: Any) -> None:
    name = unique("sel")
    core.create_namespaced_config_map(NS, {"metadata": {"name": name, "labels": {"tier": "x"}}})
    by_label = core.list_namespaced_config_map(NS, label_selector="tier in (x,y),!missing")
    assert [i.metadata.name for i in by_label.items] == [name]
    by_field = core.list_namespaced_config_map(NS, field_selector=f"metadata.name={name}")
    assert [i.metadata.name for i in by_field.items] == [name]
    with pytest.raises(ApiException) as bad:
        core.list_namespaced_config_map(NS, label_selector="a in (b")
    assert bad.value.status == 400


def test_watch_from_list_resource_version_sees_changes_in_order(core: Any) -> None:
    name = unique("watched")
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, configmap(name))
    core.patch_namespaced_config_map(name, NS, {"data": {"x": "y"}})
    core.delete_namespaced_config_map(name, NS)
    seen = []
    stream = watch.Watch().stream(  # type: ignore[no-untyped-call]  # untyped upstream
        core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2
    )
    for event in stream:
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 3:
            break
    assert seen == [("ADDED", name), ("MODIFIED", name), ("DELETED", name)]


def test_create_in_missing_namespace_is_404(core: Any) -> None:
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nope", configmap("x"))
    assert exc.value.status == 404
    assert 'namespaces \\"nope\\" not found' in str(exc.value.body) or "nope" in str(exc.value.body)


def test_invalid_name_is_422_and_store_unchanged(core: Any) -> None:
    before = core.list_namespaced_config_map(NS).metadata.resource_version
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(NS, configmap("Not_Valid"))
    assert exc.value.status == 422
    assert core.list_namespaced_config_map(NS).metadata.resource_version == before


def test_generate_name_and_dry_run(core: Any) -> None:
    created = core.create_namespaced_config_map(NS, {"metadata": {"generateName": "gen-"}})
    assert created.metadata.name.startswith("gen-")
    assert len(created.metadata.name) == len("gen-") + 5
    dry = core.create_namespaced_config_map(NS, configmap(unique("dry")), dry_run="All")
    with pytest.raises(ApiException):
        core.read_namespaced_config_map(dry.metadata.name, NS)


def test_dynamic_client_discovers_and_writes(apiserver: ApiServerProcess) -> None:
    with apiserver.api_client() as api:
        dyn: Any = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]  # untyped upstream
        configmaps = dyn.resources.get(api_version="v1", kind="ConfigMap")
        name = unique("dyn")
        configmaps.create(body=configmap(name, a="1"), namespace=NS)
        configmaps.patch(
            name=name,
            namespace=NS,
            body={"data": {"b": "2"}},
            content_type="application/merge-patch+json",
        )
        applied = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"c": "3"},
        }
        configmaps.server_side_apply(body=applied, namespace=NS, field_manager="pydyn")
        assert configmaps.get(name=name, namespace=NS).data.to_dict() == {
            "a": "1",
            "b": "2",
            "c": "3",
        }
        deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
        assert deployments.namespaced
