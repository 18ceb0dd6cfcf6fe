"""The charts start every program without --kubeconfig; this pins why that means in-cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import ConfigError


def test_no_kubeconfig_in_a_pod_selects_the_service_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    # Outside a real pod the service-account files are missing: the error proves which path ran.
    with pytest.raises(ConfigError, match="service account token"):
        KubeConfig.load(None)


def test_an_empty_kubeconfig_flag_would_not_mean_in_cluster(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Why the charts leave the flag out rather than passing --kubeconfig= (an empty path).
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="cannot read kubeconfig"):
        KubeConfig.load("")
