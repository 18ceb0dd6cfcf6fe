"""Built-in kinds' schemas on a real server: charts and kubectl's own objects pass Strict,
typos fail as on a real cluster, ``kubectl explain`` describes them, JSON patches are checked."""

from __future__ import annotations

import json
import shutil
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from ocm_core.apiserver import fieldvalidation
from ocm_core.apiserver.schemas import BUILTIN_SCHEMAS
from tests.integration.apiserver.test_apiserver_kubectl import kubectl
from tests.support import helm
from tests.support.apiserver_process import DEADLINE_SECONDS, ApiServerProcess

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
needs_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

#: Chart values that render every optional part of the pod templates.
CLUSTER_PROXY_VALUES = (
    "proxyServer.renderInChart=true",
    "enableServiceProxy=true",
    "imagePullSecrets={pull}",
    "nodeSelector.kubernetes\\.io/os=linux",
    "proxyServer.resources.limits.cpu=1",
    "userServer.resources.requests.memory=64Mi",
    "manager.resources.requests.cpu=100m",
)
CLUSTER_PROXY_JSON = ('tolerations=[{"key":"k","operator":"Exists","effect":"NoSchedule"}]',)
OCM_HUB_VALUES = (
    "imagePullSecrets={pull}",
    "nodeSelector.kubernetes\\.io/os=linux",
    "resources.limits.memory=256Mi",
)
OCM_HUB_JSON = ('tolerations=[{"key":"k","operator":"Exists"}]',)

TYPO_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replicas: 1
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec:
      containers:
      - {name: c, image: nginx, imagePullPolicty: Always}
"""
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def _built_in(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects of kinds this server serves with a built-in schema (not CRs, not
    NetworkPolicies)."""
    return [
        m for m in manifests if (m["apiVersion"].rpartition("/")[0], m["kind"]) in BUILTIN_SCHEMAS
    ]


def _rendered_charts() -> list[dict[str, Any]]:
    cluster_proxy = helm.render(
        "cluster-proxy", sets=CLUSTER_PROXY_VALUES, set_json=CLUSTER_PROXY_JSON
    )
    ocm_hub = helm.render("ocm-hub", sets=OCM_HUB_VALUES, set_json=OCM_HUB_JSON)
    return _built_in(cluster_proxy + ocm_hub)


