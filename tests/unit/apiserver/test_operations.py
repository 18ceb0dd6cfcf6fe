"""Operations over in-memory storage: CRD serving, conversion hooks, finalizers, apply, scale."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from ocm_core.apiserver import semantics
from ocm_core.apiserver.errors import ApiError
from ocm_core.apiserver.operations import DeleteOptions, Operations, PatchType, WriteOptions
from ocm_core.apiserver.registry import Registry, ResourceInfo
from ocm_core.apiserver.storage import MemoryStorage

ENV = semantics.Environment(
    now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    new_uid=lambda: "uid",
    random_suffix=lambda n: "z" * n,
)
CRD: dict[str, Any] = {
    "metadata": {"name": "things.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "things", "kind": "Thing"},
        "versions": [
            {"name": "v1alpha1", "served": True, "storage": False},
            {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}},
        ],
    },
}


async def operations() -> Operations:
    ops = Operations(Registry.with_builtins(), MemoryStorage(), ENV)
    await ops.start()
    return ops


def kind(ops: Operations, group: str, version: str, resource: str) -> ResourceInfo:
    found = ops.registry.lookup(group, version, resource)
    assert found is not None, f"{group}/{version}/{resource} is not served"
    return found


async def test_start_creates_the_standard_namespaces() -> None:
    ops = await operations()
    names = [
        n["metadata"]["name"]
        for n in (await ops.list(kind(ops, "", "v1", "namespaces"), None)).items
    ]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


async def test_crd_is_served_at_once_and_registered_converters_run() -> None:
    ops = await operations()
    await ops.create(
        kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions"), "", copy.deepcopy(CRD)
    )

    def rename(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
        converted = copy.deepcopy(obj)
        spec = converted.setdefault("spec", {})
        if api_version.endswith("v1alpha1"):
            spec["colour"] = spec.pop("color", None)
        else:
            spec["color"] = spec.pop("colour", None)
        converted["apiVersion"] = api_version
        return converted

    ops.registry.converters.register("example.com", "Thing", rename)
    old = kind(ops, "example.com", "v1alpha1", "things")
    created = await ops.create(
        old, "default", {"metadata": {"name": "t"}, "spec": {"colour": "red"}}
    )
    assert created["spec"] == {"colour": "red"}
    stored = await ops.storage.get(old.storage_key, "default", "t")
    assert (stored["apiVersion"], stored["spec"]) == ("example.com/v1", {"color": "red"})


async def test_deleting_a_crd_removes_its_objects_and_its_routes() -> None:
    ops = await operations()
    crds = kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions")
    await ops.create(crds, "", copy.deepcopy(CRD))
    await ops.create(
        kind(ops, "example.com", "v1", "things"), "default", {"metadata": {"name": "t"}}
    )
    await ops.delete(crds, "", "things.example.com")
    assert ops.registry.lookup("example.com", "v1", "things") is None
    assert (await ops.storage.list("example.com/things")).items == []


async def test_finalizers_hold_deletion_until_released() -> None:
    ops = await operations()
    cms = kind(ops, "", "v1", "configmaps")
    await ops.create(cms, "default", {"metadata": {"name": "f", "finalizers": ["x/y"]}})
    held = await ops.delete(cms, "default", "f")
    assert not held.removed
    assert held.object["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:00Z"
    await ops.patch(cms, "default", "f", PatchType.MERGE, {"metadata": {"finalizers": None}})
    with pytest.raises(ApiError) as gone:
        await ops.get(cms, "default", "f")
    assert gone.value.code == 404


async def test_apply_creates_then_updates() -> None:
    ops = await operations()
    cms = kind(ops, "", "v1", "configmaps")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "1"}}
    options = WriteOptions(field_manager="helm")
    first = await ops.patch(cms, "default", "a", PatchType.APPLY, body, options=options)
    second = await ops.patch(
        cms, "default", "a", PatchType.APPLY, {**body, "data": {"k": "2"}}, options=options
    )
    assert first.created
    assert not second.created
    assert second.object["data"] == {"k": "2"}


async def test_apply_without_field_manager_is_rejected() -> None:
    ops = await operations()
    with pytest.raises(ApiError) as exc:
        await ops.patch(kind(ops, "", "v1", "configmaps"), "default", "a", PatchType.APPLY, {})
    assert exc.value.code == 400


async def test_strategic_merge_on_custom_resources_is_415() -> None:
    ops = await operations()
    await ops.create(
        kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions"), "", copy.deepcopy(CRD)
    )
    with pytest.raises(ApiError) as exc:
        await ops.patch(
            kind(ops, "example.com", "v1", "things"), "default", "t", PatchType.STRATEGIC, {}
        )
    assert exc.value.code == 415


async def test_scale_subresource_sets_replicas_and_bumps_generation() -> None:
    ops = await operations()
    deployments = kind(ops, "apps", "v1", "deployments")
    await ops.create(
        deployments,
        "default",
        {
            "metadata": {"name": "d"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}},
        },
    )
    result = await ops.patch(
        deployments, "default", "d", PatchType.MERGE, {"spec": {"replicas": 3}}, subresource="scale"
    )
    assert result.object["spec"]["replicas"] == 3
    assert result.object["metadata"]["generation"] == 2


async def test_dry_run_changes_nothing() -> None:
    ops = await operations()
    cms = kind(ops, "", "v1", "configmaps")
    rv = ops.storage.current_resource_version()
    await ops.create(cms, "default", {"metadata": {"name": "dry"}}, WriteOptions(dry_run=True))
    assert ops.storage.current_resource_version() == rv
    await ops.create(cms, "default", {"metadata": {"name": "real"}})
    await ops.delete(cms, "default", "real", DeleteOptions(dry_run=True))
    assert (await ops.get(cms, "default", "real"))["metadata"]["name"] == "real"


async def test_crd_shadowing_a_built_in_is_invalid_and_not_stored() -> None:
    ops = await operations()
    crds = kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions")
    shadow = copy.deepcopy(CRD)
    shadow["metadata"]["name"] = "deployments.apps"
    shadow["spec"].update(group="apps", names={"plural": "deployments", "kind": "Deployment"})
    with pytest.raises(ApiError) as exc:
        await ops.create(crds, "", shadow)
    assert exc.value.code == 422
    assert (await ops.list(crds, None)).items == []


async def test_reapplying_a_crd_keeps_its_status_stable() -> None:
    ops = await operations()
    crds = kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions")
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        **copy.deepcopy(CRD),
    }
    options = WriteOptions(field_manager="kubectl")
    first = await ops.patch(crds, "", "things.example.com", PatchType.APPLY, body, options=options)
    again = await ops.patch(crds, "", "things.example.com", PatchType.APPLY, body, options=options)
    assert (
        again.object["metadata"]["resourceVersion"] == first.object["metadata"]["resourceVersion"]
    )


async def test_custom_resources_get_schema_defaults_on_create_and_update() -> None:
    ops = await operations()
    crd = copy.deepcopy(CRD)
    crd["spec"]["versions"][1]["schema"] = {
        "openAPIV3Schema": {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {"lease": {"type": "integer", "default": 60}},
                }
            },
        }
    }
    await ops.create(kind(ops, "apiextensions.k8s.io", "v1", "customresourcedefinitions"), "", crd)
    things = kind(ops, "example.com", "v1", "things")
    created = await ops.create(things, "default", {"metadata": {"name": "t"}, "spec": {}})
    assert created["spec"] == {"lease": 60}
    patched = await ops.patch(things, "default", "t", PatchType.MERGE, {"spec": {"lease": None}})
    assert patched.object["spec"] == {"lease": 60}


@pytest.mark.parametrize("started", [True, False])
async def test_creates_follow_the_namespace_lifecycle(started: bool) -> None:
    ops = Operations(Registry.with_builtins(), MemoryStorage(), ENV)
    if started:
        await ops.start()  # the namespace index answers; otherwise the Namespace row does
    namespaces = kind(ops, "", "v1", "namespaces")
    configmaps = kind(ops, "", "v1", "configmaps")
    with pytest.raises(ApiError, match='namespaces "team" not found'):
        await ops.create(configmaps, "team", {"metadata": {"name": "a"}})
    await ops.create(namespaces, "", {"metadata": {"name": "team", "finalizers": ["keep"]}})
    await ops.create(configmaps, "team", {"metadata": {"name": "a"}})
    await ops.delete(namespaces, "", "team", DeleteOptions())
    with pytest.raises(ApiError, match="because it is being terminated"):
        await ops.create(configmaps, "team", {"metadata": {"name": "b"}})
