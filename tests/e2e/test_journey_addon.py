"""Journeys 1 and 3 against one `ocm up` lab (2 clusters), with real helm, kubectl and ocm.

3. helm install the cluster-proxy add-on with the values `ocm up` wrote: the hub local runtime
   runs the manager, proxy-server and user-server; the manager installs the add-on on every
   cluster; each klusterlet runs the proxy-agent with its CSR-signed certificate; `ocm get
   addons` shows Available (the agent's lease, renewed only while its tunnel is up).
1. kubectl through the tunnel: get, apply, get -w (a change made on the spoke arrives) and
   delete against each spoke's API server, reached only through the user-server and the tunnel.
3. helm upgrade with agent flags re-renders the work and restarts the agents with them;
   Ctrl-C and `ocm up` again bring the add-on back; helm uninstall leaves nothing of the add-on
   on the spokes and no agent running.
The tests run in file order and share the lab (one lab per module keeps the suite fast).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.lab import ADDON_NAMESPACE, KUBECTL, Lab, run

CLUSTERS = ("c1", "c2")
DEADLINE = 90.0
AGENT_FLAG = "--sync-interval-cap=5"
LANES = "konnectivity_network_proxy_server_agent_lanes"
GRPC_AGENT_STREAMS = 'konnectivity_network_proxy_server_grpc_connections{service_method="Connect"}'


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("journey") / "lab", CLUSTERS)
    lab.start()
    try:
        yield lab
    finally:
        assert lab.stop() == 0


async def eventually(what: str, check: Callable[[], Coroutine[Any, Any, bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


def lab_command_lines(lab: Lab) -> list[list[str]]:
    """Argument lists of this lab's processes (other labs may run on this machine with the same
    cluster names: their files are elsewhere)."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = [w.decode(errors="replace") for w in cmdline.read_bytes().split(b"\0")]
        except OSError:
            continue
        if str(lab.root) in " ".join(words):
            lines.append(words)
    return lines


def agent_command_lines(lab: Lab, cluster: str) -> list[str]:
    """Command lines of this lab's proxy-agent processes of `cluster`."""
    texts = (" ".join(words) for words in lab_command_lines(lab))
    return [t for t in texts if "proxy_agent" in t and f"--cluster-name={cluster}" in t]


async def addons_available(lab: Lab) -> bool:
    result = await lab.ocm("get", "addons", "--kubeconfig", str(lab.hub))
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    available = {row[0] for row in rows if row[1:3] == ["cluster-proxy", "True"]}
    return available == set(CLUSTERS)


async def test_helm_install_makes_the_addon_available_everywhere(lab: Lab) -> None:
    command = lab.suggested("helm install cluster-proxy")
    assert f"-f {lab.values_file}" in command  # the one thing the lab adds to the chart
    await lab.helm_cluster_proxy("install")
    await eventually("cluster-proxy Available on every cluster", lambda: addons_available(lab))
    for cluster in CLUSTERS:
        assert len(agent_command_lines(lab, cluster)) == 1
        secrets = await lab.kubectl(
            lab.kubeconfig(cluster), "get", "secrets", "-n", ADDON_NAMESPACE, "-o", "name"
        )
        assert "proxy-agent-signer-client-cert" in secrets  # CSR-signed by the hub


