"""The certificates and agent configuration the cluster-proxy manager produces work with the real
tunnel: the proxy-server runs on the `agent-server`/`proxy-server` Secrets and the CA bundle,
the agent's certificate comes through the add-on CSR flow (spoke request -> hub approval for an
accepted cluster -> signing with the cluster-proxy CA -> spoke Secret), and the proxy-agent,
started with the rendered arguments and exposure file, connects and is bound to its cluster."""

from __future__ import annotations

import asyncio
import base64
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocm_core.addon.cluster_proxy import build_controllers
from ocm_core.addon.controllers.csr import CSR_APPROVED
from ocm_core.addon.spoke import AddonCredentialsAgent
from ocm_core.api import addon, gvr, proxy
from ocm_core.runtime import Manager, RealClock
from tests.support.fake_kube import FakeKubeApi
from tests.support.procs import Proc
from tests.support.tunnel_procs import Running

CLUSTER = "c1"
DEADLINE = 30.0
REQUESTER = f"system:open-cluster-management:{CLUSTER}:registration-agent"


class Hub:
    """The manager's reconcilers over a fake hub, stepped explicitly."""

    def __init__(self) -> None:
        self.api = FakeKubeApi()
        self.manager = Manager(self.api, clock=RealClock())
        self.controllers = build_controllers(self.manager)

    def sync(self) -> None:
        for informer in self.manager.informers:
            informer.cache.replace(
                [
                    copy.deepcopy(obj)
                    for (resource, namespace, _), obj in self.api.objects.items()
                    if resource == informer.resource
                    and (informer.namespace is None or namespace == informer.namespace)
                ]
            )

    async def run(self, controller: str, key: str) -> None:
        reconciler = next(c.reconciler for c in self.manager.controllers if c.name == controller)
        await reconciler.reconcile(key)
        self.sync()

    def secret_bytes(self, name: str, key: str) -> bytes:
        secret = self.api.objects[(gvr.SECRETS, proxy.PROXY_SERVER_NAMESPACE_DEFAULT, name)]
        return base64.b64decode(secret["data"][key])


@pytest.fixture
async def procs() -> AsyncIterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        await proc.stop(timeout=5)


async def eventually_ready_backends(server: Running, wanted: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while (await server.metrics()).get(
        "konnectivity_network_proxy_server_ready_backends"
    ) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"the server never had {wanted} ready backend(s)")
        await asyncio.sleep(0.1)


async def issue_agent_certificate(hub: Hub) -> tuple[bytes, bytes]:
    """Spoke CSR -> hub approval -> signing -> spoke Secret; returns (cert, key) PEM."""
    spoke = FakeKubeApi()
    agent = AddonCredentialsAgent(
        hub.api, spoke, cluster=CLUSTER, addon_name=proxy.ADDON_NAME, clock=RealClock()
    )
    await agent.sync()
    (csr_key,) = [
        key
        for key, obj in hub.api.objects.items()
        if key[0] == gvr.CERTIFICATE_SIGNING_REQUESTS
        and obj["spec"]["signerName"] == proxy.AGENT_SIGNER_NAME
    ]
    csr = hub.api.objects[csr_key]
    csr["spec"]["username"] = REQUESTER  # the API server records the requester
    hub.sync()
    await hub.run("addon-csr", csr_key[2])
    approval = next(c for c in hub.api.calls if c.options.get("subresource") == "approval")
    csr = hub.api.objects[csr_key]
    csr["status"] = approval.body["status"]  # what the approval subresource stores
    assert csr["status"]["conditions"][0]["type"] == CSR_APPROVED
    hub.sync()
    await hub.run("addon-csr", csr_key[2])
    await agent.sync()
    namespace = proxy.AGENT_INSTALL_NAMESPACE_DEFAULT
    secret = spoke.objects[(gvr.SECRETS, namespace, proxy.SPOKE_AGENT_CERT_SECRET)]
    return base64.b64decode(secret["data"]["tls.crt"]), base64.b64decode(secret["data"]["tls.key"])


