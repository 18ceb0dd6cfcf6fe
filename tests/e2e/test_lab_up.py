"""`ocm up` with real processes and real kubectl: start, use, stop, resume, remove (the
journeys through the tunnel are in test_journey_addon.py)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

KUBECTL = "/usr/bin/kubectl"


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
        while not any(line.startswith("Ctrl-C stops everything") for line in lines):
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
        # The tunnel is the add-on the user installs (tests/e2e/test_journey_addon.py): the
        # lab writes the chart values that fit it and suggests the commands.
        assert (data_dir / "cluster-proxy-values.yaml").exists()
        # README.md's commands use the variables env.sh sets.
        sourced = await asyncio.create_subprocess_exec(
            "bash", "-c", '. "$0" && test -f "$HUB" && test -f "$C1" && echo "$USER_SERVER"',
            str(data_dir / "env.sh"), stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await sourced.communicate()
        assert sourced.returncode == 0
        assert out.decode().startswith("127.0.0.1:")
        assert any("helm install cluster-proxy" in line for line in lines)
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
