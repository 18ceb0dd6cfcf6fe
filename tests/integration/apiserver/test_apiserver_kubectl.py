"""Real kubectl (1.27 / default / 1.33) against a real ``ocm apiserver`` process."""

from __future__ import annotations

import base64
import json
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
VERSIONED = Path("/usr/lib/google-cloud-sdk/bin")
pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: c, image: "nginx:%s", env: [{name: A, value: "%s"}]}
"""
CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
"""
WIDGET = """
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: %s}
"""


def kubectl(
    env: dict[str, str],
    *args: str,
    stdin: str | None = None,
    binary: str = KUBECTL,
    ok: bool = True,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [binary, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if ok:
        assert done.returncode == 0, f"kubectl {' '.join(args)} failed: {done.stderr}"
    return done


def test_version_and_api_resources(kube_env: dict[str, str]) -> None:
    version = json.loads(kubectl(kube_env, "version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"].startswith("v1.")
    resources = kubectl(kube_env, "api-resources").stdout
    for kind in ("ConfigMap", "Deployment", "CustomResourceDefinition", "Lease", "ClusterRole"):
        assert kind in resources


def test_configmap_apply_twice_label_patch_delete(kube_env: dict[str, str]) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo}\ndata: {a: '%s'}\n"
    assert "created" in kubectl(kube_env, "apply", "-f", "-", stdin=manifest % 1).stdout
    assert "configured" in kubectl(kube_env, "apply", "-f", "-", stdin=manifest % 2).stdout
    assert "unchanged" in kubectl(kube_env, "apply", "-f", "-", stdin=manifest % 2).stdout
    kubectl(kube_env, "label", "cm", "demo", "team=a")
    kubectl(kube_env, "patch", "cm", "demo", "-p", '{"data":{"b":"1"}}')
    kubectl(kube_env, "patch", "cm", "demo", "--type", "merge", "-p", '{"data":{"c":"1"}}')
    kubectl(
        kube_env,
        "patch",
        "cm",
        "demo",
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/data/b"}]',
    )
    live = json.loads(kubectl(kube_env, "get", "cm", "demo", "-o", "json").stdout)
    assert live["data"] == {"a": "2", "c": "1"}
    assert live["metadata"]["labels"] == {"team": "a"}
    assert "demo" in kubectl(kube_env, "get", "cm", "-l", "team=a", "--show-labels").stdout
    kubectl(kube_env, "delete", "cm", "demo")
    assert kubectl(kube_env, "get", "cm", "demo", ok=False).returncode != 0


def test_deployment_apply_scale_and_generation(kube_env: dict[str, str]) -> None:
    kubectl(kube_env, "apply", "-f", "-", stdin=DEPLOYMENT % ("1", "x"))
    kubectl(kube_env, "apply", "-f", "-", stdin=DEPLOYMENT % ("2", "y"))
    kubectl(kube_env, "scale", "deploy", "web", "--replicas=3")
    live = json.loads(kubectl(kube_env, "get", "deploy", "web", "-o", "json").stdout)
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["env"]) == ("nginx:2", [{"name": "A", "value": "y"}])
    assert live["spec"]["replicas"] == 3
    assert live["metadata"]["generation"] == 3
    kubectl(kube_env, "delete", "deploy", "web")


def test_crd_and_custom_resource(kube_env: dict[str, str]) -> None:
    kubectl(kube_env, "apply", "-f", "-", stdin=CRD)
    kubectl(
        kube_env, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=20s"
    )
    kubectl(kube_env, "apply", "-f", "-", stdin=WIDGET % "big")
    assert "configured" in kubectl(kube_env, "apply", "-f", "-", stdin=WIDGET % "small").stdout
    table = kubectl(kube_env, "get", "widgets").stdout
    assert "SIZE" in table
    assert "small" in table
    rejected = kubectl(kube_env, "patch", "wd", "w1", "-p", '{"spec":{"size":"x"}}', ok=False)
    assert "not supported" in rejected.stderr
    kubectl(kube_env, "patch", "wd", "w1", "--type", "merge", "-p", '{"spec":{"size":"m"}}')
    kubectl(
        kube_env, "patch", "wd", "w1", "--subresource=status", "--type", "merge",
        "-p", '{"status":{"ready":true}}',
    )  # fmt: skip
    live = json.loads(kubectl(kube_env, "get", "wd", "w1", "-o", "json").stdout)
    assert (live["spec"], live["status"]) == ({"size": "m"}, {"ready": True})
    kubectl(kube_env, "delete", "crd", "widgets.example.com")
    assert kubectl(kube_env, "get", "widgets", ok=False).returncode != 0


def test_server_side_apply_twice(kube_env: dict[str, str]) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {%s}\n"
    kubectl(kube_env, "apply", "--server-side", "-f", "-", stdin=manifest % "a: '1', b: '2'")
    kubectl(kube_env, "apply", "--server-side", "-f", "-", stdin=manifest % "a: '3'")
    live = json.loads(kubectl(kube_env, "get", "cm", "ssa", "-o", "json").stdout)
    assert live["data"] == {"a": "3"}


@pytest.fixture
def watch_lines(kube_env: dict[str, str]) -> Iterator[queue.Queue[str]]:
    kubectl(kube_env, "create", "cm", "watched")
    template = "jsonpath={.metadata.labels.step}{'\\n'}"
    process = subprocess.Popen(
        [KUBECTL, "get", "cm", "watched", "-w", "-o", template],
        env=kube_env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    yield lines
    process.kill()
    process.wait()


def test_get_watch_sees_label_changes(
    kube_env: dict[str, str], watch_lines: queue.Queue[str]
) -> None:
    assert watch_lines.get(timeout=20) == ""
    kubectl(kube_env, "label", "cm", "watched", "step=1")
    assert watch_lines.get(timeout=20) == "1"
    kubectl(kube_env, "label", "cm", "watched", "step=2", "--overwrite")
    assert watch_lines.get(timeout=20) == "2"


@pytest.mark.skipif(not (VERSIONED / "kubectl.1.33").exists(), reason="kubectl 1.33 missing")
def test_kubectl_133_typed_creates_send_protobuf(kube_env: dict[str, str]) -> None:
    binary = str(VERSIONED / "kubectl.1.33")
    kubectl(kube_env, "create", "namespace", "pb", binary=binary)
    kubectl(
        kube_env,
        "-n",
        "pb",
        "create",
        "secret",
        "generic",
        "s",
        "--from-literal=k=v",
        binary=binary,
    )
    kubectl(kube_env, "-n", "pb", "create", "configmap", "c", "--from-literal=k=v", binary=binary)
    kubectl(kube_env, "-n", "pb", "create", "serviceaccount", "sa", binary=binary)
    secret = json.loads(kubectl(kube_env, "-n", "pb", "get", "secret", "s", "-o", "json").stdout)
    assert secret["data"] == {"k": "dg=="}
    assert secret["type"] == "Opaque"


@pytest.mark.skipif(not (VERSIONED / "kubectl.1.27").exists(), reason="kubectl 1.27 missing")
def test_kubectl_127_apply_uses_openapi_v2_protobuf(kube_env: dict[str, str]) -> None:
    binary = str(VERSIONED / "kubectl.1.27")
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\ndata: {a: '%s'}\n"
    kubectl(kube_env, "apply", "-f", "-", stdin=manifest % 1, binary=binary)
    kubectl(kube_env, "apply", "-f", "-", stdin=manifest % 2, binary=binary)
    live = json.loads(kubectl(kube_env, "get", "cm", "old", "-o", "json").stdout)
    assert live["data"] == {"a": "2"}


def csr_manifest() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agent")])
    request = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    pem = base64.b64encode(request.public_bytes(serialization.Encoding.PEM)).decode()
    return (
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\n"
        f"metadata: {{name: agent}}\nspec: {{request: {pem}, "
        "signerName: kubernetes.io/kube-apiserver-client, usages: [client auth]}\n"
    )


@pytest.mark.skipif(not (VERSIONED / "kubectl.1.33").exists(), reason="kubectl 1.33 missing")
def test_certificate_approve_with_protobuf_approval(kube_env: dict[str, str]) -> None:
    kubectl(kube_env, "apply", "-f", "-", stdin=csr_manifest())
    kubectl(kube_env, "certificate", "approve", "agent", binary=str(VERSIONED / "kubectl.1.33"))
    csr = json.loads(kubectl(kube_env, "get", "csr", "agent", "-o", "json").stdout)
    assert [c["type"] for c in csr["status"]["conditions"]] == ["Approved"]
    assert csr["spec"]["username"] == "admin"


def test_server_side_apply_conflicts_between_managers(kube_env: dict[str, str]) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {a: '%s'}\n"
    kubectl(
        kube_env, "apply", "--server-side", "--field-manager=first", "-f", "-", stdin=manifest % 1
    )
    clash = kubectl(
        kube_env, "apply", "--server-side", "--field-manager=second", "-f", "-",
        stdin=manifest % 2, ok=False,
    )  # fmt: skip
    assert clash.returncode != 0
    assert 'conflict with "first"' in clash.stderr
    kubectl(
        kube_env, "apply", "--server-side", "--field-manager=second", "--force-conflicts",
        "-f", "-", stdin=manifest % 2,
    )  # fmt: skip
    live = json.loads(kubectl(kube_env, "get", "cm", "owned", "-o", "json").stdout)
    assert live["data"] == {"a": "2"}