def test_rendered_charts_have_no_unknown_fields() -> None:
    manifests = _rendered_charts()
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "Service", "ClusterRole", "RoleBinding", "ServiceAccount"} <= kinds
    deployment = next(m for m in manifests if m["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["tolerations"]
    for manifest in manifests:
        schema = BUILTIN_SCHEMAS[(manifest["apiVersion"].rpartition("/")[0], manifest["kind"])]
        found = fieldvalidation.unknown_fields(schema, manifest)
        assert found == [], f"{manifest['kind']}/{manifest['metadata']['name']}: {found}"


@needs_kubectl
def test_kubectl_apply_strict_of_the_rendered_charts(
    kube_env: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "charts.yaml"
    manifest.write_text(yaml.safe_dump_all(_rendered_charts()))
    applied = kubectl(kube_env, "apply", "--validate=strict", "-f", str(manifest))
    assert "Warning" not in applied.stderr
    assert "deployment.apps/cluster-proxy created" in applied.stdout


@needs_kubectl
def test_kubectl_generated_objects_pass_strict(kube_env: dict[str, str]) -> None:
    """kubectl's generators and its patching commands, all sent with fieldValidation=Strict."""
    commands = [
        ("create", "deployment", "gen", "--image=nginx", "--port=80", "--replicas=2"),
        ("create", "service", "clusterip", "gen-svc", "--tcp=80:8080"),
        ("expose", "deployment", "gen", "--name=gen-exposed", "--port=8080"),
        ("run", "gen-pod", "--image=busybox", "--labels=a=b", "--env=A=B", "--port=80"),
        ("create", "role", "gen-role", "--verb=get,list", "--resource=pods,deployments.apps"),
        ("create", "rolebinding", "gen-rb", "--role=gen-role", "--serviceaccount=default:x"),
        ("create", "clusterrole", "gen-cr", "--verb=get", "--non-resource-url=/healthz"),
        ("set", "env", "deployment/gen", "A=b"),
        ("set", "resources", "deployment/gen", "--limits=cpu=200m,memory=64Mi"),
        ("set", "image", "deployment/gen", "nginx=nginx:1.27"),
        ("scale", "deployment/gen", "--replicas=3"),
        ("rollout", "restart", "deployment/gen"),
        ("label", "service/gen-svc", "tier=front"),
        ("annotate", "deployment/gen", "note=x"),
    ]
    for command in commands:
        done = kubectl(kube_env, *command)
        assert "Warning" not in done.stderr, (command, done.stderr)
    deployment = json.loads(kubectl(kube_env, "get", "deployment/gen", "-o", "json").stdout)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "A", "value": "b"}]
    assert container["resources"]["limits"] == {"cpu": "200m", "memory": "64Mi"}


@needs_kubectl
def test_kubectl_apply_of_a_deployment_with_a_typo_fails_as_on_a_real_cluster(
    kube_env: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(TYPO_DEPLOYMENT)
    failed = kubectl(kube_env, "apply", "--validate=strict", "-f", str(manifest), ok=False)
    assert failed.returncode != 0
    assert failed.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{manifest}": Deployment in '
        'version "v1" cannot be handled as a Deployment: strict decoding error: unknown field '
        '"spec.template.spec.containers[0].imagePullPolicty"'
    )
    warned = kubectl(kube_env, "apply", "--validate=warn", "-f", str(manifest))
    assert (
        'Warning: unknown field "spec.template.spec.containers[0].imagePullPolicty"'
        in warned.stderr
    )
    stored = json.loads(kubectl(kube_env, "get", "deployment/typo", "-o", "json").stdout)
    assert "imagePullPolicty" not in stored["spec"]["template"]["spec"]["containers"][0]


@needs_kubectl
def test_kubectl_patch_type_json_with_a_typo_warns_and_drops_it(kube_env: dict[str, str]) -> None:
    """kubectl patch sends no fieldValidation: kube's default, Warn, applies."""
    kubectl(kube_env, "create", "deployment", "jp-kubectl", "--image=nginx")
    typo = json.dumps(
        [
            {"op": "add", "path": "/spec/paused", "value": True},
            {"op": "add", "path": "/spec/pasued", "value": True},
        ]
    )
    patched = kubectl(kube_env, "patch", "deployment/jp-kubectl", "--type=json", "-p", typo)
    assert patched.stderr.strip() == 'Warning: unknown field "spec.pasued"'
    stored = json.loads(kubectl(kube_env, "get", "deployment/jp-kubectl", "-o", "json").stdout)
    assert stored["spec"]["paused"] is True
    assert "pasued" not in stored["spec"]


@needs_kubectl
def test_explain_a_deployment_field(kube_env: dict[str, str]) -> None:
    out = kubectl(kube_env, "explain", "deployment.spec.replicas").stdout
    assert "GROUP:      apps" in out
    assert "KIND:       Deployment" in out
    assert "FIELD: replicas <integer>" in out
    assert "Number of desired pods." in out
    containers = kubectl(kube_env, "explain", "pods.spec.containers").stdout
    assert "livenessProbe\t<Object>" in containers
    assert "volumeMounts\t<[]Object>" in containers


# --- JSON patch ----------------------------------------------------------------------------


def _request(
    server: ApiServerProcess, method: str, path: str, body: Any = None, content_type: str = ""
) -> tuple[int, Any, list[str]]:
    """One request as the admin: (status, decoded JSON body, Warning header values)."""
    token = (server.data_dir / "admin.token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:  # a str is sent as it is (JSON objects cannot repeat a key)
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        headers["Content-Type"] = content_type or "application/json"
    request = urllib.request.Request(
        f"https://127.0.0.1:{server.port}{path}", data=data, method=method, headers=headers
    )
    context = ssl.create_default_context(cafile=str(server.data_dir / "ca.crt"))
    try:
        with urllib.request.urlopen(request, context=context, timeout=DEADLINE_SECONDS) as answer:
            return answer.status, json.loads(answer.read()), answer.headers.get_all("Warning") or []
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get_all("Warning") or []


def _deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


JSON_PATCH = "application/json-patch+json"
ADD_UNKNOWN = [
    {"op": "add", "path": "/spec/template/spec/containers/0/foo", "value": 1},
    {"op": "add", "path": "/spec/replicas", "value": 2},
]


def test_a_json_patch_adding_an_unknown_field_fails_strict_and_changes_nothing(
    apiserver: ApiServerProcess,
) -> None:
    status, created, _ = _request(apiserver, "POST", DEPLOYMENTS, _deployment("jp-strict"))
    assert status == 201, created
    path = f"{DEPLOYMENTS}/jp-strict"
    status, body, _ = _request(
        apiserver, "PATCH", f"{path}?fieldValidation=Strict", ADD_UNKNOWN, JSON_PATCH
    )
    assert status == 422, body
    assert body["reason"] == "Invalid"
    assert body["message"].startswith('"" is invalid: patch: Invalid value: "{\\"apiVersion\\"')
    assert body["message"].endswith(
        'strict decoding error: unknown field "spec.template.spec.containers[0].foo"'
    )
    _, stored, _ = _request(apiserver, "GET", path)
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert "foo" not in stored["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("mode", ["Warn", "Ignore"])
def test_a_json_patch_unknown_field_is_pruned_under_warn_and_ignore(
    apiserver: ApiServerProcess, mode: str
) -> None:
    name = f"jp-{mode.lower()}"
    _request(apiserver, "POST", DEPLOYMENTS, _deployment(name))
    path = f"{DEPLOYMENTS}/{name}?fieldValidation={mode}"
    status, body, warnings = _request(apiserver, "PATCH", path, ADD_UNKNOWN, JSON_PATCH)
    assert status == 200, body
    expected = ['299 - "unknown field \\"spec.template.spec.containers[0].foo\\""']
    assert warnings == (expected if mode == "Warn" else [])
    assert body["spec"]["replicas"] == 2
    assert "foo" not in body["spec"]["template"]["spec"]["containers"][0]


def test_a_json_patch_with_a_duplicate_key_names_it(apiserver: ApiServerProcess) -> None:
    _request(apiserver, "POST", DEPLOYMENTS, _deployment("jp-dup"))
    patch = '[{"op": "add", "path": "/spec/replicas", "value": 1, "value": 3}]'
    path = f"{DEPLOYMENTS}/jp-dup?fieldValidation=Strict"
    status, body, _ = _request(apiserver, "PATCH", path, patch, JSON_PATCH)
    assert status == 422
    assert body["message"].endswith('strict decoding error: json patch duplicate field "value"')
    status, body, warnings = _request(
        apiserver, "PATCH", f"{DEPLOYMENTS}/jp-dup", patch, JSON_PATCH
    )
    assert status == 200
    assert warnings == ['299 - "json patch duplicate field \\"value\\""']
    assert body["spec"]["replicas"] == 3


def test_an_unknown_service_field_gets_kubes_status_and_warning(
    apiserver: ApiServerProcess,
) -> None:
    services = "/api/v1/namespaces/default/services"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "typo-svc"},
        "spec": {"ports": [{"port": 80}], "foo": "bar"},
    }
    status, body, _ = _request(apiserver, "POST", f"{services}?fieldValidation=Strict", service)
    assert (status, body["reason"], body["code"]) == (400, "BadRequest", 400)
    assert body["message"] == (
        'Service in version "v1" cannot be handled as a Service: strict decoding error: '
        'unknown field "spec.foo"'
    )
    status, body, warnings = _request(apiserver, "POST", services, service)
    assert status == 201
    assert warnings == ['299 - "unknown field \\"spec.foo\\""']
    assert "foo" not in body["spec"]


def test_a_valid_json_patch_passes_strict(apiserver: ApiServerProcess) -> None:
    _request(apiserver, "POST", DEPLOYMENTS, _deployment("jp-ok"))
    patch = [
        {"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"name": "A"}]},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
    ]
    status, body, warnings = _request(
        apiserver, "PATCH", f"{DEPLOYMENTS}/jp-ok?fieldValidation=Strict", patch, JSON_PATCH
    )
    assert (status, warnings) == (200, [])
    assert body["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A"}]


def test_the_python_client_creates_a_deployment_under_strict(apiserver: ApiServerProcess) -> None:
    container = client.V1Container(
        name="app",
        image="nginx",
        ports=[client.V1ContainerPort(container_port=80, name="http")],
        readiness_probe=client.V1Probe(http_get=client.V1HTTPGetAction(path="/", port="http")),
        resources=client.V1ResourceRequirements(requests={"cpu": "100m"}),
    )
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-strict"),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "py"}),
                spec=client.V1PodSpec(containers=[container]),
            ),
        ),
    )
    with apiserver.api_client() as api:
        created = client.AppsV1Api(api).create_namespaced_deployment(
            "default", body, field_validation="Strict"
        )
    assert created.metadata is not None
    assert created.metadata.name == "py-strict"


def test_review_bodies_are_field_checked(apiserver: ApiServerProcess) -> None:
    reviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {"verb": "get", "resource": "pods"},
            "resourceAttribute": {},
        },
    }
    status, body, _ = _request(apiserver, "POST", f"{reviews}?fieldValidation=Strict", review)
    assert status == 400
    assert body["message"] == (
        'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: '
        'strict decoding error: unknown field "spec.resourceAttribute"'
    )
    status, body, warnings = _request(apiserver, "POST", reviews, review)
    assert status == 201
    assert warnings == ['299 - "unknown field \\"spec.resourceAttribute\\""']
    assert body["status"]["allowed"] is True
