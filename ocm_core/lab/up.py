"""`Lab`: start (or resume) the local lab, report progress, stop it cleanly.

The lab is real processes, each the same program a real deployment runs:
  hub        `ocm apiserver` (the hub API), the OCM CRDs installed into it,
             `ocm hub` (registration, placement, ManifestWorkReplicaSet controllers),
             `proxy-server` (mTLS agent port, gRPC and HTTP CONNECT frontends),
             `ocm localruntime` (runs the hub-side Deployments of this project's image)
  cluster c  `ocm apiserver` (its API), `ocm klusterlet` (joins the hub, applies its
             ManifestWorks, and runs the add-on's agents there as local processes)
Children that exit are restarted with backoff; their logs are in <data-dir>/logs.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import aiohttp
import yaml

from ocm_core import pki
from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.lab.layout import HUB, LabLayout
from ocm_core.localruntime.podspec import ProcessPlan
from ocm_core.localruntime.supervisor import ManagedProcess
from proxy_server.identity import agent_subject

REPO: Final = Path(__file__).resolve().parents[2]
CRD_DIRS: Final = (REPO / "charts" / "ocm-hub" / "crds", REPO / "charts" / "cluster-proxy" / "crds")
READY_TIMEOUT: Final = 60.0
#: The embedded API server's admin user: what the lab's klusterlets bootstrap as.
LAB_BOOTSTRAP_USER: Final = "admin"


def _python_module(module: str, *args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", module, *args)


class Lab:
    def __init__(
        self, layout: LabLayout, clusters: Sequence[str], *, say: Callable[[str], None] = print
    ) -> None:
        self.layout = layout
        self.clusters = tuple(clusters)
        self.say = say
        self.children: list[ManagedProcess] = []
        self.state: dict[str, Any] = {}

    # -- start -----------------------------------------------------------------------------
    async def start(self) -> None:
        layout = self.layout
        layout.logs.mkdir(parents=True, exist_ok=True)
        self.state = layout.load_state()
        resumed = bool(self.state)
        self.say(
            f"{'Resuming' if resumed else 'Starting'} the lab in {layout.root} "
            f"(hub + {len(self.clusters)} clusters: {', '.join(self.clusters)})"
        )
        await self._step("hub API server", self._start_apiserver(HUB, preferred=6443))
        await self._step("OCM CRDs on the hub", self._install_crds())
        for cluster in self.clusters:
            await self._step(f"cluster {cluster}: API server", self._start_apiserver(cluster))
        await self._step("hub controllers", self._start_hub_controllers())
        await self._step("proxy-server (tunnel hub)", self._start_proxy_server())
        await self._step("hub: local runtime", self._start_local_runtime(HUB))
        for cluster in self.clusters:
            await self._step(f"cluster {cluster}: klusterlet", self._start_klusterlet(cluster))
        await self._step("clusters joined, accepted and available", self._wait_available())
        for cluster in self.clusters:
            await self._step(f"cluster {cluster}: proxy-agent (tunnel)", self._start_agent(cluster))
        self.state["clusters"] = list(self.clusters)
        layout.save_state(self.state)
        layout.pid_file.write_text(str(os.getpid()))

    async def _step(self, what: str, action: Any) -> None:
        started = time.monotonic()
        self.say(f"  • {what} ...")
        await action
        self.say(f"    ready ({time.monotonic() - started:.1f}s)")

    async def _start_apiserver(self, cluster: str, preferred: int = 0) -> None:
        port = self.layout.port(self.state, f"apiserver-{cluster}", preferred)
        data_dir = self.layout.apiserver_dir(cluster)
        data_dir.mkdir(parents=True, exist_ok=True)
        self._spawn(
            f"apiserver-{cluster}",
            _python_module(
                "ocm_core.cli", "apiserver", "--data-dir", str(data_dir), "--port", str(port)
            ),
        )
        await self._wait_api(cluster)

    async def _wait_api(self, cluster: str) -> None:
        kubeconfig = self.layout.kubeconfig(cluster)
        deadline = time.monotonic() + READY_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            if kubeconfig.exists():
                try:
                    async with ApiClient(KubeConfig.load(kubeconfig)) as api:
                        await api.list(gvr.NAMESPACES, limit=1)
                        return
                except (errors.KubeError, OSError) as exc:
                    last = str(exc)
            await asyncio.sleep(0.1)
        raise SystemExit(
            f"the {cluster} API server did not come up: {last}; "
            f"see {self.layout.log('apiserver-' + cluster)}"
        )

    async def _install_crds(self) -> None:
        async with ApiClient(KubeConfig.load(self.layout.kubeconfig(HUB))) as api:
            for directory in CRD_DIRS:
                for path in sorted(directory.glob("*.yaml")):
                    await _apply(api, yaml.safe_load(path.read_text()))

    async def _start_proxy_server(self) -> None:
        certs = await asyncio.to_thread(_lab_pki, self.layout.pki)
        ports = {
            name: self.layout.port(self.state, f"proxy-{name}", preferred)
            for name, preferred in (("frontend", 8090), ("agent", 8091), ("health", 8092))
        }
        self._spawn(
            "proxy-server",
            _python_module(
                "proxy_server",
                "--bind-address",
                "127.0.0.1",
                "--mode",
                "http-connect",
                "--server-port",
                str(ports["frontend"]),
                "--agent-port",
                str(ports["agent"]),
                "--health-port",
                str(ports["health"]),
                "--proxy-strategies",
                "destHost",
                "--insecure-frontend-port",
                "--cluster-cert",
                str(certs["server.crt"]),
                "--cluster-key",
                str(certs["server.key"]),
                "--cluster-ca-cert",
                str(certs["ca.crt"]),
            ),
        )
        await _wait_http(f"http://127.0.0.1:{ports['health']}/healthz", "proxy-server")

    async def _start_hub_controllers(self) -> None:
        # The lab's klusterlets bootstrap with the hub admin's credentials, which the hub
        # then accepts without a human (`ocm accept` does it by hand on a real hub).
        self._spawn(
            "hub-controllers",
            _python_module(
                "ocm_core.cli",
                "hub",
                "--kubeconfig",
                str(self.layout.kubeconfig(HUB)),
                "--cluster-auto-approval-users",
                LAB_BOOTSTRAP_USER,
            ),
        )
        await asyncio.sleep(0)

    async def _start_klusterlet(self, cluster: str) -> None:
        root = self.layout.root / "clusters" / cluster
        self._spawn(
            f"klusterlet-{cluster}",
            _python_module(
                "ocm_core.cli",
                "klusterlet",
                "--cluster-name",
                cluster,
                "--bootstrap-kubeconfig",
                str(self.layout.kubeconfig(HUB)),
                "--hub-kubeconfig-dir",
                str(root / "hub-kubeconfig"),
                "--spoke-kubeconfig",
                str(self.layout.kubeconfig(cluster)),
                "--local-runtime-dir",
                str(self.layout.runtime_dir(cluster)),
                "--status-period",
                "10",
            ),
        )
        await asyncio.sleep(0)

    async def _wait_available(self) -> None:
        wanted = set(self.clusters)
        deadline = time.monotonic() + READY_TIMEOUT * 2
        async with ApiClient(KubeConfig.load(self.layout.kubeconfig(HUB))) as api:
            while time.monotonic() < deadline:
                listing = await api.list(gvr.MANAGED_CLUSTERS)
                available = {
                    c["metadata"]["name"]
                    for c in listing.get("items") or []
                    if _condition_true(c, "ManagedClusterConditionAvailable")
                }
                if wanted <= available:
                    return
                await asyncio.sleep(0.5)
        raise SystemExit(
            f"clusters {sorted(wanted - available)} did not become available; "
            f"see {self.layout.logs}/klusterlet-*.log and hub-controllers.log"
        )

    async def _start_agent(self, cluster: str) -> None:
        """A proxy-agent with a certificate bound to `cluster`, exposing its kube-apiserver as
        the identifier `<cluster>`, and a kubeconfig that reaches that API through the tunnel."""
        certs = await asyncio.to_thread(_agent_pki, self.layout.pki, cluster)
        ports = self.state["ports"]
        api = self._api_address(cluster)
        health = self.layout.port(self.state, f"agent-health-{cluster}")
        self._spawn(
            f"proxy-agent-{cluster}",
            _python_module(
                "proxy_agent",
                "--proxy-server-host",
                "127.0.0.1",
                "--proxy-server-port",
                str(ports["proxy-agent"]),
                "--ca-cert",
                str(self.layout.pki / "ca.crt"),
                "--agent-cert",
                str(certs["crt"]),
                "--agent-key",
                str(certs["key"]),
                "--server-name",
                "localhost",
                "--cluster-name",
                cluster,
                "--kube-apiserver",
                api,
                "--health-bind-address",
                "127.0.0.1",
                "--health-server-port",
                str(health),
            ),
        )
        await _wait_http(f"http://127.0.0.1:{health}/readyz", f"the {cluster} proxy-agent")
        await asyncio.to_thread(self._write_tunnel_kubeconfig, cluster)

    def _api_address(self, cluster: str) -> str:
        return f"127.0.0.1:{self.state['ports'][f'apiserver-{cluster}']}"

    def tunnel_kubeconfig(self, cluster: str) -> Path:
        return self.layout.root / "clusters" / cluster / "via-tunnel.kubeconfig"

    def _write_tunnel_kubeconfig(self, cluster: str) -> None:
        """The cluster's admin kubeconfig, but reaching `https://<cluster>` through the
        proxy-server's HTTP CONNECT frontend: the agent maps `<cluster>` to its API server."""
        config = yaml.safe_load(self.layout.kubeconfig(cluster).read_text())
        for entry in config.get("clusters") or []:
            entry["cluster"]["server"] = f"https://{cluster}:443"
            entry["cluster"]["proxy-url"] = (
                f"http://127.0.0.1:{self.state['ports']['proxy-frontend']}"
            )
            entry["cluster"]["tls-server-name"] = "localhost"
        path = self.tunnel_kubeconfig(cluster)
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)

    async def _start_local_runtime(self, cluster: str) -> None:
        self._spawn(
            f"localruntime-{cluster}",
            _python_module(
                "ocm_core.cli",
                "localruntime",
                "--kubeconfig",
                str(self.layout.kubeconfig(cluster)),
                "--data-dir",
                str(self.layout.runtime_dir(cluster)),
            ),
        )
        await asyncio.sleep(0)  # it reports through the Deployments it runs

    def _spawn(self, name: str, argv: tuple[str, ...]) -> None:
        plan = ProcessPlan(container=name, argv=argv, env={"PYTHONUNBUFFERED": "1"})
        child = ManagedProcess(plan, self.layout.log(name), lambda: None)
        child.start()
        self.children.append(child)

    # -- stop ------------------------------------------------------------------------------
    async def stop(self) -> None:
        self.say("Stopping the lab ...")
        for child in reversed(self.children):
            await child.stop()
        self.layout.pid_file.unlink(missing_ok=True)
        self.say(f"Stopped. `ocm up` resumes from {self.layout.root}; `ocm down` removes it.")

    # -- what to try -----------------------------------------------------------------------
    def summary(self) -> str:
        ports = self.state.get("ports", {})
        hub = self.layout.kubeconfig(HUB)
        first = self.clusters[0] if self.clusters else "c1"
        lines = [
            "",
            "The lab is up.",
            f"  hub kubeconfig:      {hub}",
            *(f"  {c} kubeconfig:       {self.layout.kubeconfig(c)}" for c in self.clusters),
            f"  tunnel frontend:     http://127.0.0.1:{ports.get('proxy-frontend')} (HTTP CONNECT)",
            f"  logs:                {self.layout.logs}",
            "",
            "Try:",
            f"  .venv/bin/ocm get clusters --kubeconfig {hub}",
            f"  kubectl --kubeconfig {self.tunnel_kubeconfig(first)} get namespaces"
            "   # through the tunnel",
            f"  .venv/bin/ocm work create --cluster {first} -f <manifest.yaml> --kubeconfig {hub}",
            f"  curl -s http://127.0.0.1:{ports.get('proxy-health')}/metrics | grep ready_backends",
            "",
            "Ctrl-C stops everything; `ocm up` again resumes; `ocm down` removes the lab.",
        ]
        return "\n".join(lines)


