"""Upstream-style objects pass our CRD schemas; broken ones fail with kube-like messages."""
# ruff: noqa: E501  (expected kube error messages are kept whole to stay greppable)

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core.api import schema

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.yaml"))
CRD_DIRS = (ROOT / "charts" / "ocm-hub" / "crds", ROOT / "charts" / "cluster-proxy" / "crds")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def version_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema, over every CRD in the chart directories."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for directory in CRD_DIRS:
        for path in directory.glob("*.yaml"):
            crd = yaml.load(path.read_text(), Loader=_LOADER)
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                found[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return found


def schema_for(obj: dict[str, Any]) -> dict[str, Any]:
    return version_schemas()[(obj["apiVersion"], obj["kind"])]


def admit(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """What an API server does on create: prune, default, validate."""
    root = schema_for(obj)
    pruned, dropped = schema.prune(root, obj)
    defaulted = schema.apply_defaults(root, pruned)
    return defaulted, dropped, [str(error) for error in schema.validate(root, defaulted)]


def sample(name: str) -> dict[str, Any]:
    document = yaml.load((Path(__file__).parent / "samples" / name).read_text(), Loader=_LOADER)
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_sample_is_valid_and_uses_only_declared_fields(path: Path) -> None:
    obj = sample(path.name)
    _, dropped, errors = admit(obj)
    assert dropped == []
    assert errors == []


def test_manifest_work_defaults() -> None:
    work = sample("manifestwork-deployment.yaml")
    work["spec"]["deleteOption"] = {}
    work["spec"]["manifestConfigs"][0]["updateStrategy"]["serverSideApply"] = {}
    del work["spec"]["manifestConfigs"][0]["feedbackScrapeType"]
    admitted, _, errors = admit(work)
    config = admitted["spec"]["manifestConfigs"][0]
    assert errors == []
    assert admitted["spec"]["deleteOption"] == {"propagationPolicy": "Foreground"}
    assert config["updateStrategy"]["serverSideApply"] == {"fieldManager": "work-agent"}
    assert config["feedbackScrapeType"] == "Poll"


def test_manifest_work_replica_set_rollout_defaults() -> None:
    admitted, _, errors = admit(sample("manifestworkreplicaset.yaml"))
    assert errors == []
    assert admitted["spec"]["cascadeDeletionPolicy"] == "Background"
    assert admitted["spec"]["placementRefs"][0]["rolloutStrategy"] == {
        "type": "All",
        "all": {"progressDeadline": "None", "minSuccessTime": "0", "maxFailures": 0},
    }


def test_addon_defaults() -> None:
    mca = sample("managedclusteraddon-v1alpha1.yaml")
    del mca["spec"]["installNamespace"]
    admitted, _, _ = admit(mca)
    assert admitted["spec"]["installNamespace"] == "open-cluster-management-agent-addon"
    cma = sample("clustermanagementaddon-helloworld-v1alpha1.yaml")
    del cma["spec"]["installStrategy"]
    admitted, _, _ = admit(cma)
    assert admitted["spec"]["installStrategy"] == {"type": "Manual"}
    assert admitted["spec"]["supportedConfigs"][1] == {"group": "", "resource": "configmaps"}


def test_managed_proxy_configuration_defaults() -> None:
    admitted, _, errors = admit(sample("managedproxyconfiguration.yaml"))
    spec = admitted["spec"]
    assert errors == []
    assert spec["authentication"]["dump"]["secrets"] == {
        "signingProxyServerSecretName": "proxy-server",
        "signingProxyClientSecretName": "proxy-client",
        "signingAgentServerSecretName": "agent-server",
    }
    assert spec["proxyServer"]["inClusterServiceName"] == "proxy-entrypoint"
    assert spec["proxyServer"]["entrypoint"]["port"] == 8091


DELETE = object()
"""Marks a field to remove in `broken`."""


def broken(name: str, path: list[Any], value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(sample(name))
    target = obj
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("name", "path", "value", "message"),
    [
        pytest.param(
            "manifestwork-deployment.yaml",
            ["spec", "workload", "manifests", 1, "kind"],
            DELETE,
            "spec.workload.manifests[1].kind: Required value: must not be empty",
            id="manifest-without-kind",
        ),
        pytest.param(
            "manifestwork-deployment.yaml",
            ["spec", "manifestConfigs", 0, "updateStrategy", "serverSideApply", "fieldManager"],
            "kubectl",
            "spec.manifestConfigs[0].updateStrategy.serverSideApply.fieldManager: Invalid value: "
            '"kubectl": spec.manifestConfigs[0].updateStrategy.serverSideApply.fieldManager in body '
            "should match '^work-agent'",
            id="field-manager-prefix",
        ),
        pytest.param(
            "manifestwork-deployment.yaml",
            ["spec", "deleteOption", "propagationPolicy"],
            "Background",
            'spec.deleteOption.propagationPolicy: Unsupported value: "Background": supported values: '
            '"Foreground", "Orphan", "SelectivelyOrphan"',
            id="propagation-policy",
        ),
        pytest.param(
            "manifestwork-deployment.yaml",
            ["spec", "executor", "subject", "type"],
            "User",
            'spec.executor.subject.type: Unsupported value: "User": supported values: "ServiceAccount"',
            id="executor-subject-type",
        ),
        pytest.param(
            "manifestworkreplicaset.yaml",
            ["spec", "placementRefs"],
            [],
            "spec.placementRefs: Invalid value: 0: spec.placementRefs in body should have at least 1 items",
            id="mwrs-needs-a-placement",
        ),
        pytest.param(
            "managedclusteraddon-v1alpha1.yaml",
            ["spec", "installNamespace"],
            "Bad_Namespace",
            'spec.installNamespace: Invalid value: "Bad_Namespace": spec.installNamespace in body '
            "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
            id="install-namespace-pattern",
        ),
        pytest.param(
            "managedclusteraddon-v1beta1.yaml",
            ["status", "registrations", 0, "type"],
            "KubeClient",
            'status.registrations[0].type: Unsupported value: "KubeClient": supported values: '
            '"kubeClient", "customSigner"',
            id="v1beta1-registration-type-case",
        ),
        pytest.param(
            "managedclusteraddon-v1alpha1.yaml",
            ["status", "registrations", 1, "signerName"],
            "not-a-signer",
            'status.registrations[1].signerName: Invalid value: "not-a-signer": '
            "status.registrations[1].signerName in body should match "
            "'^([a-z0-9][a-z0-9-]*[a-z0-9]\\.)+[a-z]+\\/[a-z0-9-\\.]+$'",
            id="invalid-signer",
        ),
        pytest.param(
            "clustermanagementaddon-cluster-proxy-v1beta1.yaml",
            ["spec", "defaultConfigs", 0, "resource"],
            DELETE,
            "spec.defaultConfigs[0].resource: Required value",
            id="default-config-resource",
        ),
        pytest.param(
            "addondeploymentconfig.yaml",
            ["spec", "customizedVariables", 0, "name"],
            "1bad",
            'spec.customizedVariables[0].name: Invalid value: "1bad": spec.customizedVariables[0].name '
            "in body should match '^[a-zA-Z_][_a-zA-Z0-9]*$'",
            id="variable-name",
        ),
        pytest.param(
            "addondeploymentconfig.yaml",
            ["spec", "customizedVariables", 1, "name"],
            "serviceDomain",
            'spec.customizedVariables[1]: Duplicate value: {"name": "serviceDomain"}',
            id="duplicate-variable",
        ),
        pytest.param(
            "managedproxyconfiguration.yaml",
            ["spec", "proxyServer", "image"],
            DELETE,
            "spec.proxyServer.image: Required value",
            id="mpc-server-image",
        ),
        pytest.param(
            "managedproxyconfiguration.yaml",
            ["spec", "proxyServer", "entrypoint", "type"],
            "NodePort",
            'spec.proxyServer.entrypoint.type: Unsupported value: "NodePort": supported values: '
            '"Hostname", "LoadBalancerService", "PortForward"',
            id="mpc-entrypoint-type",
        ),
        pytest.param(
            "managedproxyserviceresolver.yaml",
            ["spec", "serviceSelector", "serviceRef", "namespace"],
            DELETE,
            "spec.serviceSelector.serviceRef.namespace: Required value",
            id="mpsr-service-namespace",
        ),
    ],
)
def test_broken_objects_are_refused(name: str, path: list[Any], value: Any, message: str) -> None:
    _, _, errors = admit(broken(name, path, value))
    assert errors == [message]


def test_unknown_fields_are_reported_not_kept() -> None:
    obj = broken("managedclusteraddon-v1beta1.yaml", ["spec", "installNamespace"], "ns")
    admitted, dropped, errors = admit(obj)
    assert dropped == ["spec.installNamespace"]
    assert "installNamespace" not in admitted["spec"]
    assert errors == []
