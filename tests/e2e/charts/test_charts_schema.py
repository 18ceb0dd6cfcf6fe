"""values.schema.json of both charts refuses bad values, and helm says what is wrong."""

from __future__ import annotations

import pytest

from tests.support.helm import template


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["replicas=-1"], "at '/replicas': minimum: got -1, want 1"),
        (["replicas=0"], "at '/replicas': minimum: got 0, want 1"),
        (["replicas=three"], "at '/replicas': got string, want integer"),
        (
            ["proxyServer.entrypointType=NodePort"],
            "at '/proxyServer/entrypointType': value must be one of '', 'Hostname', "
            "'LoadBalancerService', 'PortForward'",
        ),
        (["proxyServer.port=70000"], "at '/proxyServer/port'"),
        (["proxyServer.port=0"], "at '/proxyServer/port': minimum: got 0, want 1"),
        (["proxyServer.entrypointLoadBalancer=yes"], "at '/proxyServer/entrypointLoadBalancer'"),
        (
            ["proxyServer.entrypointAddress=https://proxy:8091"],
            "at '/proxyServer/entrypointAddress'",
        ),
        (["proxyServer.imagePullPolicy=Sometimes"], "at '/proxyServer/imagePullPolicy'"),
        (["enableServiceProxy=maybe"], "at '/enableServiceProxy': got string, want boolean"),
        (
            ["addonApiVersion=v2"],
            "at '/addonApiVersion': value must be one of 'v1beta1', 'v1alpha1'",
        ),
        (["spokeAddonNamespace=Not_A_Namespace"], "at '/spokeAddonNamespace'"),
        (["tag=has space"], "at '/tag'"),
        (["ingress.enabled=true"], "additional properties 'ingress' not allowed"),
        (["networkPolicies.enabled=1"], "at '/networkPolicies/enabled': got number, want boolean"),
        (["userServer.port=9999"], "additional properties 'port' not allowed"),
        (["exposedServices[0].namespace=default"], "missing property 'service'"),
        (
            [
                "exposedServices[0].namespace=default",
                "exposedServices[0].service=web",
                "exposedServices[0].protocol=ftp",
            ],
            "at '/exposedServices/0/protocol': value must be one of 'http', 'https'",
        ),
    ],
)
def test_cluster_proxy_schema_refuses(sets: list[str], message: str) -> None:
    result = template("cluster-proxy", sets=sets)
    assert result.returncode != 0, f"helm accepted {sets}"
    assert "values don't meet the specifications of the schema" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            [
                "proxyServer.entrypointType=LoadBalancerService",
                "proxyServer.entrypointAddress=proxy.example.com",
            ],
            "proxyServer.entrypointAddress is set but the entrypoint type is LoadBalancerService",
        ),
        (
            ["proxyServer.entrypointType=PortForward", "proxyServer.entrypointAddress=10.0.0.1"],
            "proxyServer.entrypointAddress is set but the entrypoint type is PortForward",
        ),
    ],
)
def test_cluster_proxy_refuses_contradicting_entrypoint_values(
    sets: list[str], message: str
) -> None:
    result = template("cluster-proxy", sets=sets)
    assert result.returncode != 0, f"helm accepted {sets}"
    assert message in result.stderr


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["replicas=-2"], "at '/replicas': minimum: got -2, want 1"),
        (["image.pullPolicy=Sometimes"], "at '/image/pullPolicy'"),
        (["image.repository="], "at '/image/repository'"),
        (["bootstrap.enabled=sure"], "at '/bootstrap/enabled': got string, want boolean"),
        (["kubeconfig=/tmp/x"], "additional properties 'kubeconfig' not allowed"),
    ],
)
def test_ocm_hub_schema_refuses(sets: list[str], message: str) -> None:
    result = template("ocm-hub", sets=sets)
    assert result.returncode != 0, f"helm accepted {sets}"
    assert message in result.stderr


def test_valid_overrides_pass_the_schema() -> None:
    result = template(
        "cluster-proxy",
        sets=[
            "replicas=2",
            "proxyServer.entrypointAddress=10.0.0.7",
            "exposedServices[0].namespace=default",
            "exposedServices[0].service=web",
            "exposedServices[0].port=8443",
            "exposedServices[0].protocol=https",
        ],
    )
    assert result.returncode == 0, result.stderr
