"""The cluster-proxy add-on manager against a real embedded hub (`ocm apiserver`, CRDs from the
charts): Placements install ManagedClusterAddOns and ManifestWorks carrying the proxy-agent;
changing an AddOnDeploymentConfig re-renders the work and changes the spec hash in status; the
add-on kinds are served in both versions through the conversion hook; the agent's Lease makes
the add-on Available."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from ocm_core.addon.cluster_proxy import build_controllers
from ocm_core.api import addon, gvr, proxy
from ocm_core.api.gvr import Resource
from ocm_core.api.spechash import config_spec_hash
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.runtime import Manager
from tests.support.apiserver_process import ApiServerProcess

REPO = Path(__file__).resolve().parents[3]
CRD_DIRS = (REPO / "charts/ocm-hub/crds", REPO / "charts/cluster-proxy/crds")
DEADLINE = 30.0
T = TypeVar("T")
CLUSTERS = ("c1", "c2")
WORK = addon.deploy_work_name(proxy.ADDON_NAME, 0)


async def eventually(check: Callable[[], Awaitable[T | None]], *, what: str) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while True:
        try:
            result = await check()
        except errors.NotFoundError:
            result = None
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path_factory.mktemp("hub"))
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
async def api(hub: ApiServerProcess) -> AsyncIterator[ApiClient]:
    async with ApiClient(KubeConfig.from_kubeconfig(hub.kubeconfig)) as client:
        await install_crds(client)
        yield client


async def install_crds(api: ApiClient) -> None:
    for directory in CRD_DIRS:
        for path in sorted(directory.glob("*.yaml")):
            crd = yaml.safe_load(path.read_text())
            with contextlib.suppress(errors.AlreadyExistsError):
                await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, crd)
    for resource in (
        gvr.PLACEMENTS,
        gvr.MANAGED_CLUSTER_ADDONS,
        gvr.MANAGED_PROXY_CONFIGURATIONS,
        gvr.PLACEMENT_DECISIONS,
    ):
        await eventually(functools.partial(api.list, resource), what=f"{resource} served")


async def ensure(api: ApiClient, resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return await api.create(resource, body)
    except errors.AlreadyExistsError:
        meta = body["metadata"]
        return await api.get(resource, meta["name"], namespace=meta.get("namespace"))


async def seed_hub(api: ApiClient) -> None:
    for namespace in (*CLUSTERS, "apps"):
        await ensure(api, gvr.NAMESPACES, {"metadata": {"name": namespace}})
    for name in CLUSTERS:
        await ensure(
            api,
            gvr.MANAGED_CLUSTERS,
            {
                "apiVersion": gvr.MANAGED_CLUSTERS.api_version,
                "kind": "ManagedCluster",
                "metadata": {"name": name},
                "spec": {"hubAcceptsClient": True},
            },
        )
    await ensure(
        api,
        gvr.MANAGED_PROXY_CONFIGURATIONS,
        {
            "apiVersion": gvr.MANAGED_PROXY_CONFIGURATIONS.api_version,
            "kind": "ManagedProxyConfiguration",
            "metadata": {"name": proxy.CONFIGURATION_NAME},
            "spec": {
                "authentication": {"signer": {"type": "SelfSigned"}},
                "proxyServer": {
                    "image": "ocm/cluster-proxy:test",
                    "replicas": 1,
                    "entrypoint": {
                        "type": "Hostname",
                        "hostname": {"value": "proxy.hub.test"},
                        "port": 8091,
                    },
                },
                "proxyAgent": {"image": "ocm/cluster-proxy:test", "replicas": 1},
            },
        },
    )
    await ensure(
        api,
        gvr.CLUSTER_MANAGEMENT_ADDONS,
        {
            "apiVersion": gvr.CLUSTER_MANAGEMENT_ADDONS.api_version,
            "kind": "ClusterManagementAddOn",
            "metadata": {"name": proxy.ADDON_NAME},
            "spec": {
                "defaultConfigs": [
                    {
                        "group": gvr.PROXY_GROUP,
                        "resource": "managedproxyconfigurations",
                        "name": proxy.CONFIGURATION_NAME,
                    }
                ],
                "installStrategy": {
                    "type": "Placements",
                    "placements": [{"namespace": "apps", "name": proxy.PLACEMENT_NAME}],
                },
            },
        },
    )
    await ensure(
        api,
        gvr.PLACEMENTS,
        {
            "apiVersion": gvr.PLACEMENTS.api_version,
            "kind": "Placement",
            "metadata": {"name": proxy.PLACEMENT_NAME, "namespace": "apps"},
            "spec": {"clusterSets": ["global"]},
        },
    )
    # The placement controller is another component: write the decision it would make.
    decision_name = f"{proxy.PLACEMENT_NAME}-decision-1"
    await ensure(
        api,
        gvr.PLACEMENT_DECISIONS,
        {
            "apiVersion": gvr.PLACEMENT_DECISIONS.api_version,
            "kind": "PlacementDecision",
            "metadata": {
                "name": decision_name,
                "namespace": "apps",
                "labels": {"cluster.open-cluster-management.io/placement": proxy.PLACEMENT_NAME},
            },
        },
    )
    await api.patch(
        gvr.PLACEMENT_DECISIONS,
        decision_name,
        {"status": {"decisions": [{"clusterName": c, "reason": ""} for c in CLUSTERS]}},
        namespace="apps",
        subresource="status",
    )


def agent_container(work: dict[str, Any]) -> dict[str, Any]:
    deployment = next(m for m in work["spec"]["workload"]["manifests"] if m["kind"] == "Deployment")
    return dict(deployment["spec"]["template"]["spec"]["containers"][0])


def adc_hash(mca: dict[str, Any]) -> str | None:
    for entry in (mca.get("status") or {}).get("configReferences") or ():
        if entry.get("resource") == "addondeploymentconfigs":
            return str(entry["desiredConfig"]["specHash"])
    return None


async def test_manager_installs_renders_and_rerenders(api: ApiClient) -> None:
    await seed_hub(api)
    manager = Manager(api)
    build_controllers(manager)
    running = asyncio.create_task(manager.run())
    try:
        for cluster in CLUSTERS:
            work = await eventually(
                functools.partial(api.get, gvr.MANIFEST_WORKS, WORK, namespace=cluster),
                what=f"the proxy-agent ManifestWork in {cluster}",
            )
            assert f"--cluster-name={cluster}" in agent_container(work)["args"]
            assert work["metadata"]["labels"][addon.ADDON_NAME_LABEL] == proxy.ADDON_NAME
        mca = await api.get(gvr.MANAGED_CLUSTER_ADDONS, proxy.ADDON_NAME, namespace="c1")
        owner = mca["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ClusterManagementAddOn"

        adc = await ensure(
            api,
            gvr.ADDON_DEPLOYMENT_CONFIGS,
            {
                "apiVersion": gvr.ADDON_DEPLOYMENT_CONFIGS.api_version,
                "kind": "AddOnDeploymentConfig",
                "metadata": {"name": "proxy-env", "namespace": "c1"},
                "spec": {"proxyConfig": {"httpsProxy": "http://squid-a:3128"}},
            },
        )
        await api.patch(
            gvr.MANAGED_CLUSTER_ADDONS,
            proxy.ADDON_NAME,
            {
                "spec": {
                    "configs": [
                        {
                            "group": gvr.ADDON_GROUP,
                            "resource": "addondeploymentconfigs",
                            "namespace": "c1",
                            "name": "proxy-env",
                        }
                    ]
                }
            },
            namespace="c1",
        )

        async def rendered_with(proxy_url: str) -> dict[str, Any] | None:
            work = await api.get(gvr.MANIFEST_WORKS, WORK, namespace="c1")
            env = agent_container(work).get("env") or []
            return work if {"name": "HTTPS_PROXY", "value": proxy_url} in env else None

        first_work = await eventually(
            lambda: rendered_with("http://squid-a:3128"), what="ADC proxy env in the work"
        )
        mca = await eventually(
            lambda: _mca_with_hash(api, config_spec_hash(adc)), what="the ADC spec hash in status"
        )
        first_hash = adc_hash(mca)

        adc["spec"]["proxyConfig"]["httpsProxy"] = "http://squid-b:3128"
        adc = await api.replace(gvr.ADDON_DEPLOYMENT_CONFIGS, adc, namespace="c1")
        second_work = await eventually(
            lambda: rendered_with("http://squid-b:3128"), what="the re-rendered work"
        )
        mca = await eventually(
            lambda: _mca_with_hash(api, config_spec_hash(adc)), what="the new spec hash in status"
        )
        assert adc_hash(mca) != first_hash
        annotation = addon.CONFIG_SPEC_HASH_ANNOTATION
        assert (
            second_work["metadata"]["annotations"][annotation]
            != first_work["metadata"]["annotations"][annotation]
        )
        assert config_spec_hash(adc) in second_work["metadata"]["annotations"][annotation]

        other = await api.get(gvr.MANIFEST_WORKS, WORK, namespace="c2")
        assert not agent_container(other).get("env"), "c2 has no ADC: its agent is unchanged"

        v1alpha1 = Resource(
            gvr.ADDON_GROUP, "v1alpha1", "managedclusteraddons", True, "ManagedClusterAddOn"
        )
        old = await api.get(v1alpha1, proxy.ADDON_NAME, namespace="c1")
        assert old["apiVersion"] == f"{gvr.ADDON_GROUP}/v1alpha1"
        assert any(
            r.get("signerName") == proxy.AGENT_SIGNER_NAME for r in old["status"]["registrations"]
        )

        await api.create(
            gvr.LEASES,
            {
                "metadata": {"name": proxy.ADDON_NAME, "namespace": "c1"},
                "spec": {"holderIdentity": "agent", "renewTime": _now_micro()},
            },
            namespace="c1",
        )
        await eventually(lambda: _available(api, "c1"), what="Available=True from the lease")
    finally:
        manager.stop()
        await asyncio.wait_for(running, DEADLINE)


async def _mca_with_hash(api: ApiClient, wanted: str) -> dict[str, Any] | None:
    mca = await api.get(gvr.MANAGED_CLUSTER_ADDONS, proxy.ADDON_NAME, namespace="c1")
    return mca if adc_hash(mca) == wanted else None


def _now_micro() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _available(api: ApiClient, cluster: str) -> bool:
    mca = await api.get(gvr.MANAGED_CLUSTER_ADDONS, proxy.ADDON_NAME, namespace=cluster)
    conditions = (mca.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Available" and c["status"] == "True" for c in conditions)


async def ocm(hub: ApiServerProcess, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocm_core.cli", *args, "--kubeconfig", str(hub.kubeconfig),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), DEADLINE)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_cli_lists_addons_and_writes_a_proxy_kubeconfig(
    api: ApiClient, hub: ApiServerProcess
) -> None:
    await seed_hub(api)
    manager = Manager(api)
    build_controllers(manager)
    running = asyncio.create_task(manager.run())
    try:
        await eventually(
            functools.partial(
                api.get, gvr.SECRETS, proxy.PROXY_SERVER_CA_SECRET,
                namespace=proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
            ),
            what="the proxy-server-ca bundle",
        )  # fmt: skip
        for cluster in CLUSTERS:
            await eventually(
                functools.partial(api.get, gvr.MANIFEST_WORKS, WORK, namespace=cluster),
                what=f"the work in {cluster}",
            )
        table = await ocm(hub, "get", "addons")
        rows = [line.split()[:2] for line in table.splitlines()]
        assert rows[0] == ["CLUSTER", "ADDON"]
        assert ["c1", proxy.ADDON_NAME] in rows
        assert ["c2", proxy.ADDON_NAME] in rows

        text = await ocm(hub, "proxy", "kubeconfig", "c1", "--user-server", "127.0.0.1:9092")
        document = yaml.safe_load(text)
        cluster = document["clusters"][0]["cluster"]
        assert cluster["server"] == "https://127.0.0.1:9092/c1"
        secret = await api.get(
            gvr.SECRETS,
            proxy.PROXY_SERVER_CA_SECRET,
            namespace=proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
        )
        assert cluster["certificate-authority-data"] == secret["data"]["ca.crt"]
        hub_config = yaml.safe_load(hub.kubeconfig.read_text())
        assert document["users"][0]["user"] == hub_config["users"][0]["user"]
    finally:
        manager.stop()
        await asyncio.wait_for(running, DEADLINE)
