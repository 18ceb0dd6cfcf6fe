"""Fixtures of the chart tests: the default renders, made once per session."""

from __future__ import annotations

import pytest

from tests.support.helm import Manifest, render

CLUSTER_PROXY_NAMESPACE = "open-cluster-management-addon"
OCM_HUB_NAMESPACE = "open-cluster-management-hub"


@pytest.fixture(scope="session")
def cluster_proxy_default() -> list[Manifest]:
    return render("cluster-proxy", release="cluster-proxy", namespace=CLUSTER_PROXY_NAMESPACE)


@pytest.fixture(scope="session")
def cluster_proxy_self_contained() -> list[Manifest]:
    """The chart with its own manager and proxy-server (no hub controller runs them)."""
    return render(
        "cluster-proxy",
        release="cluster-proxy",
        namespace=CLUSTER_PROXY_NAMESPACE,
        sets=["manager.enabled=true", "proxyServer.renderInChart=true"],
    )


@pytest.fixture(scope="session")
def ocm_hub_default() -> list[Manifest]:
    return render("ocm-hub", release="ocm-hub", namespace=OCM_HUB_NAMESPACE)
