"""CA and leaf certificate rotation with live traffic loses no request.

Real processes: the embedded hub (`ocm apiserver`), a proxy-server and a proxy-agent, and an
HTTP backend and an echo server on 127.0.0.1. The cluster-proxy configuration controller runs
in-process against the hub with a clock the test moves (certificates must also be valid for the
real clock that TLS checks, hence a short CA and small steps). Secrets reach the processes as
files rewritten one at a time, as the local runtime does. While clients keep sending requests
through the tunnel (most with a fresh TLS connection to the proxy-server for every request, one
on a long-lived `TunnelClient` that follows the files):
(a) the leaf certificates are re-issued under the same CA, then the CA rotates with overlap:
(b) a new CA joins the trust bundle, (c) it becomes the signer and every leaf (and the agent's
certificate) is re-issued under it, (d) the old CA expires and leaves the bundle.
Every request succeeds, a connection opened before the rotation still carries bytes after it,
and at the end the server refuses a client certificate of the old CA.

The agent's certificate is signed here with the controller's current CA, as the add-on's CSR
signer does (that flow has its own test in test_cluster_proxy_tunnel.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import os
import re
import signal
import ssl
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from ocm_core import pki
from ocm_core.addon.cluster_proxy.addon import HubState
from ocm_core.addon.cluster_proxy.configuration import ManagedProxyConfigurationController
from ocm_core.api import gvr, proxy
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.runtime import Manager, RealClock
from ocm_core.tlsfiles import TLSFileSet
from proxy_server.client import DialError, TunnelClient, TunnelStream
from proxy_server.identity import agent_subject
from tests.support.apiserver_process import ApiServerProcess
from tests.support.echo import EchoServer
from tests.support.procs import Proc
from tests.support.tunnel_procs import Running
from tests.support.wait import eventually

REPO = Path(__file__).resolve().parents[3]
MPC_CRD = (
    REPO
    / "charts/cluster-proxy/crds/managedproxyconfigurations.proxy.open-cluster-management.io.yaml"
)
CLUSTER = "c1"
NAMESPACE = proxy.PROXY_SERVER_NAMESPACE_DEFAULT
CA_VALIDITY = dt.timedelta(days=10)
OVERLAP = dt.timedelta(minutes=2)
DEADLINE = 30.0
#: Requests that must succeed after each step before the next one (traffic spans every step).
REQUESTS_PER_STEP = 15
WORKERS = 2
SERVER_NAME = "localhost"
WEB = f"web.default.{CLUSTER}:80"
ECHO = f"echo.default.{CLUSTER}:7"


class ShiftedClock(RealClock):
    """The real clock moved by `offset`: the controller thinks it is later (or earlier)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def wall(self) -> dt.datetime:
        return super().wall() + self.offset


class Hub:
    """The configuration controller over the real hub, reconciled when the test says so."""

    def __init__(self, api: ApiClient, clock: ShiftedClock) -> None:
        self.api = api
        self.clock = clock
        self.state = HubState()
        self.configurations = Manager(api, clock=clock).informer(gvr.MANAGED_PROXY_CONFIGURATIONS)
        self.controller = ManagedProxyConfigurationController(
            api,
            self.state,
            configurations=self.configurations,
            clock=clock,
            signer_namespace=proxy.SIGNER_SECRET_NAMESPACE_DEFAULT,
            on_agents_changed=lambda: None,
            ca_validity=CA_VALIDITY,
            ca_overlap=OVERLAP,
        )

    async def reconcile(self) -> None:
        mpc = await self.api.get(gvr.MANAGED_PROXY_CONFIGURATIONS, proxy.CONFIGURATION_NAME)
        self.configurations.cache.replace([mpc])
        await self.controller.reconcile(proxy.CONFIGURATION_NAME)

    @property
    def current_ca(self) -> pki.CertificateAuthority:
        assert self.state.signer is not None
        return self.state.signer.current

    async def secret(self, name: str, key: str) -> bytes:
        secret = await self.api.get(gvr.SECRETS, name, namespace=NAMESPACE)
        return base64.b64decode(secret["data"][key])


