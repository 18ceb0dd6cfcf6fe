"""Journey 2 end to end: hub apps call an HTTP and a gRPC service running behind c2's agent.

Real programs throughout: `ocm up` (hub + c1 + c2), `helm install` of charts/cluster-proxy on
the lab hub (manager, proxy-server, user-server; agents rendered per cluster and run by each
cluster's local runtime), kubectl for the manifests in docs/hubapps/, and curl. The services
(`demo-echo` Deployments on c2) are exposed by ManagedProxyServiceResolvers on the cluster set
`apps`; a hub program reaches them through the Python helper (gRPC frontend, add-on's client
certificate) and through the user-server's HTTP CONNECT (hub token); the running but unexposed
`internal.demo` is refused at the hub with a status and a message, and so is everything once
the resolvers are removed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
import grpc
import pytest
import pytest_asyncio

from ocm_core.api import proxy
from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.lab.demo_echo import ECHO_METHOD
from proxy_server import hubapps
from proxy_server.client import DialError
from tests.support import wait
from tests.support.lab import ADDON_NAMESPACE, KUBECTL, Lab

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEADLINE: Final = 90.0
REPO: Final = Path(__file__).resolve().parents[2]
DEMO_SERVICES: Final = REPO / "docs" / "hubapps" / "demo-services.yaml"
RESOLVERS: Final = REPO / "docs" / "hubapps" / "resolvers.yaml"
HUB_APP: Final = REPO / "scripts" / "hubapp_example.py"
CLUSTER: Final = "c2"
#: The hub identity of the hub program: a ServiceAccount allowed to proxy into c2 only.
HUB_APP_RBAC: Final = REPO / "docs" / "hubapps" / "hubapp-rbac.yaml"


@dataclass
class HubAppLab:
    """The shared `ocm up` lab with the add-on installed, and the hub program's credentials."""

    up: Lab
    token: str
    user_server_ca: Path

    @property
    def hub(self) -> Path:
        return self.up.hub

    def port(self, name: str) -> int:
        state = json.loads((self.up.root / "lab.json").read_text())
        return int(state["ports"][name])

    @property
    def user_server(self) -> str:
        return f"127.0.0.1:{self.port('addon-user-server')}"

    @property
    def frontend(self) -> str:
        return f"127.0.0.1:{self.port('addon-proxy-server')}"

    def connect_dialer(self) -> hubapps.ConnectDialer:
        tls = ssl.create_default_context(cafile=str(self.user_server_ca))
        return hubapps.ConnectDialer(self.user_server, tls=tls, token=self.token)


async def run(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _ready(kubeconfig: Path, namespace: str, *names: str) -> bool:
    for name in names:
        code, out, _ = await run(
            KUBECTL, "--kubeconfig", str(kubeconfig), "-n", namespace, "get", "deployment", name,
            "-o", "jsonpath={.status.readyReplicas}",
        )  # fmt: skip
        if code != 0 or out.strip() in ("", "0"):
            return False
    return True


async def _hub_app_identity(lab: Lab, ca_file: Path) -> tuple[str, Path]:
    """A hub ServiceAccount allowed to proxy into c2 (its token), and the user-server's CA."""
    await lab.kubectl(lab.hub, "apply", "-f", str(HUB_APP_RBAC))
    token = (await lab.kubectl(lab.hub, "-n", "default", "create", "token", "hubapp")).strip()
    secret = json.loads(
        await lab.kubectl(
            lab.hub, "-n", ADDON_NAMESPACE, "get", "secret", proxy.PROXY_SERVER_CA_SECRET,
            "-o", "json",
        )
    )  # fmt: skip
    ca = base64.b64decode(secret["data"][proxy.CA_CERT_KEY])
    await asyncio.to_thread(ca_file.write_bytes, ca)
    return token, ca_file


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[HubAppLab]:
    workdir = tmp_path_factory.mktemp("journey-hubapps")
    lab = Lab(workdir / "lab", ("c1", CLUSTER))
    await asyncio.to_thread(lab.start)
    try:
        await lab.helm_cluster_proxy("install")
        await wait.eventually(
            lambda: _ready(lab.kubeconfig(CLUSTER), ADDON_NAMESPACE, proxy.AGENT_DEPLOYMENT),
            timeout=DEADLINE,
            what=f"the proxy-agent on {CLUSTER}",
        )
        token, ca = await _hub_app_identity(lab, workdir / "user-server-ca.crt")
        yield HubAppLab(lab, token, ca)
    finally:
        assert await asyncio.to_thread(lab.stop) == 0


# -- what the hub program does -------------------------------------------------------------
async def helper_calls(lab: HubAppLab) -> tuple[dict[str, Any], bytes]:
    """The Python helper over the proxy-server's gRPC frontend (the add-on's client cert)."""
    async with ApiClient(KubeConfig.load(lab.hub)) as hub:
        client = await hubapps.hub_tunnel_client(hub, lab.frontend, server_name="localhost")
    async with client:
        connector = hubapps.tunnel_connector(client, CLUSTER)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get("http://web.demo:8080/from/helper") as response,
        ):
            page: dict[str, Any] = await response.json()
        async with hubapps.grpc_channel(client, CLUSTER, "greeter.demo:50051") as channel:
            reply: bytes = await channel.unary_unary(ECHO_METHOD, None, None)(b"helper")
    return page, reply