def rendered(work: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(m for m in work["spec"]["workload"]["manifests"] if m["kind"] == kind)


async def test_rendered_agent_connects_with_its_addon_certificate(
    tmp_path: Path, procs: list[Proc]
) -> None:
    hub = Hub()
    hub.api.seed(
        gvr.MANAGED_PROXY_CONFIGURATIONS,
        {
            "metadata": {"name": proxy.CONFIGURATION_NAME},
            "spec": {
                "authentication": {"signer": {"type": "SelfSigned"}},
                "proxyServer": {
                    "image": "x",
                    "replicas": 1,
                    "entrypoint": {"type": "Hostname", "hostname": {"value": "127.0.0.1"}},
                },
                "proxyAgent": {"image": "x", "replicas": 1},
            },
        },
    )
    hub.api.seed(
        gvr.MANAGED_CLUSTERS, {"metadata": {"name": CLUSTER}, "spec": {"hubAcceptsClient": True}}
    )
    hub.api.seed(
        gvr.MANAGED_CLUSTER_ADDONS,
        {"metadata": {"name": proxy.ADDON_NAME, "namespace": CLUSTER}, "spec": {}},
    )
    hub.sync()
    await hub.run("managedproxyconfiguration", proxy.CONFIGURATION_NAME)
    await hub.run("managedclusteraddon", f"{CLUSTER}/{proxy.ADDON_NAME}")

    files = {
        "ca.crt": hub.secret_bytes(proxy.PROXY_SERVER_CA_SECRET, "ca.crt"),
        "agent-server.crt": hub.secret_bytes(proxy.AGENT_SERVER_SECRET, "tls.crt"),
        "agent-server.key": hub.secret_bytes(proxy.AGENT_SERVER_SECRET, "tls.key"),
        "proxy-server.crt": hub.secret_bytes(proxy.PROXY_SERVER_SECRET, "tls.crt"),
        "proxy-server.key": hub.secret_bytes(proxy.PROXY_SERVER_SECRET, "tls.key"),
    }
    files["agent.crt"], files["agent.key"] = await issue_agent_certificate(hub)
    work = hub.api.objects[
        (gvr.MANIFEST_WORKS, CLUSTER, addon.deploy_work_name(proxy.ADDON_NAME, 0))
    ]
    files["exposure.yaml"] = rendered(work, "ConfigMap")["data"]["exposure.yaml"].encode()
    files["bundle-from-work.crt"] = base64.b64decode(rendered(work, "Secret")["data"]["ca.crt"])
    assert files["bundle-from-work.crt"] == files["ca.crt"], "agents trust the server's CA bundle"
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    server_proc = Proc(
        "server",
        [
            "-m", "proxy_server", "--bind-address", "127.0.0.1", "--server-port", "0",
            "--agent-port", "0", "--health-port", "0", "--mode", "grpc",
            "--proxy-strategies", "destHost",
            "--cluster-cert", str(tmp_path / "agent-server.crt"),
            "--cluster-key", str(tmp_path / "agent-server.key"),
            "--cluster-ca-cert", str(tmp_path / "ca.crt"),
            "--server-cert", str(tmp_path / "proxy-server.crt"),
            "--server-key", str(tmp_path / "proxy-server.key"),
            "--server-ca-cert", str(tmp_path / "ca.crt"),
            "--graceful-shutdown-timeout", "1",
        ],
        tmp_path,
    )  # fmt: skip
    procs.append(server_proc)
    server = Running(server_proc, await server_proc.start())

    container = rendered(work, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    local_paths = {
        "/etc/ca/ca.crt": tmp_path / "ca.crt",
        "/etc/tls/tls.crt": tmp_path / "agent.crt",
        "/etc/tls/tls.key": tmp_path / "agent.key",
        "/etc/exposure/exposure.yaml": tmp_path / "exposure.yaml",
    }
    args = []
    for arg in container["args"]:
        flag, _, value = arg.partition("=")
        if flag == "--proxy-server-port":
            value = str(server.ports["agent"])
        elif flag == "--health-server-port":
            value = "0"
        args.append(f"{flag}={local_paths.get(value, value)}")
    agent_proc = Proc(
        "agent", ["-m", "proxy_agent", *args, "--health-bind-address", "127.0.0.1"], tmp_path
    )
    procs.append(agent_proc)
    await agent_proc.start()

    await eventually_ready_backends(server, 1.0)
    assert "PERMISSION_DENIED" not in agent_proc.log()
