"""`Lab`: start (or resume) the local lab, report progress, stop it cleanly.

The lab is real processes, each the same program a real deployment runs:
  hub        `ocm apiserver` (the hub API), the OCM CRDs installed into it,
             `ocm hub` (registration, placement, ManifestWorkReplicaSet controllers),
             `ocm localruntime` (runs the hub-side Deployments of this project's image)
  cluster c  `ocm apiserver` (its API), `ocm klusterlet` (joins the hub, applies its
             ManifestWorks, and runs the add-on's agents there as local processes)
Children that exit are restarted with backoff; their logs are in <data-dir>/logs.

The tunnel is the cluster-proxy add-on, installed by the user with helm (journey 1/3); the lab
starts no tunnel of its own, so there is one tunnel stack to learn. What the chart needs from
the lab is in `<data-dir>/cluster-proxy-values.yaml` (`ocm up` prints the helm command): the
hub local runtime serves the proxy-server's agent and frontend ports and the user-server's
port on fixed host ports (`--host-port`, chosen once and kept in lab.json), which the values
file names, because the lab has no cluster DNS or Services for processes to find each other by.
The proxy-server's agent lane (8096) is not pinned: the local runtime gives it a free host port
on each start, the server advertises the port it bound, and the agents move to it from the
agent port by themselves (no file or flag needs to name it).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.api import gvr, proxy
from ocm_core.kube import ApiClient, KubeConfig, errors
from ocm_core.lab.layout import HUB, LabLayout
from ocm_core.localruntime.podspec import ProcessPlan
from ocm_core.localruntime.supervisor import STOP_GRACE, ManagedProcess

REPO: Final = Path(__file__).resolve().parents[2]
CRD_DIRS: Final = (REPO / "charts" / "ocm-hub" / "crds", REPO / "charts" / "cluster-proxy" / "crds")
READY_TIMEOUT: Final = 60.0
LOOPBACK: Final = "127.0.0.1"
#: A local runtime (and a klusterlet, which runs one) stops its own processes first, each with
#: STOP_GRACE: it gets longer than that, or its processes would outlive it.
RUNTIME_STOP_GRACE: Final = 2 * STOP_GRACE + 5
#: Where the lab's helm release of cluster-proxy goes (`ocm proxy ...`'s default namespace).
ADDON_NAMESPACE: Final = proxy.PROXY_SERVER_NAMESPACE_DEFAULT
#: (Deployment, container port, name): what the hub local runtime serves on fixed host ports.
LAB_HOST_PORTS: Final = (
    (proxy.CONFIGURATION_NAME, proxy.AGENT_SERVER_PORT, "agent-server"),
    (proxy.CONFIGURATION_NAME, proxy.PROXY_SERVER_PORT, "proxy-server"),
    (proxy.USER_SERVER_SERVICE, proxy.USER_SERVER_PORT, "user-server"),
)
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
        await self._step("hub: local runtime", self._start_hub_runtime())
        for cluster in self.clusters:
            await self._step(f"cluster {cluster}: klusterlet", self._start_klusterlet(cluster))
        await self._step("clusters joined, accepted and available", self._wait_available())
        await asyncio.to_thread(self._write_cluster_proxy_values)
        await asyncio.to_thread(self._write_env_file)
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
            grace=RUNTIME_STOP_GRACE,
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

    # -- the cluster-proxy add-on's lab settings --------------------------------------------
    @property
    def values_file(self) -> Path:
        return self.layout.root / "cluster-proxy-values.yaml"

    def _addon_port(self, name: str) -> int:
        return int(self.state["ports"][f"addon-{name}"])

    async def _start_hub_runtime(self) -> None:
        pinned = []
        for deployment, container_port, name in LAB_HOST_PORTS:
            # Any free port, kept in lab.json: a well-known one (8091) could be taken by the
            # time helm installs the add-on, minutes after it was found free.
            host_port = self.layout.port(self.state, f"addon-{name}")
            pinned += [
                "--host-port",
                f"{ADDON_NAMESPACE}/{deployment}:{container_port}={host_port}",
            ]
        await self._start_local_runtime(HUB, *pinned, "--host-path", str(self.layout.root))

    def _write_cluster_proxy_values(self) -> None:
        """The chart values that fit the lab, and the user-server's credentials on each spoke."""
        spokes = self.layout.root / "user-server" / "spokes"
        spokes.mkdir(parents=True, exist_ok=True)
        for cluster in self.clusters:
            target = spokes / f"{cluster}.kubeconfig"
            target.write_bytes(self.layout.kubeconfig(cluster).read_bytes())
            target.chmod(0o600)
        values = {
            "proxyServer": {
                "entrypointAddress": LOOPBACK,
                "port": self._addon_port("agent-server"),
            },
            "userServer": {
                "additionalArgs": [
                    f"--host={LOOPBACK}",
                    f"--port={self._addon_port('proxy-server')}",
                    f"--spoke-kubeconfig-dir={spokes}",
                ]
            },
        }
        header = (
            "# cluster-proxy chart values for this lab (written by `ocm up`; docs/addon.md):\n"
            "# agents dial the hub's proxy-server on 127.0.0.1 at the host port the hub's local\n"
            "# runtime serves it on (then move to the agent lane the server advertises); the\n"
            "# user-server reaches the proxy-server there (the lab has no cluster DNS) and the\n"
            "# spokes with the lab's admin kubeconfigs.\n"
        )
        self.values_file.write_text(header + yaml.safe_dump(values, sort_keys=False))

    @property
    def env_file(self) -> Path:
        return self.layout.root / "env.sh"

    def _write_env_file(self) -> None:
        """Shell variables for the commands in README.md and docs/ (`. .ocm/lab/env.sh`): the
        lab's ports are chosen once per lab, so the docs cannot spell them out."""
        variables = {
            "LAB": self.layout.root.resolve(),
            "HUB": self.layout.kubeconfig(HUB).resolve(),
            **{c.upper(): self.layout.kubeconfig(c).resolve() for c in self.clusters},
            "USER_SERVER": self.user_server_address(),
            "OCM": Path(sys.executable).parent / "ocm",
            "HELM": _helm(),
        }
        lines = [f"export {name}={shlex.quote(str(value))}" for name, value in variables.items()]
        self.env_file.write_text("# written by `ocm up`\n" + "\n".join(lines) + "\n")

    def helm_install_command(self) -> str:
        return (
            f"{_helm()} install cluster-proxy {REPO / 'charts' / 'cluster-proxy'} "
            f"-n {ADDON_NAMESPACE} --create-namespace -f {self.values_file} "
            f"--kubeconfig {self.layout.kubeconfig(HUB)}"
        )

    def user_server_address(self) -> str:
        return f"{LOOPBACK}:{self._addon_port('user-server')}"

    async def _start_local_runtime(self, cluster: str, *flags: str) -> None:
        self._spawn(
            f"localruntime-{cluster}",
            _python_module(
                "ocm_core.cli",
                "localruntime",
                "--kubeconfig",
                str(self.layout.kubeconfig(cluster)),
                "--data-dir",
                str(self.layout.runtime_dir(cluster)),
                *flags,
            ),
            grace=RUNTIME_STOP_GRACE,
        )
        await asyncio.sleep(0)  # it reports through the Deployments it runs

    def _spawn(self, name: str, argv: tuple[str, ...], *, grace: float = STOP_GRACE) -> None:
        plan = ProcessPlan(container=name, argv=argv, env={"PYTHONUNBUFFERED": "1"})
        child = ManagedProcess(plan, self.layout.log(name), lambda: None, grace=grace)
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
        hub = self.layout.kubeconfig(HUB)
        first = self.clusters[0] if self.clusters else "c1"
        ocm = f"{Path(sys.executable).parent / 'ocm'}"
        user_server = self.user_server_address()
        tunnel_kubeconfig = self.layout.root / "clusters" / first / "proxy.kubeconfig"
        lines = [
            "",
            "The lab is up.",
            f"  hub kubeconfig:      {hub}",
            *(f"  {c} kubeconfig:       {self.layout.kubeconfig(c)}" for c in self.clusters),
            f"  add-on values:       {self.values_file}",
            f"  logs:                {self.layout.logs}",
            f"  shell variables:     . {self.env_file}   (HUB, C1, USER_SERVER, ...: README.md)",
            "",
            "Try:",
            f"  {ocm} get clusters --kubeconfig {hub}",
            "  # 3. install the cluster-proxy add-on (an agent on every cluster), then watch it",
            "  #    until every cluster shows AVAILABLE True (about 30 s):",
            f"  {self.helm_install_command()}",
            f"  {ocm} get addons --kubeconfig {hub}",
            f"  # 1. kubectl to {first} through the tunnel (user-server -> proxy-server -> agent):",
            f"  {ocm} proxy kubeconfig {first} --kubeconfig {hub} --user-server {user_server}"
            f" -o {tunnel_kubeconfig}",
            f"  kubectl --kubeconfig {tunnel_kubeconfig} get namespaces",
            "  # 2. hub apps call services of a cluster: the steps are in docs/userserver.md",
            '  #    ("Journey 2 in the lab"); every cluster\'s health through the tunnel:',
            f"  {ocm} proxy health --kubeconfig {hub} --user-server {user_server}",
            "",
            "Ctrl-C stops everything; `ocm up` again resumes; `ocm down` removes the lab.",
        ]
        return "\n".join(lines)


def _helm() -> str:
    """`helm` when it is on PATH, else the one `make run`/`make test` fetched into .cache/."""
    fetched = REPO / ".cache" / "bin" / "helm"
    return "helm" if shutil.which("helm") or not fetched.exists() else str(fetched)


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
