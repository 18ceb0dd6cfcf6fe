"""helm install / upgrade / uninstall of both charts against the embedded API server.

This is the hub side of the "helm install add-on" journey: real helm v4 talking to a real
`ocm apiserver` process. The server stores the objects the charts render (nothing runs the
Deployments here), so the checks are on what the API holds after each helm step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver_process import ApiServerProcess, call
from tests.support.helm import CHARTS_DIR, HelmResult, run_helm

ADDON_NAMESPACE = "open-cluster-management-addon"
HUB_NAMESPACE = "open-cluster-management-hub"
CMA_PATH = "/apis/addon.open-cluster-management.io/{version}/clustermanagementaddons/cluster-proxy"
MPC_PATH = (
    "/apis/proxy.open-cluster-management.io/v1alpha1/managedproxyconfigurations/cluster-proxy"
)
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{ADDON_NAMESPACE}/deployments"


class Hub:
    """An embedded API server and a helm bound to it (helm's own state in a temp dir)."""

    def __init__(self, server: ApiServerProcess, helm_home: Path) -> None:
        self.server = server
        self.env = {
            "KUBECONFIG": str(server.kubeconfig),
            "HELM_CACHE_HOME": str(helm_home / "cache"),
            "HELM_CONFIG_HOME": str(helm_home / "config"),
            "HELM_DATA_HOME": str(helm_home / "data"),
        }

    def helm(self, *args: str) -> HelmResult:
        return run_helm(args, env=self.env)

    def get(self, path: str) -> tuple[int, Any]:
        return call(self.server, "GET", path)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    server = ApiServerProcess(tmp_path_factory.mktemp("hub"), "--storage", "memory")
    server.start()
    try:
        yield Hub(server, tmp_path_factory.mktemp("helm-home"))
    finally:
        server.stop()


def _install(hub: Hub, release: str, chart: str, namespace: str, *sets: str) -> None:
    args = ["upgrade", "--install", release, str(CHARTS_DIR / chart), "-n", namespace]
    args += ["--create-namespace", "--wait=false"]
    for value in sets:
        args += ["--set", value]
    result = hub.helm(*args)
    assert result.returncode == 0, result.stderr


def test_ocm_hub_installs_its_crds_and_controller(hub: Hub) -> None:
    _install(hub, "ocm-hub", "ocm-hub", HUB_NAMESPACE)
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    for name in (
        "managedclusters.cluster.open-cluster-management.io",
        "clustermanagementaddons.addon.open-cluster-management.io",
        "manifestworks.work.open-cluster-management.io",
        "placements.cluster.open-cluster-management.io",
    ):
        status, _ = hub.get(f"{crds}/{name}")
        assert status == 200, name
    status, deployment = hub.get(
        f"/apis/apps/v1/namespaces/{HUB_NAMESPACE}/deployments/ocm-hub-controller"
    )
    assert status == 200
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["ocm", "hub"]


def test_cluster_proxy_install_upgrade_uninstall(hub: Hub) -> None:
    _install(hub, "ocm-hub", "ocm-hub", HUB_NAMESPACE)
    _install(hub, "cluster-proxy", "cluster-proxy", ADDON_NAMESPACE)

    status, cma = hub.get(CMA_PATH.format(version="v1beta1"))
    assert status == 200
    assert cma["spec"]["installStrategy"]["type"] == "Placements"
    status, mpc = hub.get(MPC_PATH)
    assert status == 200
    assert mpc["spec"]["proxyServer"]["replicas"] == 1
    status, deployments = hub.get(DEPLOYMENTS)
    # Nothing runs the manager here, so only what the chart itself renders exists.
    assert sorted(d["metadata"]["name"] for d in deployments["items"]) == [
        "cluster-proxy-addon-manager",
        "cluster-proxy-addon-user",
    ]

    # Changing a value re-renders: the configuration and the Deployments follow.
    _install(
        hub,
        "cluster-proxy",
        "cluster-proxy",
        ADDON_NAMESPACE,
        "replicas=2",
        "proxyServer.entrypointAddress=127.0.0.1",
    )
    _, mpc = hub.get(MPC_PATH)
    assert mpc["spec"]["proxyServer"]["replicas"] == 2
    assert mpc["spec"]["proxyServer"]["entrypoint"]["hostname"] == {"value": "127.0.0.1"}
    _, user_server = hub.get(f"{DEPLOYMENTS}/cluster-proxy-addon-user")
    assert user_server["spec"]["replicas"] == 2

    result = hub.helm("uninstall", "cluster-proxy", "-n", ADDON_NAMESPACE)
    assert result.returncode == 0, result.stderr
    assert hub.get(CMA_PATH.format(version="v1beta1"))[0] == 404
    assert hub.get(MPC_PATH)[0] == 404
    _, deployments = hub.get(DEPLOYMENTS)
    assert deployments["items"] == []
    # helm never deletes what it installed from crds/.
    crd = "managedproxyconfigurations.proxy.open-cluster-management.io"
    assert hub.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}")[0] == 200


def test_bad_values_install_nothing(hub: Hub) -> None:
    result = hub.helm(
        "install", "bad", str(CHARTS_DIR / "cluster-proxy"), "-n", "bad-values",
        "--create-namespace", "--set", "proxyServer.entrypointType=NodePort",
    )  # fmt: skip
    assert result.returncode != 0
    assert "at '/proxyServer/entrypointType': value must be one of" in result.stderr
    status, _ = hub.get("/api/v1/namespaces/bad-values/configmaps/cluster-proxy-exposed-services")
    assert status == 404


def test_cluster_management_addon_reads_back_as_v1alpha1(hub: Hub) -> None:
    _install(hub, "ocm-hub", "ocm-hub", HUB_NAMESPACE)
    _install(hub, "cluster-proxy", "cluster-proxy", ADDON_NAMESPACE)
    status, cma = hub.get(CMA_PATH.format(version="v1alpha1"))
    assert status == 200
    assert cma["spec"]["supportedConfigs"][0]["defaultConfig"] == {"name": "cluster-proxy"}
