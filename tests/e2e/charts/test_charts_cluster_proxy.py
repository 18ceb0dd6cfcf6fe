"""charts/cluster-proxy rendered by real helm: golden checks of the fields that matter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ocm_core.addon.cluster_proxy import hub_render
from ocm_core.api import schema
from ocm_core.kube.config import KubeConfig
from tests.support.helm import CHARTS_DIR, Manifest, container, find, render

NAMESPACE = "open-cluster-management-addon"
IMAGE = "ghcr.io/ocm-python/ocm-cluster-proxy:0.1.0"
CRD_DIRS = (CHARTS_DIR / "cluster-proxy" / "crds", CHARTS_DIR / "ocm-hub" / "crds")


def _crd_schemas() -> dict[tuple[str, str, str], schema.Schema]:
    """(group, version, kind) -> openAPIV3Schema of every CRD the charts ship."""
    schemas: dict[tuple[str, str, str], schema.Schema] = {}
    for directory in CRD_DIRS:
        for path in sorted(Path(directory).glob("*.yaml")):
            crd = yaml.safe_load(path.read_text())
            spec = crd["spec"]
            for version in spec["versions"]:
                key = (spec["group"], version["name"], spec["names"]["kind"])
                schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


def test_renders_the_expected_objects(cluster_proxy_default: list[Manifest]) -> None:
    # The manager builds the proxy-server from the MPC, so the chart does not render it.
    names = sorted(f"{m['kind']}/{m['metadata']['name']}" for m in cluster_proxy_default)
    assert names == sorted(
        [
            "ClusterManagementAddOn/cluster-proxy",
            "ClusterRole/open-cluster-management:cluster-proxy:addon-manager",
            "ClusterRoleBinding/open-cluster-management:cluster-proxy:addon-manager",
            "Deployment/cluster-proxy-addon-manager",
            "Role/open-cluster-management:cluster-proxy:addon-manager",
            "RoleBinding/open-cluster-management:cluster-proxy:addon-manager",
            "ServiceAccount/cluster-proxy-addon-manager",
            "ClusterRole/open-cluster-management:cluster-proxy:user-server",
            "ClusterRoleBinding/open-cluster-management:cluster-proxy:user-server",
            "ConfigMap/cluster-proxy-addon-user-hub-kubeconfig",
            "ConfigMap/cluster-proxy-exposed-services",
            "Deployment/cluster-proxy-addon-user",
            "ManagedClusterSetBinding/global",
            "ManagedProxyConfiguration/cluster-proxy",
            "Placement/cluster-proxy-placement",
            "Role/open-cluster-management:cluster-proxy:user-server",
            "RoleBinding/open-cluster-management:cluster-proxy:user-server",
            "Service/cluster-proxy-addon-user",
            "ServiceAccount/cluster-proxy-addon-user",
        ]
    )


def test_render_in_chart_adds_the_proxy_server(
    cluster_proxy_default: list[Manifest], cluster_proxy_self_contained: list[Manifest]
) -> None:
    before = {f"{m['kind']}/{m['metadata']['name']}" for m in cluster_proxy_default}
    after = {f"{m['kind']}/{m['metadata']['name']}" for m in cluster_proxy_self_contained}
    assert after - before == {
        "Deployment/cluster-proxy",
        "Service/proxy-entrypoint",
        "ServiceAccount/cluster-proxy-proxy-server",
    }
    assert before <= after


def test_namespaced_objects_land_in_the_release_namespace(
    cluster_proxy_self_contained: list[Manifest],
) -> None:
    cluster_scoped = {
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterManagementAddOn",
        "ManagedProxyConfiguration",
    }
    for manifest in cluster_proxy_self_contained:
        namespace = manifest["metadata"].get("namespace")
        if manifest["kind"] in cluster_scoped:
            assert namespace is None, manifest["metadata"]["name"]
        else:
            assert namespace == NAMESPACE, f"{manifest['kind']}/{manifest['metadata']['name']}"


def test_proxy_server_runs_our_image_with_upstream_ports_and_dest_host_routing(
    cluster_proxy_self_contained: list[Manifest],
) -> None:
    deployment = find(cluster_proxy_self_contained, "Deployment", "cluster-proxy")
    server = container(deployment, "proxy-server")
    assert server["image"] == IMAGE
    args = server["args"]
    assert args[0] == "proxy-server"
    assert "--proxy-strategies=destHost" in args
    assert "--server-count=1" in args
    assert {"--server-port=8090", "--agent-port=8091", "--health-port=8092"} <= set(args)
    assert "--agent-lane-port=8096" in args  # ours: the agent lane, on by default
    assert "--cluster-ca-cert=/etc/server-ca-pki/ca.crt" in args
    ports = {p["name"]: p["containerPort"] for p in server["ports"]}
    assert ports == {"proxy-server": 8090, "agent-server": 8091, "agent-lane": 8096, "health": 8092}
    assert server["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    # /readyz waits for an agent, and agents come in through the Service: no readiness gate.
    assert "readinessProbe" not in server
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    secrets = {v["secret"]["secretName"] for v in volumes if "secret" in v}
    assert secrets == {"proxy-server-ca", "proxy-server", "agent-server"}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["proxy.open-cluster-management.io/component-name"] == "proxy-server"


def test_entrypoint_service_exposes_frontend_and_agent_ports(
    cluster_proxy_self_contained: list[Manifest],
) -> None:
    service = find(cluster_proxy_self_contained, "Service", "proxy-entrypoint")
    assert service["spec"]["type"] == "ClusterIP"
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "proxy-server": 8090,
        "agent-server": 8091,
        "agent-lane": 8096,
    }
    pods = find(cluster_proxy_self_contained, "Deployment", "cluster-proxy")
    assert service["spec"]["selector"] == pods["spec"]["selector"]["matchLabels"]


def test_user_server_serves_9092_and_dials_the_proxy_server(
    cluster_proxy_default: list[Manifest],
) -> None:
    deployment = find(cluster_proxy_default, "Deployment", "cluster-proxy-addon-user")
    user = container(deployment, "user-server")
    assert user["image"] == IMAGE
    assert user["args"][0] == "user-server"
    assert f"--host=proxy-entrypoint.{NAMESPACE}.svc" in user["args"]
    assert "--server-port=9092" in user["args"]
    assert "--exposed-services-configmap=cluster-proxy-exposed-services" in user["args"]
    assert user["ports"] == [
        {"name": "user-server", "containerPort": 9092},
        {"name": "health", "containerPort": 8000},
    ]
    assert user["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    service = find(cluster_proxy_default, "Service", "cluster-proxy-addon-user")
    assert service["spec"]["ports"][0]["port"] == 9092
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == (
        "cluster-proxy-addon-user"
    )


def test_manager_runs_ocm_addon_manager_in_cluster(
    cluster_proxy_self_contained: list[Manifest],
) -> None:
    deployment = find(cluster_proxy_self_contained, "Deployment", "cluster-proxy-addon-manager")
    manager = container(deployment, "manager")
    assert manager["image"] == IMAGE
    args = manager["args"]
    assert args[:2] == ["ocm", "addon-manager"]
    # In-cluster credentials come from leaving --kubeconfig out (see test_charts_in_cluster).
    assert not [a for a in args if a.startswith("--kubeconfig")]
    assert f"--signer-secret-namespace={NAMESPACE}" in args
    assert "--agent-install-namespace=open-cluster-management-cluster-proxy" in args
    assert f"--exposed-services-namespace={NAMESPACE}" in args
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == (
        "cluster-proxy-addon-manager"
    )
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in manager["env"]}
    assert env == {"POD_NAMESPACE": "metadata.namespace"}


def test_every_container_runs_unprivileged(cluster_proxy_self_contained: list[Manifest]) -> None:
    deployments = [m for m in cluster_proxy_self_contained if m["kind"] == "Deployment"]
    assert len(deployments) == 3
    for deployment in deployments:
        for item in deployment["spec"]["template"]["spec"]["containers"]:
            context = item["securityContext"]
            assert context["runAsNonRoot"] is True
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            # A read-only root still needs a writable /tmp (the kube client's inline certs).
            mounts = {m["mountPath"]: m["name"] for m in item["volumeMounts"]}
            volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
            assert volumes[mounts["/tmp"]] == {"name": "tmp", "emptyDir": {}}


def test_cluster_management_addon_installs_by_placement(
    cluster_proxy_default: list[Manifest],
) -> None:
    cma = find(cluster_proxy_default, "ClusterManagementAddOn", "cluster-proxy")
    assert cma["apiVersion"] == "addon.open-cluster-management.io/v1beta1"
    assert cma["metadata"]["annotations"] == {
        "addon.open-cluster-management.io/lifecycle": "addon-manager"
    }
    assert cma["spec"]["defaultConfigs"] == [
        {
            "group": "proxy.open-cluster-management.io",
            "resource": "managedproxyconfigurations",
            "name": "cluster-proxy",
        },
        {
            "group": "addon.open-cluster-management.io",
            "resource": "addondeploymentconfigs",
            "name": "__reserved_no_default__",
        },
    ]
    assert cma["spec"]["installStrategy"] == {
        "type": "Placements",
        "placements": [
            {
                "name": "cluster-proxy-placement",
                "namespace": NAMESPACE,
                "rolloutStrategy": {"type": "All"},
            }
        ],
    }
    placement = find(cluster_proxy_default, "Placement", "cluster-proxy-placement")
    assert placement["spec"] == {"clusterSets": ["global"]}
    binding = find(cluster_proxy_default, "ManagedClusterSetBinding", "global")
    assert binding["apiVersion"] == "cluster.open-cluster-management.io/v1beta2"
    assert binding["spec"] == {"clusterSet": "global"}


def test_managed_proxy_configuration_defaults_to_the_in_cluster_hostname(
    cluster_proxy_default: list[Manifest],
) -> None:
    mpc = find(cluster_proxy_default, "ManagedProxyConfiguration", "cluster-proxy")
    assert mpc["spec"] == {
        "authentication": {"signer": {"type": "SelfSigned"}, "dump": {"secrets": {}}},
        "proxyServer": {
            "image": IMAGE,
            "replicas": 1,
            "namespace": NAMESPACE,
            "inClusterServiceName": "proxy-entrypoint",
            "entrypoint": {
                "type": "Hostname",
                "hostname": {"value": f"proxy-entrypoint.{NAMESPACE}.svc"},
                "port": 8091,
            },
        },
        "proxyAgent": {"image": IMAGE, "replicas": 1},
        "userServer": {"additionalSANs": []},
    }


def test_exposed_services_config_map_is_empty_by_default(
    cluster_proxy_default: list[Manifest],
) -> None:
    config_map = find(cluster_proxy_default, "ConfigMap", "cluster-proxy-exposed-services")
    assert yaml.safe_load(config_map["data"]["services"]) == []


def test_custom_resources_match_the_crds_the_charts_ship(
    cluster_proxy_default: list[Manifest],
) -> None:
    schemas = _crd_schemas()
    checked = 0
    for manifest in cluster_proxy_default:
        group, _, version = manifest["apiVersion"].rpartition("/")
        key = (group, version, manifest["kind"])
        if key not in schemas:
            continue
        pruned, dropped = schema.prune(schemas[key], manifest)
        assert dropped == [], f"{manifest['kind']}: fields the CRD does not know: {dropped}"
        errors = schema.validate(schemas[key], pruned)
        assert errors == [], f"{manifest['kind']}: {[str(e) for e in errors]}"
        checked += 1
    assert checked == 4  # ClusterManagementAddOn, MPC, Placement, ManagedClusterSetBinding


def test_overrides_reach_images_replicas_and_arguments() -> None:
    manifests = render(
        "cluster-proxy",
        namespace="hub-proxy",
        sets=[
            "registry=registry.example.com/mirror",
            "tag=9.9.9",
            "proxyServerImage=registry.example.com/mirror/server",
            "replicas=3",
            "spokeAddonNamespace=agents",
            "proxyServer.additionalArgs={--backend-dial-timeout=5}",
            "imagePullSecrets={pull-secret}",
            "manager.enabled=true",
            "proxyServer.renderInChart=true",
        ],
    )
    server = find(manifests, "Deployment", "cluster-proxy")
    assert server["spec"]["replicas"] == 3
    proxy = container(server, "proxy-server")
    assert proxy["image"] == "registry.example.com/mirror/server:9.9.9"
    assert "--server-count=3" in proxy["args"]
    assert proxy["args"][-1] == "--backend-dial-timeout=5"
    manager = find(manifests, "Deployment", "cluster-proxy-addon-manager")
    assert container(manager, "manager")["image"] == (
        "registry.example.com/mirror/ocm-cluster-proxy:9.9.9"
    )
    assert "--agent-install-namespace=agents" in container(manager, "manager")["args"]
    assert manager["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "pull-secret"}]
    mpc = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")
    assert mpc["spec"]["proxyServer"]["replicas"] == 3
    assert mpc["spec"]["proxyServer"]["additionalArgs"] == ["--backend-dial-timeout=5"]
    assert mpc["spec"]["proxyAgent"]["imagePullSecrets"] == ["pull-secret"]
    assert mpc["spec"]["proxyServer"]["entrypoint"]["hostname"]["value"] == (
        "proxy-entrypoint.hub-proxy.svc"
    )


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["proxyServer.entrypointAddress=proxy.example.com", "proxyServer.port=443"], "Hostname"),
        (
            ["proxyServer.entrypointLoadBalancer=true", "proxyServer.renderInChart=true"],
            "LoadBalancerService",
        ),
        (["proxyServer.entrypointType=PortForward"], "PortForward"),
        ([], "Hostname"),
    ],
)
def test_entrypoint_type_follows_upstream_choice(sets: list[str], expected: str) -> None:
    manifests = render("cluster-proxy", sets=sets)
    entrypoint = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")["spec"][
        "proxyServer"
    ]["entrypoint"]
    assert entrypoint["type"] == expected
    load_balancers = [
        m for m in manifests if m["kind"] == "Service" and m["spec"]["type"] == "LoadBalancer"
    ]
    assert len(load_balancers) == (1 if expected == "LoadBalancerService" else 0)


def test_hostname_entrypoint_uses_the_given_address_and_port() -> None:
    manifests = render(
        "cluster-proxy",
        sets=["proxyServer.entrypointAddress=proxy.example.com", "proxyServer.port=443"],
    )
    entrypoint = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")["spec"][
        "proxyServer"
    ]["entrypoint"]
    assert entrypoint == {
        "type": "Hostname",
        "hostname": {"value": "proxy.example.com"},
        "port": 443,
    }


def test_load_balancer_annotations_reach_service_and_configuration() -> None:
    manifests = render(
        "cluster-proxy",
        sets=["proxyServer.entrypointLoadBalancer=true", "proxyServer.renderInChart=true"],
        set_json=['proxyServer.loadBalancerAnnotations={"lb.example.com/internal":"true"}'],
    )
    service = find(manifests, "Service", "proxy-agent-entrypoint")
    assert service["metadata"]["annotations"] == {"lb.example.com/internal": "true"}
    assert {p["port"] for p in service["spec"]["ports"]} == {8090, 8091, 8096}
    balancer = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")["spec"]["proxyServer"][
        "entrypoint"
    ]["loadBalancerService"]
    assert balancer == {
        "name": "proxy-agent-entrypoint",
        "annotations": [{"key": "lb.example.com/internal", "value": "true"}],
    }


def test_exposed_services_render_in_upstream_format() -> None:
    manifests = render(
        "cluster-proxy",
        set_json=[
            'exposedServices=[{"namespace":"default","service":"hello","port":8080,'
            '"protocol":"http"},{"namespace":"monitoring","service":"grafana"}]'
        ],
    )
    config_map = find(manifests, "ConfigMap", "cluster-proxy-exposed-services")
    assert yaml.safe_load(config_map["data"]["services"]) == [
        # Upstream parses port as a string: an unquoted number would not load there.
        {"namespace": "default", "service": "hello", "port": "8080", "protocol": "http"},
        {"namespace": "monitoring", "service": "grafana"},
    ]


def test_own_placement_replaces_the_default_one() -> None:
    manifests = render(
        "cluster-proxy",
        sets=[
            "installByPlacement.placementName=prod",
            "installByPlacement.placementNamespace=fleet",
        ],
    )
    kinds = {m["kind"] for m in manifests}
    assert "Placement" not in kinds
    assert "ManagedClusterSetBinding" not in kinds
    cma = find(manifests, "ClusterManagementAddOn", "cluster-proxy")
    assert cma["spec"]["installStrategy"]["placements"][0]["name"] == "prod"
    assert cma["spec"]["installStrategy"]["placements"][0]["namespace"] == "fleet"


def test_v1alpha1_cluster_management_addon_matches_its_crd() -> None:
    manifests = render("cluster-proxy", sets=["addonApiVersion=v1alpha1"])
    cma = find(manifests, "ClusterManagementAddOn", "cluster-proxy")
    assert cma["apiVersion"] == "addon.open-cluster-management.io/v1alpha1"
    assert cma["spec"]["supportedConfigs"][0] == {
        "group": "proxy.open-cluster-management.io",
        "resource": "managedproxyconfigurations",
        "defaultConfig": {"name": "cluster-proxy"},
    }
    crd = _crd_schemas()[("addon.open-cluster-management.io", "v1alpha1", "ClusterManagementAddOn")]
    assert schema.validate(crd, cma) == []


def test_user_server_can_be_turned_off() -> None:
    manifests = render("cluster-proxy", sets=["userServer.enabled=false"])
    names = {f"{m['kind']}/{m['metadata']['name']}" for m in manifests}
    assert "Deployment/cluster-proxy-addon-user" not in names
    assert "Service/cluster-proxy-addon-user" not in names
    mpc = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")
    assert "userServer" not in mpc["spec"]


def test_additional_sans_reach_the_configuration() -> None:
    manifests = render("cluster-proxy", sets=["userServer.additionalSANs={proxy.example.com}"])
    mpc = find(manifests, "ManagedProxyConfiguration", "cluster-proxy")
    assert mpc["spec"]["userServer"] == {"additionalSANs": ["proxy.example.com"]}


def test_network_policies_admit_only_the_ports_each_component_serves() -> None:
    manifests = render(
        "cluster-proxy",
        sets=[
            "networkPolicies.enabled=true",
            "manager.enabled=true",
            "proxyServer.renderInChart=true",
        ],
    )
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    assert len(policies) == 3
    deployments = [m for m in manifests if m["kind"] == "Deployment"]
    for policy in policies:
        selector = policy["spec"]["podSelector"]["matchLabels"]
        [pods] = [d for d in deployments if d["spec"]["selector"]["matchLabels"] == selector]
        served = {
            port["containerPort"]
            for item in pods["spec"]["template"]["spec"]["containers"]
            for port in item.get("ports", [])
        }
        admitted = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        assert admitted == served, policy["metadata"]["name"]
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    user = find(manifests, "NetworkPolicy", "cluster-proxy-addon-user")
    to_proxy = user["spec"]["egress"][-1]
    assert to_proxy["ports"] == [{"protocol": "TCP", "port": 8090}]
    assert (
        to_proxy["to"][0]["podSelector"]["matchLabels"]
        == (find(manifests, "Deployment", "cluster-proxy")["spec"]["selector"]["matchLabels"])
    )


def test_agent_lane_off_renders_neither_flag_nor_port() -> None:
    manifests = render(
        "cluster-proxy",
        sets=[
            "proxyServer.renderInChart=true",
            "proxyServer.entrypointLoadBalancer=true",
            "networkPolicies.enabled=true",
            "proxyServer.agentLane.enabled=false",
        ],
    )
    server = container(find(manifests, "Deployment", "cluster-proxy"), "proxy-server")
    assert not [a for a in server["args"] if a.startswith("--agent-lane")]
    assert 8096 not in {p["containerPort"] for p in server["ports"]}
    for name in ("proxy-entrypoint", "proxy-agent-entrypoint"):
        service = find(manifests, "Service", name)
        assert {p["port"] for p in service["spec"]["ports"]} == {8090, 8091}, name
    policy = find(manifests, "NetworkPolicy", "cluster-proxy-proxy-server")
    assert {p["port"] for p in policy["spec"]["ingress"][0]["ports"]} == {8090, 8091, 8092}


def test_chart_and_manager_render_the_same_proxy_server_ports(
    cluster_proxy_self_contained: list[Manifest],
) -> None:
    """renderInChart is a stand-in for the manager: agents must find the same ports."""
    mpc = find(cluster_proxy_self_contained, "ManagedProxyConfiguration", "cluster-proxy")
    by_manager = {(o["kind"], o["metadata"]["name"]): o for o in hub_render.render(mpc)}
    manager_pod = by_manager[("Deployment", "cluster-proxy")]["spec"]["template"]["spec"]
    chart = container(
        find(cluster_proxy_self_contained, "Deployment", "cluster-proxy"), "proxy-server"
    )
    ports = {(p["name"], p["containerPort"]) for p in manager_pod["containers"][0]["ports"]}
    assert {(p["name"], p["containerPort"]) for p in chart["ports"]} == ports
    flags = [a for a in manager_pod["containers"][0]["args"] if a.split("=")[0].endswith("-port")]
    assert set(flags) <= set(chart["args"])
    service = find(cluster_proxy_self_contained, "Service", "proxy-entrypoint")
    manager_service = by_manager[("Service", "proxy-entrypoint")]
    assert {(p["name"], p["port"]) for p in service["spec"]["ports"]} == {
        (p["name"], p["port"]) for p in manager_service["spec"]["ports"]
    }


def test_network_policies_are_off_by_default(cluster_proxy_default: list[Manifest]) -> None:
    assert not [m for m in cluster_proxy_default if m["kind"] == "NetworkPolicy"]


def test_manager_can_be_left_to_another_process() -> None:
    manifests = render(
        "cluster-proxy",
        sets=[
            "manager.enabled=false",
            "networkPolicies.enabled=true",
            "proxyServer.renderInChart=true",
        ],
    )
    names = {f"{m['kind']}/{m['metadata']['name']}" for m in manifests}
    assert "Deployment/cluster-proxy-addon-manager" not in names
    assert "ServiceAccount/cluster-proxy-addon-manager" not in names
    assert "NetworkPolicy/cluster-proxy-addon-manager" not in names
    assert not [n for n in names if n.endswith("cluster-proxy:addon-manager")]
    assert "ClusterManagementAddOn/cluster-proxy" in names
    assert "Deployment/cluster-proxy" in names


def test_user_server_reads_the_hub_as_its_service_account(
    cluster_proxy_default: list[Manifest], tmp_path: Path
) -> None:
    deployment = find(cluster_proxy_default, "Deployment", "cluster-proxy-addon-user")
    args = container(deployment, "user-server")["args"]
    assert "--hub-kubeconfig=/etc/hub-kubeconfig/kubeconfig" in args
    config_map = find(cluster_proxy_default, "ConfigMap", "cluster-proxy-addon-user-hub-kubeconfig")
    # Load it with our own client, the service-account directory moved to a temporary one.
    account = "/var/run/secrets/kubernetes.io/serviceaccount"
    (tmp_path / "ca.crt").write_text("ca")
    (tmp_path / "token").write_text("token")
    text = config_map["data"]["kubeconfig"].replace(account, str(tmp_path))
    config = KubeConfig.from_kubeconfig_data(yaml.safe_load(text))
    assert config.server == "https://kubernetes.default.svc"
    assert config.ca_file == str(tmp_path / "ca.crt")
    assert config.token is not None
    assert config.token.path == str(tmp_path / "token")
