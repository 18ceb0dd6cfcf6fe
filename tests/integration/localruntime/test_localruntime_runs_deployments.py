"""The local runtime runs this project's Deployments from a real API server as processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.localruntime import PROJECT_IMAGES
from tests.support import wait
from tests.support.apiserver_process import ApiServerProcess


@pytest.fixture
def apiserver(tmp_path: Path) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path / "spoke")
    (tmp_path / "spoke").mkdir()
    server.start()
    yield server
    server.stop()


def agent_deployment(replicas: int = 1) -> dict[str, Any]:
    container = {
        "name": "agent",
        "image": f"{PROJECT_IMAGES[0]}:latest",
        "command": ["proxy-agent"],
        "args": [
            "--insecure",
            "--proxy-server-port=1",
            "--exposure-file",
            "/etc/exposure/exposure.yaml",
            "--health-bind-address=127.0.0.1",
            "--health-server-port=8093",
        ],
        "ports": [{"name": "health", "containerPort": 8093}],
        "volumeMounts": [{"name": "exposure", "mountPath": "/etc/exposure"}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "health"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "proxy-agent", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [container],
                    "volumes": [{"name": "exposure", "configMap": {"name": "exposure"}}],
                },
            },
        },
    }


async def test_project_deployment_runs_is_ready_scales_and_stops(
    apiserver: ApiServerProcess, tmp_path: Path
) -> None:
    async with ApiClient(KubeConfig.load(apiserver.kubeconfig)) as api:
        await api.create(
            gvr.CONFIGMAPS,
            {
                "metadata": {"name": "exposure"},
                "data": {"exposure.yaml": "cluster: c1\nservices: []\n"},
            },
            namespace="default",
        )
        await api.create(gvr.DEPLOYMENTS, agent_deployment(), namespace="default")
        runtime = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ocm_core.cli",
            "localruntime",
            "--kubeconfig",
            str(apiserver.kubeconfig),
            "--data-dir",
            str(tmp_path / "run"),
        )
        try:

            async def ready(count: int) -> bool:
                deployment = await api.get(gvr.DEPLOYMENTS, "proxy-agent", namespace="default")
                return bool((deployment.get("status") or {}).get("readyReplicas") == count)

            await wait.eventually(lambda: ready(1), timeout=30, what="one replica ready")
            assert len(_agent_processes(tmp_path)) == 1
            log = tmp_path / "run" / "default" / "proxy-agent" / "agent-0.log"
            assert "proxy-agent" in log.read_text()
            await api.patch(
                gvr.DEPLOYMENTS, "proxy-agent", {"spec": {"replicas": 2}}, namespace="default"
            )
            await wait.eventually(lambda: ready(2), timeout=30, what="two replicas ready")
            await api.delete(gvr.DEPLOYMENTS, "proxy-agent", namespace="default")
            await wait.eventually(
                lambda: _agent_processes(tmp_path) == [], timeout=30, what="processes stopped"
            )
        finally:
            runtime.terminate()
            await runtime.wait()


def _agent_processes(tmp_path: Path) -> list[str]:
    """Command lines of the agents this test's runtime started (they name its data dir)."""
    done = subprocess.run(
        ["pgrep", "-af", str(tmp_path / "run")], capture_output=True, text=True, check=False
    )
    return [line for line in done.stdout.splitlines() if "proxy_agent" in line]
