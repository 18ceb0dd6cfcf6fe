"""What the lab's "node" adds to a plan: the in-cluster API name, shared env, host paths, and
the `--host-port` flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocm_core.localruntime.podspec import (
    PROJECT_IMAGES,
    SERVICE_ACCOUNT_MOUNT,
    Node,
    node_for,
    parse_host_port,
    plan,
)

KUBE_CONFIG = (
    "server: https://kubernetes.default.svc\nother: kubernetes.io/x\n"
    f"tokenFile: {SERVICE_ACCOUNT_MOUNT}/token\n"
)


def deployment(args: list[str]) -> dict[str, Any]:
    container = {
        "name": "main",
        "image": f"{PROJECT_IMAGES[0]}:v1",
        "command": ["ocm"],
        "args": args,
        "env": [{"name": "API", "value": "kubernetes.default.svc.cluster.local:443"}],
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "config", "mountPath": "/etc/config"},
        ],
    }
    volumes = [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "kc"}}]
    return {
        "metadata": {"name": "d", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [container], "volumes": volumes}}},
    }


def make_plan(
    args: list[str],
    node: Node,
    root: Path,
    account: Path | None = None,
    program: tuple[str, ...] = ("ocm",),
) -> Any:
    (process,) = plan(
        deployment(args),
        replica=0,
        programs={"ocm": program},
        volume_root=root,
        port_map={},
        secrets=lambda ns, name: None,
        config_maps=lambda ns, name: {"data": {"kubeconfig": KUBE_CONFIG}},
        node=node,
        service_account_dir=account,
    )
    return process


def test_the_in_cluster_api_name_becomes_the_runtimes_api_address(tmp_path: Path) -> None:
    node = node_for("https://127.0.0.1:6443")
    process = make_plan(["--kube-apiserver=kubernetes.default.svc:443"], node, tmp_path)
    assert process.argv[1:] == ("--kube-apiserver=127.0.0.1:6443",)
    assert process.env["API"] == "127.0.0.1:6443"
    assert "KUBECONFIG" not in process.env  # no service account: no credentials
    mounted = process.files[tmp_path / "config" / "kubeconfig"].decode()
    assert mounted.startswith("server: https://127.0.0.1:6443\nother: kubernetes.io/x\n")


def test_the_service_account_directory_is_local(tmp_path: Path) -> None:
    account = tmp_path / "sa"
    args = [f"--token={SERVICE_ACCOUNT_MOUNT}/token"]
    process = make_plan(args, Node(), tmp_path / "volumes", account)
    assert process.argv[1:] == (f"--token={account}/token",)
    assert process.env["KUBECONFIG"] == str(account / "kubeconfig")
    mounted = process.files[tmp_path / "volumes" / "config" / "kubeconfig"].decode()
    assert f"tokenFile: {account}/token" in mounted


def test_host_paths_are_not_taken_for_mount_paths(tmp_path: Path) -> None:
    node = Node(host_paths=("/tmp/lab",))
    process = make_plan(
        ["--hub-kubeconfig=/tmp/lab/hub.kubeconfig", "/tmp/scratch"], node, tmp_path
    )
    assert process.argv[1:] == (
        "--hub-kubeconfig=/tmp/lab/hub.kubeconfig",
        f"{tmp_path}/tmp/scratch",
    )


def test_the_program_is_a_host_path_even_below_a_mount_path(tmp_path: Path) -> None:
    # A checkout under /tmp runs its interpreter from /tmp, where the pod mounts an emptyDir.
    interpreter = ("/tmp/checkout/.venv/bin/python", "-c", "run()")
    process = make_plan(["/tmp/scratch"], Node(), tmp_path, program=interpreter)
    assert process.argv == (*interpreter, f"{tmp_path}/tmp/scratch")


def test_host_port_flags_parse_or_say_what_is_expected() -> None:
    assert parse_host_port("addon/cluster-proxy:8091=18091") == ("addon/cluster-proxy", 8091, 18091)
    with pytest.raises(ValueError, match="expected namespace/deployment:containerPort=hostPort"):
        parse_host_port("cluster-proxy:8091")
