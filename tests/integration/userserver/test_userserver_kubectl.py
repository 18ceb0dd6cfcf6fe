"""Real kubectl through the user-server into c1 (a real `ocm apiserver` as the spoke)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.support.userserver_lab import ALICE, BOB, Lab
from tests.support.wait import eventually

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed"),
]
CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: %s, namespace: default}
data: {colour: %s}
"""


async def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(kubeconfig),
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate(stdin.encode() if stdin is not None else None)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_kubectl_apply_and_get(lab: Lab) -> None:
    config = lab.kubeconfig("c1", ALICE)
    code, out = await kubectl(config, "apply", "-f", "-", stdin=CONFIGMAP % ("shop", "red"))
    assert code == 0, out
    code, out = await kubectl(config, "get", "configmap", "shop", "-o", "jsonpath={.data}")
    assert code == 0, out
    assert '"colour":"red"' in out
    code, out = await kubectl(config, "get", "namespaces")
    assert code == 0, out
    assert "default" in out


async def test_kubectl_watch_streams_changes(lab: Lab) -> None:
    config = lab.kubeconfig("c1", ALICE)
    watch = await asyncio.create_subprocess_exec(
        KUBECTL, "--kubeconfig", str(config), "get", "configmaps", "-w", "-o", "name",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert watch.stdout is not None
    seen: list[str] = []

    async def read_lines() -> None:
        assert watch.stdout is not None
        while line := await watch.stdout.readline():
            seen.append(line.decode().strip())

    reader = asyncio.ensure_future(read_lines())
    try:
        await eventually(lambda: bool(seen), timeout=15, what="the initial list")
        code, out = await kubectl(config, "apply", "-f", "-", stdin=CONFIGMAP % ("watched", "blue"))
        assert code == 0, out
        await eventually(lambda: "configmap/watched" in seen, timeout=15, what="the watch event")
    finally:
        watch.kill()
        await watch.wait()
        reader.cancel()


async def test_kubectl_without_the_proxy_right_is_forbidden(lab: Lab) -> None:
    code, out = await kubectl(lab.kubeconfig("c1", BOB), "get", "configmaps")
    assert code != 0
    assert 'user "bob" cannot get managedclusters/proxy "c1"' in out


async def test_kubectl_auth_whoami_on_the_spoke_names_the_hub_user(lab: Lab) -> None:
    code, out = await kubectl(lab.kubeconfig("c1", ALICE), "auth", "whoami")
    assert code == 0, out
    assert "alice" in out