async def _proxy_kubeconfig(lab: Lab, cluster: str, tmp_path: Path) -> Path:
    suggested = lab.suggested("proxy kubeconfig ")
    user_server = suggested.split("--user-server ", 1)[1].split()[0]
    result = await lab.ocm(
        "proxy", "kubeconfig", cluster, "--kubeconfig", str(lab.hub), "--user-server", user_server
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / f"{cluster}-via-tunnel.kubeconfig"
    path.write_text(result.stdout)
    return path


@pytest.mark.parametrize("cluster", CLUSTERS)
async def test_kubectl_through_the_tunnel(lab: Lab, cluster: str, tmp_path: Path) -> None:
    tunnel = await _proxy_kubeconfig(lab, cluster, tmp_path)
    spoke = lab.kubeconfig(cluster)
    await lab.kubectl(spoke, "create", "configmap", "on-spoke", "--from-literal=k=v")
    assert "on-spoke" in await lab.kubectl(tunnel, "get", "configmaps", "-o", "name")
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: via-tunnel, namespace: default}\n"
        "data: {a: '1'}\n"
    )
    await lab.kubectl(tunnel, "apply", "-f", str(manifest))
    assert "via-tunnel" in await lab.kubectl(spoke, "get", "configmap", "via-tunnel", "-o", "name")
    watch = await asyncio.create_subprocess_exec(
        KUBECTL, "--kubeconfig", str(tunnel), "get", "configmap", "via-tunnel", "-w",
        "-o", 'jsonpath={.data.a}{"\\n"}',
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert watch.stdout is not None
    try:
        async with asyncio.timeout(30):
            assert (await watch.stdout.readline()).strip() == b"1"
            await lab.kubectl(spoke, "patch", "configmap", "via-tunnel", "-p", '{"data":{"a":"2"}}')
            assert (await watch.stdout.readline()).strip() == b"2"  # the change arrives
    finally:
        watch.kill()
        await watch.wait()
    await lab.kubectl(tunnel, "delete", "configmap", "via-tunnel", "on-spoke")
    remaining = await lab.kubectl(spoke, "get", "configmaps", "-o", "name")
    assert "via-tunnel" not in remaining
    assert "on-spoke" not in remaining


async def test_proxy_health_reaches_every_cluster(lab: Lab) -> None:
    user_server = lab.suggested("proxy health").split("--user-server ", 1)[1].split()[0]
    result = await lab.ocm(
        "proxy", "health", "--kubeconfig", str(lab.hub), "--user-server", user_server
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split() for line in result.stdout.splitlines()[1:]] == [
        [c, "ok"] for c in CLUSTERS
    ]


def proxy_server_health_ports(lab: Lab) -> list[int]:
    """Host health (and metrics) ports of this lab's proxy-server processes (the local runtime
    gives every container port a host port of its own and rewrites the flags)."""
    ports = []
    for words in lab_command_lines(lab):
        if "--agent-port=" in " ".join(words):
            ports += [int(w.split("=", 1)[1]) for w in words if w.startswith("--health-port=")]
    return ports


async def scrape(port: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    return {name: float(value) for name, value in samples}


async def test_every_agent_moves_to_the_agent_lane(lab: Lab) -> None:
    """The manager's proxy-server opens the lane (8096, a host port of its own in the lab) and
    advertises it; each cluster's agent, deployed the product's way, ends up on it."""
    (health_port,) = proxy_server_health_ports(lab)
    metrics: dict[str, float] = {}

    async def all_on_lanes() -> bool:
        nonlocal metrics
        metrics = await scrape(health_port)
        return metrics.get(LANES) == len(CLUSTERS) and metrics.get(GRPC_AGENT_STREAMS) == 0.0

    try:
        await eventually("every agent on a lane, none left on gRPC", all_on_lanes)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}: {LANES}={metrics.get(LANES)}, "
            f"{GRPC_AGENT_STREAMS}={metrics.get(GRPC_AGENT_STREAMS)}"
        ) from None


async def test_helm_upgrade_rerenders_and_restarts_the_agents(lab: Lab) -> None:
    await lab.helm_cluster_proxy("upgrade", f"proxyAgent.additionalArgs={{{AGENT_FLAG}}}")
    for cluster in CLUSTERS:

        async def restarted(cluster: str = cluster) -> bool:
            lines = agent_command_lines(lab, cluster)
            return len(lines) == 1 and AGENT_FLAG in lines[0]

        await eventually(f"the {cluster} agent running with {AGENT_FLAG}", restarted)
        deployment = json.loads(
            await lab.kubectl(
                lab.kubeconfig(cluster), "get", "deployment", "cluster-proxy-proxy-agent",
                "-n", ADDON_NAMESPACE, "-o", "json",
            )
        )  # fmt: skip
        assert AGENT_FLAG in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    await eventually("cluster-proxy Available again", lambda: addons_available(lab))


async def test_the_addon_comes_back_when_the_lab_resumes(lab: Lab, tmp_path: Path) -> None:
    assert lab.stop() == 0
    assert not agent_command_lines(lab, "c1")  # Ctrl-C stopped every process of the lab
    lab.output.clear()
    lab.start()
    assert any(line.startswith("Resuming the lab") for line in lab.output)
    await eventually("cluster-proxy Available after resuming", lambda: addons_available(lab))
    tunnel = await _proxy_kubeconfig(lab, "c1", tmp_path)  # the same ports as before

    async def tunnel_serves() -> bool:
        # Available can still be the lease renewed before the stop, so wait for the agent itself.
        result = await run(KUBECTL, "--kubeconfig", str(tunnel), "get", "namespaces", "-o", "name")
        return result.returncode == 0 and "default" in result.stdout

    await eventually("kubectl through the tunnel after resuming", tunnel_serves)


async def test_helm_uninstall_leaves_nothing_on_the_spokes(lab: Lab) -> None:
    result = await lab.helm("uninstall", "cluster-proxy", "-n", ADDON_NAMESPACE)
    assert result.returncode == 0, result.stderr
    for cluster in CLUSTERS:
        spoke = lab.kubeconfig(cluster)

        async def gone(spoke: Path = spoke, cluster: str = cluster) -> bool:
            namespaces = await lab.kubectl(spoke, "get", "namespaces", "-o", "name")
            return ADDON_NAMESPACE not in namespaces and not agent_command_lines(lab, cluster)

        await eventually(f"nothing of the add-on on {cluster}", gone)
        everything = await lab.kubectl(spoke, "get", "deployments,secrets,configmaps", "-A")
        assert "cluster-proxy" not in everything
    works = await lab.kubectl(lab.hub, "get", "manifestworks", "-A", "-o", "name")
    assert "addon-cluster-proxy" not in works

    async def hub_side_gone() -> bool:
        listing = await lab.kubectl(lab.hub, "get", "deployments", "-n", ADDON_NAMESPACE)
        return not listing.strip()

    await eventually("the hub's proxy-server and user-server gone", hub_side_gone)
