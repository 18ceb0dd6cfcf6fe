"""What ManagedProxyServiceResolvers expose to the user-server, per cluster (its cluster sets)."""

from __future__ import annotations

from typing import Any

from ocm_core.api import gvr
from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.kube import errors
from proxy_server.userserver.resolvers import ResolverWatcher, hub_loader
from tests.support.fake_kube import FakeKubeApi


def cluster(name: str, cluster_set: str | None = None) -> dict[str, Any]:
    labels = {CLUSTER_SET_LABEL: cluster_set} if cluster_set else {}
    return {"metadata": {"name": name, "labels": labels}}


def resolver(name: str, cluster_set: str, namespace: str, service: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "managedClusterSelector": {
                "type": "ManagedClusterSet",
                "managedClusterSet": {"name": cluster_set},
            },
            "serviceSelector": {
                "type": "ServiceRef",
                "serviceRef": {"namespace": namespace, "name": service},
            },
        },
    }


async def test_a_resolver_exposes_its_service_on_the_clusters_of_its_set_only() -> None:
    hub = FakeKubeApi()
    hub.seed(gvr.MANAGED_CLUSTERS, cluster("c1"))
    hub.seed(gvr.MANAGED_CLUSTERS, cluster("c2", "apps"))
    hub.seed(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, resolver("web", "apps", "demo", "web"))
    hub.seed(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, resolver("all", "global", "ops", "metrics"))
    watcher = ResolverWatcher(hub_loader(hub))
    await watcher.refresh()
    resolved = watcher.current
    assert resolved.exposes("c2", "demo", "web")
    assert not resolved.exposes("c1", "demo", "web")
    assert resolved.exposes("c1", "ops", "metrics")
    assert resolved.exposes("c2", "ops", "metrics")
    assert not resolved.exposes("c2", "demo", "internal")
    assert not resolved.exposes("c3", "ops", "metrics")  # not a managed cluster


async def test_hub_errors_keep_the_last_answer() -> None:
    hub = FakeKubeApi()
    hub.seed(gvr.MANAGED_CLUSTERS, cluster("c2", "apps"))
    hub.seed(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, resolver("web", "apps", "demo", "web"))
    watcher = ResolverWatcher(hub_loader(hub))
    await watcher.refresh()
    hub.fail_next("list", errors.KubeConnectionError("hub down"))
    await watcher.refresh()
    assert watcher.current.exposes("c2", "demo", "web")
