"""kubectl >= 1.32's typed clients send protobuf bodies for every built-in kind: the objects a
real ``ocm apiserver`` stores (and answers to ``--dry-run=server``) equal what ``kubectl create
--dry-run=client -o json`` prints."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

KUBECTL_133 = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
KUBECTL_DEFAULT = Path(shutil.which("kubectl") or "/usr/bin/kubectl")
#: Set by the server on create; everything else must survive the protobuf round trip.
SERVER_SET_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")


def _creates(suffix: str) -> list[tuple[str, str, list[str]]]:
    """(resource to read back, name, ``kubectl create`` arguments); names unique per binary."""
    cr, crb = f"pbcr-{suffix}", f"pbcrb-{suffix}"
    return [
        ("deployment", "d1", ["deployment", "d1", "--image=nginx", "--replicas=0", "--port=8080"]),
        ("service", "svc1", ["service", "clusterip", "svc1", "--tcp=80:8080", "--tcp=443:https"]),
        ("service", "svc2", ["service", "nodeport", "svc2", "--tcp=80:8080"]),
        ("role", "r1", ["role", "r1", "--verb=get", "--resource=pods"]),
        ("rolebinding", "rb1", ["rolebinding", "rb1", "--role=r1", "--user=bob"]),
        ("clusterrole", cr, ["clusterrole", cr, "--verb=get", "--resource=pods"]),
        (
            "clusterrolebinding",
            crb,
            ["clusterrolebinding", crb, f"--clusterrole={cr}", "--user=bob"],
        ),
    ]


def kubectl(binary: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(binary), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without server-set metadata and status (which the server owns)."""
    metadata = {k: v for k, v in obj["metadata"].items() if k not in SERVER_SET_METADATA}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


@pytest.mark.parametrize(
    "binary",
    [
        pytest.param(KUBECTL_133, id="kubectl-1.33"),
        pytest.param(KUBECTL_DEFAULT, id="kubectl-default"),
    ],
)
def test_protobuf_creates_store_what_kubectl_meant(binary: Path, kube_env: dict[str, str]) -> None:
    if not binary.exists():
        pytest.skip(f"{binary} is not installed")
    namespace = f"pb-{binary.name.replace('.', '-')}"
    kubectl(binary, kube_env, "create", "namespace", namespace)
    for resource, name, args in _creates(namespace):
        scope = [] if resource.startswith("cluster") else ["-n", namespace]
        create = [*scope, "create", *args]
        intended = _comparable(
            json.loads(kubectl(binary, kube_env, *create, "--dry-run=client", "-o", "json"))
        )
        dry_run = json.loads(kubectl(binary, kube_env, *create, "--dry-run=server", "-o", "json"))
        assert _comparable(dry_run) == intended, resource
        kubectl(binary, kube_env, *create)
        stored = json.loads(kubectl(binary, kube_env, *scope, "get", resource, name, "-o", "json"))
        assert _comparable(stored) == intended, resource


@pytest.mark.skipif(not KUBECTL_133.exists(), reason="kubectl 1.33 is not installed")
def test_kubectl_133_scale_and_expose(kube_env: dict[str, str]) -> None:
    namespaced = ["-n", "pb-scale"]
    kubectl(KUBECTL_133, kube_env, "create", "namespace", "pb-scale")
    kubectl(
        KUBECTL_133,
        kube_env,
        *namespaced,
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--port=80",
    )
    for replicas in (3, 0):
        kubectl(
            KUBECTL_133,
            kube_env,
            *namespaced,
            "scale",
            "deployment",
            "web",
            f"--replicas={replicas}",
        )
        live = json.loads(
            kubectl(KUBECTL_133, kube_env, *namespaced, "get", "deployment", "web", "-o", "json")
        )
        assert live["spec"]["replicas"] == replicas
    kubectl(
        KUBECTL_133,
        kube_env,
        *namespaced,
        "expose",
        "deployment",
        "web",
        "--port=8080",
        "--target-port=80",
    )
    service = json.loads(
        kubectl(KUBECTL_133, kube_env, *namespaced, "get", "service", "web", "-o", "json")
    )
    assert service["spec"]["selector"] == {"app": "web"}
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8080, 80)]
