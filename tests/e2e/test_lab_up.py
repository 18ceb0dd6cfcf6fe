"""`ocm up` with real processes and real kubectl: start, use, stop, resume, remove."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp

KUBECTL = "/usr/bin/kubectl"
BYTES_TO_AGENT = 'konnectivity_network_proxy_server_bytes_total{direction="to_agent"}'


async def start_lab(data_dir: Path) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocm_core.cli",
        "up",
        "--clusters",
        "1",
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(120):
        while "The lab is up." not in lines:
            line = (await process.stdout.readline()).decode()
            assert line, "ocm up exited early:\n" + "".join(lines)
            lines.append(line.strip())
    return process, lines


async def stop_lab(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(60):
        assert process.stdout is not None
        await process.stdout.read()
        return await process.wait()


async def kubectl(kubeconfig: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(kubeconfig),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def kubectl_through_the_tunnel(data_dir: Path, spoke: Path) -> None:
    """get, apply, get -w and delete against c1's API server, reached only through the tunnel."""
    tunnel = data_dir / "clusters" / "c1" / "via-tunnel.kubeconfig"
    assert "kept" in await kubectl(tunnel, "get", "configmaps", "-o", "name")
    await kubectl(tunnel, "create", "configmap", "via-tunnel", "--from-literal=a=1")
    assert "via-tunnel" in await kubectl(spoke, "get", "configmap", "via-tunnel", "-o", "name")
    watch = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(tunnel),
        "get",
        "configmap",
        "via-tunnel",
        "-w",
        "-o",
        'jsonpath={.data.a}{"\\n"}',
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert watch.stdout is not None
    try:
        async with asyncio.timeout(30):
            assert (await watch.stdout.readline()).strip() == b"1"
            await kubectl(spoke, "patch", "configmap", "via-tunnel", "-p", '{"data":{"a":"2"}}')
            assert (await watch.stdout.readline()).strip() == b"2"  # the change arrives
    finally:
        watch.kill()
        await watch.wait()
    await kubectl(tunnel, "delete", "configmap", "via-tunnel")
    state = json.loads((data_dir / "lab.json").read_text())
    metrics = await _get(f"http://127.0.0.1:{state['ports']['proxy-health']}/metrics")
    relayed = [line for line in metrics.splitlines() if line.startswith(BYTES_TO_AGENT)]
    assert relayed
    assert float(relayed[0].split()[-1]) > 0


async def work_lands_on_the_spoke(hub: Path, spoke: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-hub, namespace: default}\n"
        "data: {hello: world}\n"
    )
    create = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocm_core.cli",
        "work",
        "create",
        "--cluster",
        "c1",
        "-f",
        str(manifest),
        "--name",
        "demo",
        "--kubeconfig",
        str(hub),
    )
    assert await create.wait() == 0
    async with asyncio.timeout(60):
        while True:
            process = await asyncio.create_subprocess_exec(
                KUBECTL,
                "--kubeconfig",
                str(spoke),
                "get",
                "configmap",
                "from-hub",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if await process.wait() == 0:
                return
            await asyncio.sleep(0.2)


async def _get(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()


async def test_lab_starts_serves_kubectl_stops_resumes_and_is_removed(tmp_path: Path) -> None:
    data_dir = tmp_path / "lab"
    process, lines = await start_lab(data_dir)
    try:
        assert any(line.startswith("Starting the lab") for line in lines)
        hub = data_dir / "clusters" / "hub" / "apiserver" / "admin.kubeconfig"
        crds = json.loads(await kubectl(hub, "get", "crds", "-o", "json"))
        names = {item["metadata"]["name"] for item in crds["items"]}
        assert "managedclusters.cluster.open-cluster-management.io" in names
        assert "managedproxyconfigurations.proxy.open-cluster-management.io" in names
        spoke = data_dir / "clusters" / "c1" / "apiserver" / "admin.kubeconfig"
        await kubectl(spoke, "create", "configmap", "kept", "--from-literal=k=v")
        await kubectl_through_the_tunnel(data_dir, spoke)
        await work_lands_on_the_spoke(hub, spoke, tmp_path)
    finally:
        assert await stop_lab(process) == 0

    process, lines = await start_lab(data_dir)
    try:
        assert any(line.startswith("Resuming the lab") for line in lines)
        assert "kept" in await kubectl(spoke, "get", "configmap", "kept", "-o", "name")
    finally:
        assert await stop_lab(process) == 0

    down = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocm_core.cli", "down", "--data-dir", str(data_dir)
    )
    assert await down.wait() == 0
    assert not data_dir.exists()
