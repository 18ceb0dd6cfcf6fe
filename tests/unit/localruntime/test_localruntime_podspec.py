"""From a Deployment to local processes: programs, mounted files, ports, env (pure)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from ocm_core.addon.cluster_proxy import hub_render
from ocm_core.api import proxy
from ocm_core.localruntime.podspec import (
    PROJECT_IMAGES,
    PlanError,
    declared_ports,
    image_repository,
    is_ours,
    plan,
)

IMAGE = f"{PROJECT_IMAGES[0]}:v1"
PROGRAMS = {"proxy-agent": ["python", "-m", "proxy_agent"]}
SECRET = {"metadata": {"name": "certs"}, "data": {"tls.crt": base64.b64encode(b"CERT").decode()}}
CONFIG = {"metadata": {"name": "exposure"}, "data": {"exposure.yaml": "cluster: c1\n"}}


def deployment(**container: Any) -> dict[str, Any]:
    base = {
        "name": "agent",
        "image": IMAGE,
        "command": ["proxy-agent"],
        "args": [
            "--agent-cert=/etc/certs/tls.crt",
            "--exposure-file",
            "/etc/exposure/exposure.yaml",
            "--health-server-port=8093",
        ],
        "ports": [{"name": "health", "containerPort": 8093}],
        "volumeMounts": [
            {"name": "certs", "mountPath": "/etc/certs"},
            {"name": "exposure", "mountPath": "/etc/exposure"},
        ],
        "env": [
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "CERT", "valueFrom": {"secretKeyRef": {"name": "certs", "key": "tls.crt"}}},
        ],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "health"}},
    } | container
    return {
        "metadata": {"name": "proxy-agent", "namespace": "addon"},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [base],
                    "volumes": [
                        {"name": "certs", "secret": {"secretName": "certs"}},
                        {"name": "exposure", "configMap": {"name": "exposure"}},
                    ],
                }
            },
        },
    }


def make_plan(dep: dict[str, Any], root: Path, *, secrets: bool = True) -> Any:
    return plan(
        dep,
        replica=0,
        programs=PROGRAMS,
        volume_root=root,
        port_map={8093: 40001},
        secrets=lambda ns, name: SECRET if secrets and name == "certs" else None,
        config_maps=lambda ns, name: CONFIG if name == "exposure" else None,
    )


def test_project_containers_become_processes_with_local_paths_and_ports(tmp_path: Path) -> None:
    (process,) = make_plan(deployment(), tmp_path)
    assert process.argv == (
        "python",
        "-m",
        "proxy_agent",
        f"--agent-cert={tmp_path}/certs/tls.crt",
        "--exposure-file",
        f"{tmp_path}/exposure/exposure.yaml",
        "--health-server-port=40001",
    )
    assert process.files == {
        tmp_path / "certs" / "tls.crt": b"CERT",
        tmp_path / "exposure" / "exposure.yaml": b"cluster: c1\n",
    }
    assert process.env == {"NS": "addon", "CERT": "CERT"}
    assert process.readiness is not None
    assert (process.readiness.port, process.readiness.path) == (40001, "/healthz")


def test_fingerprint_changes_with_args_not_with_file_contents(tmp_path: Path) -> None:
    (first,) = make_plan(deployment(), tmp_path)
    (same,) = make_plan(deployment(), tmp_path)
    (other,) = make_plan(deployment(args=["--insecure"]), tmp_path)
    assert first.fingerprint() == same.fingerprint() != other.fingerprint()


def test_missing_secret_and_foreign_programs_are_explained(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="Secret 'certs' is not there yet"):
        make_plan(deployment(), tmp_path, secrets=False)
    with pytest.raises(PlanError, match="'nginx', which is not one of this project's programs"):
        make_plan(deployment(command=["nginx"]), tmp_path)


def test_only_this_projects_images_run() -> None:
    assert is_ours(deployment())
    assert not is_ours(deployment(image="nginx:1.27"))
    assert image_repository("registry:5000/a/b:v1") == "registry:5000/a/b"
    assert image_repository("a/b@sha256:abc") == "a/b"


def test_host_network_pods_keep_their_ports() -> None:
    dep = deployment()
    assert declared_ports(dep) == [8093]
    dep["spec"]["template"]["spec"]["hostNetwork"] = True
    assert declared_ports(dep) == []


def test_the_managers_proxy_server_gets_a_host_port_for_its_agent_lane(tmp_path: Path) -> None:
    """In the lab every declared port, the lane's 8096 too, gets a host port and the flag naming
    it is rewritten: the server then advertises the port it really binds, and agents find it."""
    configuration = {
        "metadata": {"name": proxy.CONFIGURATION_NAME},
        "spec": {"proxyServer": {"image": IMAGE, "replicas": 1}},
    }
    (server,) = [o for o in hub_render.render(configuration) if o["kind"] == "Deployment"]
    wanted = declared_ports(server)
    assert proxy.AGENT_LANE_PORT in wanted
    port_map = {port: 40000 + index for index, port in enumerate(wanted)}
    (process,) = plan(
        server,
        replica=0,
        programs={"proxy-server": ["python", "-m", "proxy_server"]},
        volume_root=tmp_path,
        port_map=port_map,
        secrets=lambda ns, name: SECRET,
        config_maps=lambda ns, name: None,
    )
    assert f"--agent-lane-port={port_map[proxy.AGENT_LANE_PORT]}" in process.argv
    assert f"--agent-port={port_map[proxy.AGENT_SERVER_PORT]}" in process.argv