@dataclass
class Files:
    """Where each party reads its certificates (written like a mounted Secret is updated)."""

    root: Path
    agent_pair: tuple[bytes, bytes] = (b"", b"")

    def path(self, party: str, name: str) -> Path:
        return self.root / party / name

    async def sync(self, hub: Hub) -> None:
        """Write every file from the hub's Secrets, one at a time, certificates before keys."""
        bundle = await hub.secret(proxy.PROXY_SERVER_CA_SECRET, proxy.CA_CERT_KEY)
        wanted = {
            ("server", "ca.crt"): bundle,
            ("server", "agent.crt"): await hub.secret(proxy.AGENT_SERVER_SECRET, "tls.crt"),
            ("server", "agent.key"): await hub.secret(proxy.AGENT_SERVER_SECRET, "tls.key"),
            ("server", "frontend.crt"): await hub.secret(proxy.PROXY_SERVER_SECRET, "tls.crt"),
            ("server", "frontend.key"): await hub.secret(proxy.PROXY_SERVER_SECRET, "tls.key"),
            ("agent", "ca.crt"): bundle,
            ("agent", "tls.crt"): self.agent_pair[0],
            ("agent", "tls.key"): self.agent_pair[1],
            ("client", "ca.crt"): await hub.secret(proxy.PROXY_CLIENT_SECRET, proxy.CA_CERT_KEY),
            ("client", "tls.crt"): await hub.secret(proxy.PROXY_CLIENT_SECRET, "tls.crt"),
            ("client", "tls.key"): await hub.secret(proxy.PROXY_CLIENT_SECRET, "tls.key"),
        }
        for (party, name), content in wanted.items():
            write_atomically(self.path(party, name), content)

    def issue_agent_certificate(self, ca: pki.CertificateAuthority) -> None:
        """What the add-on's CSR signer gives the agent: its cluster's subject, from `ca`."""
        common_name, organization = agent_subject(CLUSTER)
        issued = pki.issue_client_cert(ca, user=common_name, groups=(organization,))
        self.agent_pair = (issued.cert_pem(), issued.key_pem())


def write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(tmp, path)


@dataclass
class Traffic:
    """Workers sending requests through the tunnel: each request of `WORKERS` workers on a new
    connection to the server, and one more worker on `following`, a long-lived client."""

    files: TLSFileSet
    frontend: str
    following: TunnelClient
    succeeded: int = 0
    failures: list[str] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._worker(i)) for i in range(WORKERS)]
        self.tasks.append(asyncio.create_task(self._worker(WORKERS, self.following)))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _worker(self, index: int, shared: TunnelClient | None = None) -> None:
        sequence = 0
        while True:
            sequence += 1
            tag = f"{index}-{sequence}"
            try:
                if shared is not None:
                    reply = await get(shared, tag)
                else:
                    async with client(self.frontend, self.files) as tunnel:
                        reply = await get(tunnel, tag)
            except (DialError, ConnectionError, grpc.aio.AioRpcError, TimeoutError) as exc:
                self.failures.append(f"request {tag}: {type(exc).__name__}: {exc}")
                continue
            if reply.startswith(b"HTTP/1.1 200") and reply.endswith(f"hello {tag}".encode()):
                self.succeeded += 1
            else:
                self.failures.append(f"request {tag}: unexpected reply {reply[:200]!r}")

    async def more(self, count: int) -> None:
        """Wait until `count` more requests succeeded (traffic is flowing now)."""
        target = self.succeeded + count
        await eventually(
            lambda: self.succeeded >= target or bool(self.failures),
            timeout=DEADLINE,
            what=f"{count} more successful requests",
        )
        assert not self.failures, self.failures[:5]


@contextlib.asynccontextmanager
async def client(frontend: str, files: TLSFileSet) -> AsyncIterator[TunnelClient]:
    """A TunnelClient on the files' current contents (a new TLS connection)."""
    files.refresh()
    material = files.current
    credentials = grpc.ssl_channel_credentials(material.ca, material.key, material.cert)
    tunnel = TunnelClient(
        frontend,
        credentials=credentials,
        options=[("grpc.ssl_target_name_override", SERVER_NAME)],
    )
    try:
        yield tunnel
    finally:
        await tunnel.close()


async def get(tunnel: TunnelClient, tag: str) -> bytes:
    async with asyncio.timeout(DEADLINE):
        stream = await tunnel.dial(WEB)
        try:
            request = f"GET /{tag} HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"
            await stream.write(request.encode())
            reply = b""
            while chunk := await stream.read():
                reply += chunk
        finally:
            await stream.close()
    return reply


async def echo_roundtrip(stream: TunnelStream, data: bytes) -> None:
    await stream.write(data)
    received = b""
    async with asyncio.timeout(DEADLINE):
        while len(received) < len(data):
            received += await stream.read()
    assert received == data


