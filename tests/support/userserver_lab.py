"""The user-server lab: a proxy-server with the in-process user-server, three clusters.

  c1  a real `ocm apiserver` process as its kube-apiserver (kubectl runs against it)
  c2  exposed services: an HTTP app, a gRPC app, and `secret.apps` left out of the allow-list
  c3  a recording fake kube-apiserver (asserts headers, streaming and upgrades)

The hub's TokenReview/SubjectAccessReview come from `FakeHub`, so tests choose its answers.
c1 enforces RBAC on the impersonated hub user: the lab binds alice to cluster-admin there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import grpc
import yaml
from aiohttp import web

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig
from proxy_server.identity import agent_subject
from tests.support.apiserver_process import ApiServerProcess
from tests.support.certs import Pair, TestCA
from tests.support.procs import Proc
from tests.support.userserver_fakes import FakeHub, RecordingSpoke
from tests.support.wait import eventually

ALICE = "alice-token"  # may proxy into c1, c2, c3
BOB = "bob-token"  # may proxy nowhere
ROBOT = "robot-token"  # hub ServiceAccount apps/robot, may proxy into c3
SPOKE_TOKEN = "user-server-on-c3"
ALLOW_LIST = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cluster-proxy-exposed-services}
data:
  apps: |
    - {namespace: apps, service: web}
    - {namespace: apps, service: greeter, protocol: http}
"""


@dataclass
class Lab:
    workdir: Path
    ca: TestCA
    client: Pair
    hub: FakeHub
    spoke_c3: RecordingSpoke
    server_ports: dict[str, int]
    web_port: int
    greeter_port: int
    secret_port: int

    @property
    def user_server(self) -> str:
        return f"https://127.0.0.1:{self.server_ports['user_server']}"

    def client_tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.path))

    def grpc_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            self.ca.path.read_bytes(), self.client.key.read_bytes(), self.client.cert.read_bytes()
        )

    def kubeconfig(self, cluster: str, token: str) -> Path:
        path = self.workdir / f"kubectl-{cluster}-{token}.kubeconfig"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": cluster,
                            "cluster": {
                                "server": f"{self.user_server}/{cluster}",
                                "certificate-authority": str(self.ca.path),
                            },
                        }
                    ],
                    "users": [{"name": "u", "user": {"token": token}}],
                    "contexts": [{"name": "c", "context": {"cluster": cluster, "user": "u"}}],
                    "current-context": "c",
                }
            )
        )
        return path


async def _web_app() -> tuple[web.AppRunner, int]:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response(
            {"path": request.path, "authorization": request.headers.get("Authorization")}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


def _greeter_handler() -> grpc.GenericRpcHandler[bytes, bytes]:
    async def greet(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return b"hello " + request

    method = grpc.unary_unary_rpc_method_handler(greet)
    return grpc.method_handlers_generic_handler("test.Greeter", {"Greet": method})


def _proxy_server_args(lab_dir: Path, ca: TestCA, server: Pair, hub_kubeconfig: Path) -> list[str]:
    return [
        "-m", "proxy_server",
        "--bind-address", "127.0.0.1",
        "--server-port", "0", "--agent-port", "0", "--health-port", "0",
        "--proxy-strategies", "destHost",
        "--cluster-cert", str(server.cert), "--cluster-key", str(server.key),
        "--cluster-ca-cert", str(ca.path),
        "--server-cert", str(server.cert), "--server-key", str(server.key),
        "--server-ca-cert", str(ca.path),
        "--graceful-shutdown-timeout", "1",
        "--user-server-port", "0",
        "--user-server-cert", str(server.cert), "--user-server-key", str(server.key),
        "--user-server-client-ca-cert", str(ca.path),
        "--hub-kubeconfig", str(hub_kubeconfig),
        "--spoke-kubeconfig-dir", str(lab_dir / "spokes"),
        "--exposed-services-file", str(lab_dir / "exposed.yaml"),
        "--exposed-services-resync", "0.2",
    ]  # fmt: skip


def _agent_args(ca: TestCA, pair: Pair, agent_port: int, cluster: str, *extra: str) -> list[str]:
    return [
        "-m", "proxy_agent",
        "--proxy-server-host", "127.0.0.1", "--proxy-server-port", str(agent_port),
        "--ca-cert", str(ca.path), "--agent-cert", str(pair.cert), "--agent-key", str(pair.key),
        "--server-name", "localhost", "--cluster-name", cluster,
        "--health-bind-address", "127.0.0.1", "--health-server-port", "0",
        "--sync-interval", "0.2", "--sync-interval-cap", "1", "--drain-timeout", "1",
        *extra,
    ]  # fmt: skip


def _spoke_kubeconfig(path: Path, port: int, ca: Path, token: str) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "s",
                        "cluster": {
                            "server": f"https://127.0.0.1:{port}",
                            "certificate-authority": str(ca),
                        },
                    }
                ],
                "users": [{"name": "s", "user": {"token": token}}],
                "contexts": [{"name": "s", "context": {"cluster": "s", "user": "s"}}],
                "current-context": "s",
            }
        )
    )


