"""cluster-proxy on the fake API: agent rendering (golden key fields), exposure lists, the
agent's registration subject, hub rendering per entrypoint type, and CA rotation with overlap."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from ocm_core import pki
from ocm_core.addon.cluster_proxy import (
    ClusterProxyControllers,
    build_controllers,
    hub_render,
    leaf,
    signer,
)
from ocm_core.addon.cluster_proxy.addon import HubState
from ocm_core.addon.cluster_proxy.configuration import ManagedProxyConfigurationController
from ocm_core.addon.cluster_proxy.exposure import AllowListError, parse_allow_list
from ocm_core.api import addon, gvr, proxy
from ocm_core.runtime import FakeClock, Manager
from proxy_server.config import build_parser as build_server_parser
from proxy_server.identity import agent_subject, cluster_of_name
from tests.support.fake_kube import FakeKubeApi
from tests.unit.addon.conftest import Harness, adc, cluster, mca

MPC_KEY = proxy.CONFIGURATION_NAME
MCA_KEY = "c1/cluster-proxy"


def mpc(entrypoint: dict[str, Any] | None = None, **server: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": proxy.CONFIGURATION_NAME},
        "spec": {
            "authentication": {"signer": {"type": "SelfSigned"}},
            "proxyServer": {
                "image": "ocm/cluster-proxy:v1",
                "replicas": 2,
                "entrypoint": entrypoint
                or {"type": "Hostname", "hostname": {"value": "proxy.hub.example"}, "port": 8091},
                **server,
            },
            "proxyAgent": {"image": "ocm/cluster-proxy:v1", "replicas": 1},
            "userServer": {"additionalSANs": ["users.hub.example"]},
        },
    }


@pytest.fixture
def built() -> tuple[Harness, ClusterProxyControllers]:
    api, clock = FakeKubeApi(), FakeClock()
    manager = Manager(api, clock=clock)
    controllers = build_controllers(manager)
    return Harness(api, clock, manager), controllers


def mpc_default_config() -> dict[str, Any]:
    return {
        "metadata": {"name": proxy.ADDON_NAME},
        "spec": {
            "defaultConfigs": [
                {
                    "group": gvr.PROXY_GROUP,
                    "resource": "managedproxyconfigurations",
                    "name": proxy.CONFIGURATION_NAME,
                }
            ]
        },
    }


async def install(harness: Harness, *, with_adc: bool = False) -> dict[str, Any]:
    harness.put(gvr.MANAGED_PROXY_CONFIGURATIONS, mpc())
    await harness.run("managedproxyconfiguration", MPC_KEY)
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1", clusterset="shop-set"))
    harness.put(gvr.CLUSTER_MANAGEMENT_ADDONS, mpc_default_config())
    configs = []
    if with_adc:
        harness.put(
            gvr.ADDON_DEPLOYMENT_CONFIGS,
            adc(
                "proxy-env",
                "c1",
                proxyConfig={"httpsProxy": "http://squid:3128"},
                agentInstallNamespace="cp-agent",
            ),
        )
        configs = [
            {
                "group": gvr.ADDON_GROUP,
                "resource": "addondeploymentconfigs",
                "namespace": "c1",
                "name": "proxy-env",
            }
        ]
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca(proxy.ADDON_NAME, "c1", configs=configs))
    await harness.run("managedclusteraddon", MCA_KEY)
    work = harness.get(gvr.MANIFEST_WORKS, addon.deploy_work_name(proxy.ADDON_NAME, 0), "c1")
    assert work is not None, "no ManifestWork for the proxy-agent"
    return work


def manifest(work: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(m for m in work["spec"]["workload"]["manifests"] if m["kind"] == kind)


async def test_agent_is_rendered_per_cluster(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, controllers = built
    work = await install(harness)

    deployment = manifest(work, "Deployment")
    assert deployment["metadata"] == {
        "name": proxy.AGENT_DEPLOYMENT,
        "namespace": proxy.AGENT_INSTALL_NAMESPACE_DEFAULT,
    }
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["proxy-agent"]
    assert "--cluster-name=c1" in container["args"]
    assert "--kube-apiserver=kubernetes.default.svc:443" in container["args"]
    assert "--proxy-server-host=proxy.hub.example" in container["args"]
    assert "--proxy-server-port=8091" in container["args"]
    assert "--exposure-file=/etc/exposure/exposure.yaml" in container["args"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["agent-cert"]["secret"]["secretName"] == proxy.SPOKE_AGENT_CERT_SECRET
    ca_secret = manifest(work, "Secret")
    bundle = base64.b64decode(ca_secret["data"][proxy.CA_CERT_KEY])
    assert controllers.state.signer is not None
    assert bundle == controllers.state.signer.bundle.pem()
    exposure = yaml.safe_load(manifest(work, "ConfigMap")["data"]["exposure.yaml"])
    assert exposure == {
        "cluster": "c1",
        "kubeApiServer": "kubernetes.default.svc:443",
        "services": [],
    }


async def test_agent_registration_subject_binds_the_cluster(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, _ = built
    await install(harness)
    status = harness.get(gvr.MANAGED_CLUSTER_ADDONS, proxy.ADDON_NAME, "c1")
    assert status is not None
    custom = next(r for r in status["status"]["registrations"] if r["type"] == "customSigner")
    common_name, organization = agent_subject("c1", proxy.ADDON_NAME, "proxy-agent")
    assert custom["customSigner"]["signerName"] == proxy.AGENT_SIGNER_NAME
    assert custom["customSigner"]["subject"]["user"] == common_name
    assert custom["customSigner"]["subject"]["groups"] == [organization]
    assert cluster_of_name(common_name) == "c1"
    assert custom["customSigner"]["subject"]["organizationUnits"][0].startswith("signer-")


async def test_adc_proxy_env_and_namespace_reach_the_agent(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, _ = built
    work = await install(harness, with_adc=True)
    deployment = manifest(work, "Deployment")
    assert deployment["metadata"]["namespace"] == "cp-agent"
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "HTTPS_PROXY", "value": "http://squid:3128"} in env


async def test_resolvers_and_allow_list_feed_the_exposure_file(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, controllers = built
    harness.put(
        gvr.MANAGED_PROXY_SERVICE_RESOLVERS,
        {
            "metadata": {"name": "shop-api"},
            "spec": {
                "managedClusterSelector": {
                    "type": "ManagedClusterSet",
                    "managedClusterSet": {"name": "shop-set"},
                },
                "serviceSelector": {
                    "type": "ServiceRef",
                    "serviceRef": {"namespace": "shop", "name": "api"},
                },
            },
        },
    )
    harness.put(
        gvr.MANAGED_PROXY_SERVICE_RESOLVERS,
        {
            "metadata": {"name": "elsewhere"},
            "spec": {
                "managedClusterSelector": {"managedClusterSet": {"name": "other-set"}},
                "serviceSelector": {"serviceRef": {"namespace": "x", "name": "y"}},
            },
        },
    )
    allow = {
        "metadata": {
            "name": proxy.EXPOSED_SERVICES_CONFIGMAP,
            "namespace": proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
        },
        "data": {"monitoring": "- {namespace: monitoring, service: prometheus, port: 9090}\n"},
    }
    assert controllers.addon.update_allow_list(allow)
    work = await install(harness)
    exposure = yaml.safe_load(manifest(work, "ConfigMap")["data"]["exposure.yaml"])
    assert exposure["services"] == [
        {"namespace": "monitoring", "name": "prometheus", "port": 9090},
        {"namespace": "shop", "name": "api"},
    ]


def test_allow_list_parsing_is_strict() -> None:
    good = {
        "data": {
            "a": "- {namespace: n, service: s}\n"
            "- {namespace: n, service: t, port: 80, protocol: http}"
        }
    }
    assert [s.name for s in parse_allow_list(good)] == ["s", "t"]
    with pytest.raises(AllowListError, match="unknown field"):
        parse_allow_list({"data": {"a": "- {namespace: n, service: s, host: evil}"}})
    with pytest.raises(AllowListError, match="port"):
        parse_allow_list({"data": {"a": "- {namespace: n, service: s, port: 0}"}})
    assert parse_allow_list(None) == []


async def test_agent_csr_is_signed_with_the_cluster_proxy_ca(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, controllers = built
    await install(harness)
    common_name, organization = agent_subject("c1", proxy.ADDON_NAME, "proxy-agent")
    assert controllers.state.signer is not None
    ou = signer.ou_for(controllers.state.signer.current)
    key = pki.generate_private_key()
    request = pki.create_csr(key, user=common_name, groups=[organization], organizational_unit=ou)
    harness.put(
        gvr.CERTIFICATE_SIGNING_REQUESTS,
        {
            "metadata": {
                "name": "addon-c1-cluster-proxy-1",
                "labels": {
                    "open-cluster-management.io/cluster-name": "c1",
                    addon.ADDON_NAME_LABEL: proxy.ADDON_NAME,
                },
            },
            "spec": {
                "signerName": proxy.AGENT_SIGNER_NAME,
                "request": base64.b64encode(request).decode(),
                "usages": ["digital signature", "key encipherment", "client auth"],
                "username": "system:open-cluster-management:c1:agent",
            },
            "status": {"conditions": [{"type": "Approved", "status": "True"}]},
        },
    )
    await harness.run("addon-csr", "addon-c1-cluster-proxy-1")
    stored = harness.get(gvr.CERTIFICATE_SIGNING_REQUESTS, "addon-c1-cluster-proxy-1")
    assert stored is not None
    certificate = pki.load_certificate_pem(base64.b64decode(stored["status"]["certificate"]))
    assert pki.is_issued_by(certificate, controllers.state.signer.current.certificate)


# -- hub side ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entrypoint", "extra_kinds"),
    [
        ({"type": "Hostname", "hostname": {"value": "h.example"}}, []),
        (
            {
                "type": "LoadBalancerService",
                "loadBalancerService": {
                    "name": "lb",
                    "annotations": [{"key": "cloud/x", "value": "y"}],
                },
            },
            ["Service"],
        ),
        ({"type": "PortForward"}, ["Role", "RoleBinding"]),
    ],
)
def test_hub_render_per_entrypoint(entrypoint: dict[str, Any], extra_kinds: list[str]) -> None:
    objects = hub_render.render(mpc(entrypoint))
    kinds = [o["kind"] for o in objects]
    assert kinds == ["ServiceAccount", "Deployment", "Service", *extra_kinds]
    deployment = objects[1]
    assert deployment["spec"]["replicas"] == 2
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--server-count=2" in args
    assert "--proxy-strategies=destHost" in args
    assert objects[2]["metadata"]["name"] == proxy.ENTRYPOINT_SERVICE
    assert [p["port"] for p in objects[2]["spec"]["ports"]] == [8090, 8091, 8096]
    if entrypoint["type"] == "LoadBalancerService":
        assert objects[3]["spec"]["type"] == "LoadBalancer"
        assert objects[3]["metadata"]["annotations"]["cloud/x"] == "y"
        assert [p["port"] for p in objects[3]["spec"]["ports"]] == [8090, 8091, 8096]


def test_hub_render_opens_the_agent_lane_on_8096() -> None:
    """Deployment flag, container port and Service port agree, so agents that reach the
    entrypoint host reach the lane the server advertises (its bound port)."""
    objects = hub_render.render(mpc())
    container = objects[1]["spec"]["template"]["spec"]["containers"][0]
    assert "--agent-lane-port=8096" in container["args"]
    assert {"name": "agent-lane", "containerPort": 8096} in container["ports"]
    (lane,) = [p for p in objects[2]["spec"]["ports"] if p["name"] == "agent-lane"]
    assert lane["port"] == lane["targetPort"] == proxy.AGENT_LANE_PORT == 8096


def test_hub_render_lets_additional_args_advertise_another_lane_port() -> None:
    configuration = mpc()
    configuration["spec"]["proxyServer"]["additionalArgs"] = ["--agent-lane-advertised-port=443"]
    args = hub_render.render(configuration)[1]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args.index("--agent-lane-port=8096") < args.index("--agent-lane-advertised-port=443")
    parsed = build_server_parser().parse_args(args)
    assert (parsed.agent_lane_port, parsed.agent_lane_advertised_port) == ("8096", 443)


def test_hub_render_lets_additional_args_turn_the_lane_off() -> None:
    configuration = mpc()
    configuration["spec"]["proxyServer"]["additionalArgs"] = ["--agent-lane-port=off"]
    args = hub_render.render(configuration)[1]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert build_server_parser().parse_args(args).agent_lane_port == "off"  # the last one counts


async def test_configuration_controller_deploys_server_and_certificates(
    built: tuple[Harness, ClusterProxyControllers],
) -> None:
    harness, _ = built
    harness.put(gvr.MANAGED_PROXY_CONFIGURATIONS, mpc())
    await harness.run("managedproxyconfiguration", MPC_KEY)
    namespace = proxy.PROXY_SERVER_NAMESPACE_DEFAULT
    assert harness.get(gvr.SECRETS, proxy.SIGNER_SECRET_NAME, "default") is not None
    for name in (
        proxy.PROXY_SERVER_SECRET,
        proxy.AGENT_SERVER_SECRET,
        proxy.PROXY_CLIENT_SECRET,
        proxy.USER_SERVER_SECRET,
    ):
        assert harness.get(gvr.SECRETS, name, namespace) is not None, name
    server = harness.get(gvr.SECRETS, proxy.PROXY_SERVER_SECRET, namespace)
    assert server is not None
    certificate = pki.load_certificate_pem(base64.b64decode(server["data"]["tls.crt"]))
    dns, _ = pki.certificate_sans(certificate)
    assert {
        "proxy.hub.example",
        "proxy-entrypoint.open-cluster-management-cluster-proxy",
        "localhost",
    } <= dns
    assert harness.get(gvr.DEPLOYMENTS, "cluster-proxy", namespace) is not None
    stored = harness.get(gvr.MANAGED_PROXY_CONFIGURATIONS, MPC_KEY)
    assert stored is not None
    conditions = {c["type"]: c for c in stored["status"]["conditions"]}
    assert conditions[proxy.CONDITION_PROXY_SERVER_DEPLOYED]["status"] == "True"
    assert conditions[proxy.CONDITION_AGENT_SERVER_SECRET_SIGNED]["message"].startswith("Expiry:")
    assert proxy.CONDITION_USER_SERVER_SECRET_SIGNED in conditions

    writes = len([c for c in harness.api.calls if c.verb in ("create", "replace")])
    await harness.run("managedproxyconfiguration", MPC_KEY)
    again = len([c for c in harness.api.calls if c.verb in ("create", "replace")])
    assert again == writes, "a second reconcile with nothing changed writes nothing"


def test_leaf_rotation_timing() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    state = signer.advance(None, now=now)
    spec = leaf.leaf_specs(mpc(), entrypoint_address="h")[0]
    data = leaf.issue(spec, state, now)
    assert leaf.reissue_reason(data, spec, state.current, now) is None
    validity = dt.timedelta(days=proxy.CERT_VALIDITY_DAYS)
    assert leaf.reissue_reason(data, spec, state.current, now + validity * 0.7) is None
    assert leaf.reissue_reason(data, spec, state.current, now + validity * 0.81) is not None
    other = leaf.leaf_specs(
        mpc({"type": "Hostname", "hostname": {"value": "moved.example"}}),
        entrypoint_address="moved.example",
    )[0]
    assert "SANs" in str(leaf.reissue_reason(data, other, state.current, now))


def test_ca_rotation_overlaps() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    validity = dt.timedelta(days=100)
    overlap = dt.timedelta(hours=1)
    first = signer.advance(None, now=now, validity=validity)
    assert len(first.bundle) == 1
    assert signer.advance(first, now=now + dt.timedelta(days=50), validity=validity) == first

    staged_at = now + dt.timedelta(days=81)
    staged = signer.advance(first, now=staged_at, validity=validity, overlap=overlap)
    assert staged.staged is not None
    assert staged.current == first.current, "leaf certificates keep the old CA while staged"
    assert len(staged.bundle) == 2, "the new CA is trusted before anything uses it"

    # Stored and loaded back (the Secret round trip) the state is the same.
    annotations = {k: v for k, v in staged.annotations().items()}
    data = staged.secret_data()
    reloaded = signer.load(copy.deepcopy(data), annotations)
    assert reloaded is not None
    assert reloaded.secret_data() == data

    still = signer.advance(
        reloaded, now=staged_at + overlap / 2, validity=validity, overlap=overlap
    )
    assert still.current.certificate == first.current.certificate
    promoted = signer.advance(still, now=staged_at + overlap, validity=validity, overlap=overlap)
    assert promoted.current.certificate == staged.staged.certificate
    assert promoted.staged is None
    assert len(promoted.bundle) == 2, "the old CA stays trusted until it expires"
    later = signer.advance(promoted, now=now + validity + dt.timedelta(days=1), validity=validity)
    assert [c.serial_number for c in later.bundle.certificates] == [
        staged.staged.certificate.serial_number
    ]


async def test_ca_rotation_through_the_controller_keeps_leaves_until_promotion() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    manager = Manager(api, clock=clock)
    harness = Harness(api, clock, manager)
    state = HubState()
    configurations = manager.informer(gvr.MANAGED_PROXY_CONFIGURATIONS)
    rerenders: list[int] = []
    validity, overlap = dt.timedelta(days=100), dt.timedelta(hours=1)
    controller = ManagedProxyConfigurationController(
        api,
        state,
        configurations=configurations,
        clock=clock,
        signer_namespace="default",
        on_agents_changed=lambda: rerenders.append(1),
        ca_validity=validity,
        ca_overlap=overlap,
    )
    harness.put(gvr.MANAGED_PROXY_CONFIGURATIONS, mpc())
    namespace = proxy.PROXY_SERVER_NAMESPACE_DEFAULT

    def agent_server_cert() -> Any:
        secret = harness.get(gvr.SECRETS, proxy.AGENT_SERVER_SECRET, namespace)
        assert secret is not None
        return pki.load_certificate_pem(base64.b64decode(secret["data"]["tls.crt"]))

    def trusted() -> list[Any]:
        secret = harness.get(gvr.SECRETS, proxy.PROXY_SERVER_CA_SECRET, namespace)
        assert secret is not None
        return pki.load_certificates_pem(base64.b64decode(secret["data"]["ca.crt"]))

    await controller.reconcile(MPC_KEY)
    harness.sync()
    first_ca = state.signer.current.certificate if state.signer else None
    first_leaf = agent_server_cert()
    assert len(trusted()) == 1
    assert rerenders == [1]

    await clock.advance(dt.timedelta(days=81).total_seconds())
    await controller.reconcile(MPC_KEY)
    harness.sync()
    assert len(trusted()) == 2, "the new CA is in the bundle first"
    assert agent_server_cert().serial_number == first_leaf.serial_number, "leaves not switched yet"
    assert len(rerenders) == 2, "agents get the new bundle"

    await clock.advance(overlap.total_seconds())
    await controller.reconcile(MPC_KEY)
    harness.sync()
    assert state.signer is not None
    assert state.signer.current.certificate != first_ca
    new_leaf = agent_server_cert()
    assert pki.is_issued_by(new_leaf, state.signer.current.certificate), "leaves switched"
    assert first_ca in trusted(), "the old CA stays trusted while old certificates live"
    assert len(rerenders) == 3, "agents re-render (new certificate OU)"
