"""charts/ocm-hub rendered by real helm: the hub controllers run in-cluster with enough RBAC."""

from __future__ import annotations

from tests.support.helm import Manifest, container, find, render

NAMESPACE = "open-cluster-management-hub"
NAME = "ocm-hub-controller"


def _rules(manifests: list[Manifest], role: str) -> set[tuple[str, str, str]]:
    """(group, resource, verb) granted by a ClusterRole."""
    granted: set[tuple[str, str, str]] = set()
    for rule in find(manifests, "ClusterRole", role)["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted |= {(group, resource, verb) for verb in rule["verbs"]}
    return granted


def test_hub_controller_runs_ocm_hub_in_cluster(ocm_hub_default: list[Manifest]) -> None:
    deployment = find(ocm_hub_default, "Deployment", NAME)
    assert deployment["metadata"]["namespace"] == NAMESPACE
    hub = container(deployment, "hub")
    assert hub["image"] == "ghcr.io/ocm-python/ocm-cluster-proxy:0.1.0"
    assert hub["args"] == ["ocm", "hub"]
    assert hub["securityContext"]["runAsNonRoot"] is True
    assert hub["securityContext"]["readOnlyRootFilesystem"] is True
    assert hub["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == NAME
    account = find(ocm_hub_default, "ServiceAccount", NAME)
    assert account["metadata"]["namespace"] == NAMESPACE


def test_hub_controller_role_covers_what_the_controllers_do(
    ocm_hub_default: list[Manifest],
) -> None:
    granted = _rules(ocm_hub_default, f"open-cluster-management:{NAME}")
    needed = {
        # registration
        ("cluster.open-cluster-management.io", "managedclusters", "update"),
        ("cluster.open-cluster-management.io", "managedclusters/status", "patch"),
        ("certificates.k8s.io", "certificatesigningrequests/approval", "update"),
        ("certificates.k8s.io", "signers", "approve"),
        ("", "namespaces", "create"),
        ("rbac.authorization.k8s.io", "clusterroles", "escalate"),
        ("rbac.authorization.k8s.io", "rolebindings", "bind"),
        ("coordination.k8s.io", "leases", "update"),
        ("authorization.k8s.io", "subjectaccessreviews", "create"),
        # work
        ("work.open-cluster-management.io", "manifestworks", "delete"),
        ("work.open-cluster-management.io", "manifestworkreplicasets/status", "patch"),
        # placement
        ("cluster.open-cluster-management.io", "placementdecisions", "create"),
        ("cluster.open-cluster-management.io", "placements/status", "patch"),
        ("cluster.open-cluster-management.io", "addonplacementscores", "list"),
        # add-on manager
        ("addon.open-cluster-management.io", "managedclusteraddons", "create"),
        ("addon.open-cluster-management.io", "clustermanagementaddons/status", "patch"),
        ("", "serviceaccounts", "create"),
        # cluster-proxy manager (runs in `ocm hub`)
        ("certificates.k8s.io", "signers", "sign"),
        ("", "secrets", "create"),
        ("apps", "deployments", "update"),
        ("", "services", "create"),
        ("proxy.open-cluster-management.io", "managedproxyconfigurations/status", "patch"),
    }
    assert needed - granted == set()
    binding = find(ocm_hub_default, "ClusterRoleBinding", f"open-cluster-management:{NAME}")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]


def test_bootstrap_role_is_left_to_ocm_hub_by_default(ocm_hub_default: list[Manifest]) -> None:
    # `ocm hub` creates it at start; two writers would undo each other's rules.
    assert not [m for m in ocm_hub_default if "bootstrap" in m["metadata"]["name"]]


def test_bootstrap_role_lets_clusters_join() -> None:
    manifests = render("ocm-hub", sets=["bootstrap.enabled=true"])
    granted = _rules(manifests, "open-cluster-management:bootstrap")
    assert ("certificates.k8s.io", "certificatesigningrequests", "create") in granted
    assert ("cluster.open-cluster-management.io", "managedclusters", "create") in granted
    binding = find(manifests, "ClusterRoleBinding", "open-cluster-management:bootstrap")
    assert binding["subjects"][0]["name"] == "system:bootstrappers:managedcluster"


def test_overrides_reach_the_deployment() -> None:
    manifests = render(
        "ocm-hub",
        sets=[
            "image.repository=registry.example.com/ocm",
            "image.tag=1.2.3",
            "replicas=2",
            "additionalArgs={--extra-flag=1}",
        ],
    )
    deployment = find(manifests, "Deployment", NAME)
    assert deployment["spec"]["replicas"] == 2
    hub = container(deployment, "hub")
    assert hub["image"] == "registry.example.com/ocm:1.2.3"
    assert hub["args"] == ["ocm", "hub", "--extra-flag=1"]
