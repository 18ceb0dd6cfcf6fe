"""Resource values build the URL paths the API server serves."""

from __future__ import annotations

import pytest

from ocm_core.api import gvr


def test_core_namespaced_paths() -> None:
    assert gvr.CONFIGMAPS.path() == "/api/v1/configmaps"
    assert gvr.CONFIGMAPS.path(namespace="ns") == "/api/v1/namespaces/ns/configmaps"
    assert gvr.CONFIGMAPS.path(namespace="ns", name="a") == "/api/v1/namespaces/ns/configmaps/a"
    assert gvr.CONFIGMAPS.api_version == "v1"


def test_grouped_cluster_scoped_ignores_namespace() -> None:
    path = gvr.MANAGED_CLUSTERS.path(namespace="ignored", name="c1", subresource="status")
    assert path == "/apis/cluster.open-cluster-management.io/v1/managedclusters/c1/status"
    assert gvr.MANAGED_CLUSTERS.api_version == "cluster.open-cluster-management.io/v1"


def test_subresource_without_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs an object name"):
        gvr.LEASES.path(namespace="ns", subresource="status")


def test_namespaced_object_without_namespace_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs a namespace"):
        gvr.SECRETS.path(name="hub-kubeconfig-secret")
