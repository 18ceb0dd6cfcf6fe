"""`helm lint --strict` of every chart, with default values and with the overrides users set."""

from __future__ import annotations

import pytest

from tests.support.helm import CHARTS_DIR, run_helm


@pytest.mark.parametrize(
    ("chart", "sets"),
    [
        ("cluster-proxy", []),
        ("cluster-proxy", ["proxyServer.entrypointLoadBalancer=true", "replicas=3"]),
        ("cluster-proxy", ["userServer.enabled=false", "addonApiVersion=v1alpha1"]),
        ("cluster-proxy", ["networkPolicies.enabled=true", "enableServiceProxy=true"]),
        ("ocm-hub", []),
        ("ocm-hub", ["bootstrap.enabled=true", "replicas=2"]),
    ],
)
def test_chart_lints_clean(chart: str, sets: list[str]) -> None:
    args = ["lint", "--strict", str(CHARTS_DIR / chart)]
    for value in sets:
        args += ["--set", value]
    result = run_helm(args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("chart", ["cluster-proxy", "ocm-hub"])
def test_chart_keeps_its_crds(chart: str) -> None:
    crds = sorted(path.name for path in (CHARTS_DIR / chart / "crds").glob("*.yaml"))
    assert crds, f"charts/{chart}/crds is empty"
    result = run_helm(["show", "crds", str(CHARTS_DIR / chart)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("kind: CustomResourceDefinition") == len(crds)