def _condition_true(obj: dict[str, Any], kind: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


async def _apply(api: ApiClient, body: dict[str, Any]) -> None:
    try:
        await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, body)
    except errors.AlreadyExistsError:
        current = await api.get(gvr.CUSTOM_RESOURCE_DEFINITIONS, body["metadata"]["name"])
        body = {
            **body,
            "metadata": {
                **body["metadata"],
                "resourceVersion": current["metadata"]["resourceVersion"],
            },
        }
        await api.replace(gvr.CUSTOM_RESOURCE_DEFINITIONS, body)


async def _wait_http(url: str, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{what} did not come up at {url}")


def _agent_pki(directory: Path, cluster: str) -> dict[str, str]:
    """A client certificate naming `cluster` (the proxy-server's identity binding reads it)."""
    files = {"crt": directory / f"agent-{cluster}.crt", "key": directory / f"agent-{cluster}.key"}
    if not all(path.exists() for path in files.values()):
        ca = pki.load_ca(directory / "ca.crt", directory / "ca.key")
        common_name, organization = agent_subject(cluster)
        agent = pki.issue_client_cert(ca, user=common_name, groups=[organization])
        pki.write_pem(files["crt"], agent.cert_pem())
        pki.write_pem(files["key"], agent.key_pem(), private=True)
    return {name: str(path) for name, path in files.items()}


def _lab_pki(directory: Path) -> dict[str, Path]:
    """The lab's tunnel CA and the proxy-server's serving certificate (kept across runs)."""
    files = {name: directory / name for name in ("ca.crt", "ca.key", "server.crt", "server.key")}
    if all(path.exists() for path in files.values()):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca, _ = pki.load_or_create_ca(files["ca.crt"], files["ca.key"], common_name="ocm-lab-tunnel-ca")
    server = pki.issue_serving_cert(
        ca, common_name="proxy-server", dns_names=["localhost"], ip_addresses=["127.0.0.1"]
    )
    pki.write_pem(files["server.crt"], server.cert_pem())
    pki.write_pem(files["server.key"], server.key_pem(), private=True)
    return files