async def served_certificate(port: int, files: Files) -> bytes:
    """The certificate the server presents on a new connection (DER), via a full mTLS
    handshake with the client's current files."""
    context = ssl.create_default_context(cafile=files.path("client", "ca.crt"))
    context.load_cert_chain(files.path("client", "tls.crt"), files.path("client", "tls.key"))
    context.set_alpn_protocols(["h2"])
    _, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname=SERVER_NAME
    )
    try:
        der: bytes = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
    return der


def der_of(pem: bytes) -> bytes:
    return pki.load_certificate_pem(pem).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def hub_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(tmp_path_factory.mktemp("hub"))
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
async def api(hub_process: ApiServerProcess) -> AsyncIterator[ApiClient]:
    async with ApiClient(KubeConfig.from_kubeconfig(hub_process.kubeconfig)) as client:
        with contextlib.suppress(errors.AlreadyExistsError):
            await client.create(
                gvr.CUSTOM_RESOURCE_DEFINITIONS, yaml.safe_load(MPC_CRD.read_text())
            )
        await eventually(
            lambda: _served(client), timeout=DEADLINE, what="ManagedProxyConfigurations served"
        )
        yield client


async def _served(api: ApiClient) -> bool:
    try:
        await api.list(gvr.MANAGED_PROXY_CONFIGURATIONS)
    except errors.NotFoundError:
        return False
    return True


def configuration(additional_sans: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": gvr.MANAGED_PROXY_CONFIGURATIONS.api_version,
        "kind": "ManagedProxyConfiguration",
        "metadata": {"name": proxy.CONFIGURATION_NAME},
        "spec": {
            "authentication": {
                "signer": {"type": "SelfSigned", "selfSigned": {"additionalSANs": additional_sans}}
            },
            "proxyServer": {
                "image": "ocm/cluster-proxy:test",
                "replicas": 1,
                "entrypoint": {"type": "Hostname", "hostname": {"value": "127.0.0.1"}},
            },
            "proxyAgent": {"image": "ocm/cluster-proxy:test", "replicas": 1},
        },
    }