async def curl_through_connect(lab: HubAppLab, url: str) -> tuple[int, str, str]:
    return await run(
        "curl",
        "-sS",
        "-p",
        "-x",
        f"https://{lab.user_server}",
        "--proxy-cacert",
        str(lab.user_server_ca),
        "--proxy-header",
        f"Proxy-Authorization: Bearer {lab.token}",
        url,
    )


async def hub_app_script(lab: HubAppLab) -> tuple[int, str, str]:
    return await run(
        sys.executable,
        str(HUB_APP),
        "--cluster",
        CLUSTER,
        "--proxy",
        lab.user_server,
        "--proxy-cacert",
        str(lab.user_server_ca),
        "--token",
        lab.token,
    )


# Errors the helper's calls raise while a service is not (or no longer) exposed. The two
# resolvers come and go one by one, so the HTTP call may pass while the gRPC one fails.
UNREACHABLE: Final = (DialError, aiohttp.ClientError, grpc.aio.AioRpcError)


async def exposed(lab: HubAppLab) -> bool:
    try:
        await helper_calls(lab)
    except UNREACHABLE:
        return False
    return (await curl_through_connect(lab, "http://web.demo.c2:8080/"))[0] == 0


async def refused(lab: HubAppLab) -> bool:
    try:
        await helper_calls(lab)
    except UNREACHABLE:
        code, _, err = await hub_app_script(lab)
        return code == 1 and "403" in err
    return False


async def resolvers_available(lab: HubAppLab) -> bool:
    resolvers = json.loads(
        await lab.up.kubectl(lab.hub, "get", "managedproxyserviceresolvers", "-o", "json")
    )
    conditions = [item.get("status", {}).get("conditions", []) for item in resolvers["items"]]
    wanted = [{"type": "ServiceResolverAvaliable", "status": "True"}]
    return bool(conditions) and all(
        [{"type": c["type"], "status": c["status"]} for c in each] == wanted for each in conditions
    )


# -- the journey ---------------------------------------------------------------------------
async def test_hub_apps_reach_exposed_services_and_only_those(lab: HubAppLab) -> None:
    spoke = lab.up.kubeconfig(CLUSTER)
    await lab.up.kubectl(spoke, "apply", "-f", str(DEMO_SERVICES))
    await wait.eventually(
        lambda: _ready(spoke, "demo", "web", "greeter"),
        timeout=DEADLINE,
        what=f"demo/web and demo/greeter running on {CLUSTER}",
    )
    # Nothing is exposed yet: the hub refuses the HTTP CONNECT with the reason.
    code, _, err = await hub_app_script(lab)
    assert code == 1
    assert "403" in err
    assert "demo/web port 8080 of cluster 'c2' is not exposed" in err

    await lab.up.kubectl(lab.hub, "apply", "-f", str(RESOLVERS))
    await lab.up.kubectl(
        lab.hub, "label", "--overwrite", "managedcluster", CLUSTER, f"{CLUSTER_SET_LABEL}=apps"
    )
    await wait.eventually(lambda: exposed(lab), timeout=DEADLINE, what="the resolvers at work")
    # Status and exposure come from different controllers: wait for both.
    await wait.eventually(
        lambda: resolvers_available(lab), timeout=DEADLINE, what="the resolvers' status"
    )

    page, reply = await helper_calls(lab)
    assert page == {"service": "web", "method": "GET", "path": "/from/helper", "query": {}}
    assert reply == b"greeter says hello helper"

    code, out, err = await hub_app_script(lab)
    assert code == 0, err
    answers = json.loads(out)
    assert answers["http"]["service"] == "web"
    assert answers["http"]["query"] == {"from": "hub"}
    assert answers["grpc"] == "greeter says hello from the hub"

    code, out, err = await curl_through_connect(lab, "http://web.demo.c2:8080/curl")
    assert code == 0, err
    assert json.loads(out)["path"] == "/curl"

    # internal.demo runs (it selects the web pods) but no resolver exposes it.
    with pytest.raises(hubapps.ConnectRefusedError) as at_hub:
        await hubapps.dial(lab.connect_dialer(), CLUSTER, "internal.demo:8080")
    assert at_hub.value.status == 403
    assert "demo/internal port 8080 of cluster 'c2' is not exposed" in at_hub.value.reason
    async with ApiClient(KubeConfig.load(lab.hub)) as hub:
        client = await hubapps.hub_tunnel_client(hub, lab.frontend, server_name="localhost")
    async with client:
        with pytest.raises(DialError, match="No agent available"):
            await hubapps.dial(client, CLUSTER, "internal.demo:8080")

    await lab.up.kubectl(lab.hub, "delete", "-f", str(RESOLVERS))
    await wait.eventually(lambda: refused(lab), timeout=DEADLINE, what="the resolvers' removal")
