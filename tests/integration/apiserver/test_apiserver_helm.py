"""helm v4 against a real ``ocm apiserver`` (`make test` fetches helm first: `make tools`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.helm import helm_binary

HELM = str(helm_binary())

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata: {name: "{{ .Release.Name }}-cm"}
data: {msg: "{{ .Values.msg }}"}
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: "{{ .Release.Name }}-web"}
spec:
  replicas: 1
  selector: {matchLabels: {app: "{{ .Release.Name }}-web"}}
  template:
    metadata: {labels: {app: "{{ .Release.Name }}-web"}}
    spec: {containers: [{name: c, image: nginx}]}
"""


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: mini\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("msg: hello\n")
    (root / "templates" / "cm.yaml").write_text(CONFIGMAP)
    (root / "templates" / "deploy.yaml").write_text(DEPLOYMENT)
    return root


def helm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [HELM, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"helm {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def configmap_data(env: dict[str, str], name: str, namespace: str) -> dict[str, str]:
    out = subprocess.run(
        ["kubectl", "-n", namespace, "get", "cm", name, "-o", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    data: dict[str, str] = json.loads(out.stdout)["data"]
    return data


def test_install_upgrade_rollback_uninstall(kube_env: dict[str, str], chart: Path) -> None:
    ns = ["-n", "helm-test", "--create-namespace"]
    helm(kube_env, "install", "rel", str(chart), *ns)
    assert "deployed" in helm(kube_env, "list", "-n", "helm-test")
    helm(kube_env, "upgrade", "rel", str(chart), "--set", "msg=bye", "-n", "helm-test")
    assert configmap_data(kube_env, "rel-cm", "helm-test") == {"msg": "bye"}
    helm(kube_env, "rollback", "rel", "1", "-n", "helm-test")
    assert configmap_data(kube_env, "rel-cm", "helm-test") == {"msg": "hello"}
    helm(kube_env, "uninstall", "rel", "-n", "helm-test")
    assert "rel" not in helm(kube_env, "list", "-n", "helm-test")


def test_install_wait_uses_watch_list(kube_env: dict[str, str], chart: Path) -> None:
    (chart / "templates" / "deploy.yaml").unlink()  # nothing here makes Deployments ready
    helm(kube_env, "install", "waited", str(chart), "--wait", "--timeout", "30s", "-n", "default")
    helm(kube_env, "uninstall", "waited", "--wait", "-n", "default")
