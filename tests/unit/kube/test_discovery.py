"""Discovery finds resources by apiVersion + kind, caching per group version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ocm_core.kube import Discovery
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import Object

DOCUMENTS: dict[str, Object] = {
    "/api": {"versions": ["v1"]},
    "/apis": {
        "groups": [
            {"name": "apps", "preferredVersion": {"version": "v1"}, "versions": []},
            {"name": "work.open-cluster-management.io", "versions": [{"version": "v1"}]},
        ]
    },
    "/api/v1": {
        "resources": [
            {"name": "configmaps", "namespaced": True, "kind": "ConfigMap"},
            {"name": "pods/status", "namespaced": True, "kind": "Pod"},
            {"name": "namespaces", "namespaced": False, "kind": "Namespace"},
        ]
    },
    "/apis/apps/v1": {
        "resources": [{"name": "deployments", "namespaced": True, "kind": "Deployment"}]
    },
    "/apis/work.open-cluster-management.io/v1": {
        "resources": [{"name": "manifestworks", "namespaced": True, "kind": "ManifestWork"}]
    },
}


class RecordingApi:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.documents = dict(DOCUMENTS)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Object | list[Any] | None = None,
        content_type: str = "application/json",
        request_timeout: float | None = None,
    ) -> Object:
        self.paths.append(path)
        if path not in self.documents:
            raise NotFoundError(404, "NotFound", "nope")
        return self.documents[path]


async def test_resource_for_is_cached() -> None:
    api = RecordingApi()
    discovery = Discovery(api)
    deployment = await discovery.resource_for("apps/v1", "Deployment")
    assert (deployment.group, deployment.plural, deployment.namespaced) == (
        "apps",
        "deployments",
        True,
    )
    await discovery.resource_for("apps/v1", "Deployment")
    assert api.paths == ["/apis/apps/v1"]


async def test_core_kinds_skip_subresources() -> None:
    discovery = Discovery(RecordingApi())
    namespace = await discovery.resource_for("v1", "Namespace")
    assert namespace.path(name="x") == "/api/v1/namespaces/x"
    with pytest.raises(NotFoundError):
        await discovery.resource_for("v1", "Pod")


async def test_new_crd_is_found_after_a_miss() -> None:
    api = RecordingApi()
    discovery = Discovery(api)
    with pytest.raises(NotFoundError, match="CustomResourceDefinition installed"):
        await discovery.resource_for("example.com/v1", "Widget")
    api.documents["/apis/example.com/v1"] = {
        "resources": [{"name": "widgets", "namespaced": False, "kind": "Widget"}]
    }
    widget = await discovery.resource_for("example.com/v1", "Widget")
    assert widget.path(name="w") == "/apis/example.com/v1/widgets/w"


async def test_kind_lookup_walks_preferred_versions() -> None:
    discovery = Discovery(RecordingApi())
    work = await discovery.resource_for_kind("ManifestWork")
    assert work.api_version == "work.open-cluster-management.io/v1"
    with pytest.raises(NotFoundError):
        await discovery.resource_for_kind("Deployment", group="work.open-cluster-management.io")