async def backend() -> tuple[web.AppRunner, int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.path.lstrip('/')}")

    app = web.Application()
    app.router.add_get("/{tag}", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp keeps the server private
    return runner, port


def renewals(agent: Proc) -> int:
    return len(re.findall("certificate files changed", agent.log()))


async def test_rotation_with_live_traffic_loses_no_request(api: ApiClient, tmp_path: Path) -> None:
    clock = ShiftedClock()
    hub = Hub(api, clock)
    files = Files(tmp_path)
    # The CA is made 85 % of its life ago, so it is due for rotation at the real "now".
    clock.offset = -CA_VALIDITY * 0.85
    await api.create(gvr.MANAGED_PROXY_CONFIGURATIONS, configuration([]))
    await hub.reconcile()
    first_ca = hub.current_ca
    files.issue_agent_certificate(first_ca)
    await files.sync(hub)
    old_client = (
        files.path("client", "tls.crt").read_bytes(),
        files.path("client", "tls.key").read_bytes(),
    )

    web_runner, web_port = await backend()
    echo = EchoServer()
    echo_port = await echo.start()
    server_proc = Proc(
        "server",
        [
            "-m", "proxy_server", "--bind-address", "127.0.0.1", "--server-port", "0",
            "--agent-port", "0", "--health-port", "0", "--proxy-strategies", "destHost",
            "--cluster-cert", str(files.path("server", "agent.crt")),
            "--cluster-key", str(files.path("server", "agent.key")),
            "--cluster-ca-cert", str(files.path("server", "ca.crt")),
            "--server-cert", str(files.path("server", "frontend.crt")),
            "--server-key", str(files.path("server", "frontend.key")),
            "--server-ca-cert", str(files.path("server", "ca.crt")),
            "--graceful-shutdown-timeout", "1",
        ],
        tmp_path,
    )  # fmt: skip
    agent_proc: Proc | None = None
    traffic: Traffic | None = None
    long_lived: TunnelClient | None = None
    try:
        server = Running(server_proc, await server_proc.start())
        agent_proc = Proc(
            "agent",
            [
                "-m", "proxy_agent", "--proxy-server-host", "127.0.0.1",
                "--proxy-server-port", str(server.ports["agent"]), "--server-name", SERVER_NAME,
                "--ca-cert", str(files.path("agent", "ca.crt")),
                "--agent-cert", str(files.path("agent", "tls.crt")),
                "--agent-key", str(files.path("agent", "tls.key")),
                "--cluster-name", CLUSTER, "--health-bind-address", "127.0.0.1",
                "--health-server-port", "0",
                "--expose", f"web.default:80=127.0.0.1:{web_port}",
                "--expose", f"echo.default:7=127.0.0.1:{echo_port}",
            ],
            tmp_path,
        )  # fmt: skip
        await agent_proc.start()
        await eventually(server.ready, timeout=DEADLINE, what="the agent connected")
        frontend = f"127.0.0.1:{server.ports['frontend']}"
        client_files = TLSFileSet(
            cert=files.path("client", "tls.crt"),
            key=files.path("client", "tls.key"),
            ca=files.path("client", "ca.crt"),
        )
        # Opened before any rotation; checked after all of them.
        long_lived = TunnelClient(
            frontend,
            credentials=grpc.ssl_channel_credentials(
                client_files.current.ca, client_files.current.key, client_files.current.cert
            ),
            options=[("grpc.ssl_target_name_override", SERVER_NAME)],
        )
        held = await long_lived.dial(ECHO)
        await echo_roundtrip(held, b"before the rotation")

        following = TunnelClient(
            frontend,
            tls_files=TLSFileSet(
                cert=files.path("client", "tls.crt"),
                key=files.path("client", "tls.key"),
                ca=files.path("client", "ca.crt"),
            ),
            options=[("grpc.ssl_target_name_override", SERVER_NAME)],
        )
        traffic = Traffic(client_files, frontend, following)
        traffic.start()
        await traffic.more(REQUESTS_PER_STEP)

        async def step(renewed: int) -> None:
            await files.sync(hub)
            await eventually(
                lambda: renewals(agent_proc) >= renewed,
                timeout=DEADLINE,
                what=f"the agent renewing its streams ({renewed})",
            )
            await traffic.more(REQUESTS_PER_STEP)

        # (a) leaf certificates re-issued under the same CA: a SAN change re-issues the
        # serving certificates, the client and agent certificates are renewed too.
        await api.patch(
            gvr.MANAGED_PROXY_CONFIGURATIONS,
            proxy.CONFIGURATION_NAME,
            {"spec": {"authentication": {"signer": {"selfSigned": {"additionalSANs": ["a.b"]}}}}},
        )
        await api.delete(gvr.SECRETS, proxy.PROXY_CLIENT_SECRET, namespace=NAMESPACE)
        await hub.reconcile()
        assert hub.current_ca.certificate == first_ca.certificate
        files.issue_agent_certificate(first_ca)
        await step(renewed=1)
        assert await served_certificate(server.ports["agent"], files) == der_of(
            await hub.secret(proxy.AGENT_SERVER_SECRET, "tls.crt")
        ), "new connections get the re-issued agent-server certificate"

        # (b) the CA is due: a new CA joins the trust bundle; the old one still signs.
        clock.offset = dt.timedelta()
        await hub.reconcile()
        assert hub.state.signer is not None
        assert hub.state.signer.staged is not None
        assert len(hub.state.signer.bundle) == 2
        await step(renewed=2)

        # (c) after the overlap the new CA signs: every leaf is re-issued under it.
        clock.offset = OVERLAP + dt.timedelta(seconds=1)
        await hub.reconcile()
        second_ca = hub.current_ca
        assert second_ca.certificate != first_ca.certificate
        files.issue_agent_certificate(second_ca)
        await step(renewed=3)
        served = pki.load_certificate_der(await served_certificate(server.ports["frontend"], files))
        assert pki.is_issued_by(served, second_ca.certificate)

        # (d) the old CA expires and leaves the bundle.
        clock.offset = first_ca.certificate.not_valid_after_utc - dt.datetime.now(dt.UTC)
        clock.offset += dt.timedelta(minutes=1)
        await hub.reconcile()
        assert hub.state.signer is not None
        assert list(hub.state.signer.bundle.certificates) == [second_ca.certificate]
        await step(renewed=4)

        await traffic.stop()
        assert not traffic.failures, traffic.failures[:5]
        assert traffic.succeeded >= 5 * REQUESTS_PER_STEP

        await echo_roundtrip(held, b"after the rotation")
        await held.close()
        refused = grpc.ssl_channel_credentials(
            client_files.current.ca, old_client[1], old_client[0]
        )
        async with TunnelClient(
            frontend, credentials=refused, options=[("grpc.ssl_target_name_override", SERVER_NAME)]
        ) as stale:
            with pytest.raises((grpc.aio.AioRpcError, DialError)):
                await stale.dial(WEB, timeout=DEADLINE)
    finally:
        if traffic is not None:
            await traffic.stop()
            await traffic.following.close()
        if long_lived is not None:
            await long_lived.close()
        if agent_proc is not None:
            await agent_proc.stop(timeout=5)
        await server_proc.stop(timeout=5)
        await echo.stop()
        await web_runner.cleanup()