@contextlib.asynccontextmanager
async def start_lab(workdir: Path) -> AsyncIterator[Lab]:
    ca = TestCA(workdir)
    server = ca.issue("server", "proxy-server", server=True)
    client = ca.issue("client", "hub-app")
    (workdir / "spokes").mkdir()
    (workdir / "exposed.yaml").write_text(ALLOW_LIST)

    hub = FakeHub(
        tokens={
            ALICE: ("alice", ("devs",)),
            BOB: ("bob", ("devs",)),
            ROBOT: ("system:serviceaccount:apps:robot", ("system:serviceaccounts",)),
        },
        grants={
            ("alice", "c1"),
            ("alice", "c2"),
            ("alice", "c3"),
            (_ROBOT_USER, "c3"),
            ("carol", "c3"),
        },
    )
    await hub.start()

    spoke_c1 = ApiServerProcess(workdir / "c1-apiserver")
    spoke_c1.data_dir.mkdir()
    await asyncio.to_thread(spoke_c1.start)
    shutil.copy(spoke_c1.kubeconfig, workdir / "spokes" / "c1.kubeconfig")
    await _grant_cluster_admin(spoke_c1, "alice")

    spoke_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    spoke_tls.load_cert_chain(server.cert, server.key)
    spoke_c3 = RecordingSpoke(spoke_tls)
    c3_port = await spoke_c3.start()
    _spoke_kubeconfig(workdir / "spokes" / "c3.kubeconfig", c3_port, ca.path, SPOKE_TOKEN)

    web_runner, web_port = await _web_app()
    secret_runner, secret_port = await _web_app()
    greeter = grpc.aio.server()
    greeter.add_generic_rpc_handlers((_greeter_handler(),))
    greeter_port = greeter.add_insecure_port("127.0.0.1:0")
    await greeter.start()

    procs: list[Proc] = []
    try:
        proxy = Proc(
            "proxy-server",
            _proxy_server_args(workdir, ca, server, hub.kubeconfig(workdir / "hub.kubeconfig")),
            workdir,
        )
        procs.append(proxy)
        ports = await proxy.start()
        agents = {
            "c1": ("--kube-apiserver", f"127.0.0.1:{spoke_c1.port}"),
            "c2": (
                "--expose", f"web.apps:{web_port}=127.0.0.1:{web_port}",
                "--expose", f"greeter.apps:{greeter_port}=127.0.0.1:{greeter_port}",
                "--expose", f"secret.apps:{secret_port}=127.0.0.1:{secret_port}",
            ),
            "c3": ("--kube-apiserver", f"127.0.0.1:{c3_port}"),
        }  # fmt: skip
        for cluster, extra in agents.items():
            cn, org = agent_subject(cluster)
            pair = ca.issue(f"agent-{cluster}", cn, orgs=(org,))
            agent = Proc(
                f"agent-{cluster}", _agent_args(ca, pair, ports["agent"], cluster, *extra), workdir
            )
            procs.append(agent)
            await agent.start()
        lab = Lab(workdir, ca, client, hub, spoke_c3, ports, web_port, greeter_port, secret_port)
        web = f"/c2/api/v1/namespaces/apps/services/http:web:{web_port}/proxy-service/"
        await _wait_for_agents(lab, ("/c1/version", web, "/c3/version"))
        yield lab
    finally:
        for proc in reversed(procs):
            await proc.stop(timeout=5)
        await greeter.stop(None)
        await web_runner.cleanup()
        await secret_runner.cleanup()
        await spoke_c3.stop()
        await asyncio.to_thread(spoke_c1.stop)
        await hub.stop()


_ROBOT_USER = "system:serviceaccount:apps:robot"


async def _grant_cluster_admin(spoke: ApiServerProcess, user: str) -> None:
    """The spoke enforces RBAC on the impersonated hub user, as a real cluster would."""
    async with ApiClient(KubeConfig.from_kubeconfig(spoke.kubeconfig)) as admin:
        await admin.create(
            gvr.CLUSTER_ROLE_BINDINGS,
            {
                "metadata": {"name": f"{user}-cluster-admin"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "cluster-admin",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
                ],
            },
        )


async def _wait_for_agents(lab: Lab, paths: tuple[str, ...]) -> None:
    """Every cluster answers through the user-server (its agent is connected)."""
    async with aiohttp.ClientSession() as session:

        async def connected(path: str) -> bool:
            async with session.get(
                f"{lab.user_server}{path}",
                headers={"Authorization": f"Bearer {ALICE}"},
                ssl=lab.client_tls(),
            ) as response:
                return response.status != 503

        for path in paths:
            await eventually(functools.partial(connected, path), timeout=20, what=path)
