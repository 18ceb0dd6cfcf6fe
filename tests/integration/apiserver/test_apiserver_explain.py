"""``kubectl explain`` against a real server: CRD schemas and built-in kinds via OpenAPI v3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.apiserver.test_apiserver_kubectl import kubectl

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
MANAGED_CLUSTERS_CRD = (
    Path(__file__).parents[3]
    / "charts/ocm-hub/crds/managedclusters.cluster.open-cluster-management.io.yaml"
)
pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")


def test_explain_managedclusters_spec_prints_the_field_docs(kube_env: dict[str, str]) -> None:
    kubectl(kube_env, "apply", "-f", str(MANAGED_CLUSTERS_CRD))
    kubectl(
        kube_env,
        "wait",
        "--for=condition=Established",
        "crd/managedclusters.cluster.open-cluster-management.io",
        "--timeout=20s",
    )
    out = kubectl(kube_env, "explain", "managedclusters.spec").stdout
    assert "GROUP:      cluster.open-cluster-management.io" in out
    assert "KIND:       ManagedCluster" in out
    assert "FIELD: spec <Object>" in out
    assert "The desired state of the managed cluster." in out
    assert "hubAcceptsClient\t<boolean>" in out
    assert "managedClusterClientConfigs\t<[]Object>" in out


def test_explain_a_built_in_kind(kube_env: dict[str, str]) -> None:
    out = kubectl(kube_env, "explain", "configmap.data").stdout
    assert "KIND:       ConfigMap" in out
    assert "FIELD: data <map[string]string>" in out
    assert "Data contains the configuration data" in out
