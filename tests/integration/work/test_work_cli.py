"""``ocm work create/get/delete`` against the hub, with a work agent applying the result."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, errors
from tests.integration.work.conftest import AgentFactory, Servers
from tests.support.wait import eventually
from tests.support.work_builders import configmap, deployment


async def ocm(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocm_core.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_create_get_delete(
    servers: Servers,
    hub: ApiClient,
    spoke: ApiClient,
    cluster: str,
    start_agent: AgentFactory,
    tmp_path: Path,
) -> None:
    await start_agent(cluster)
    manifests = tmp_path / "web.yaml"
    manifests.write_text(
        yaml.safe_dump_all([deployment("web", cluster), configmap("web-config", cluster)])
    )
    kubeconfig = str(servers.hub.kubeconfig)
    code, out, err = await ocm("work", "create", "--kubeconfig", kubeconfig,
                               "--cluster", cluster, "-f", str(manifests))  # fmt: skip
    assert (code, err) == (0, "")
    assert (
        out.strip()
        == f"manifestwork.work.open-cluster-management.io/web created (cluster {cluster})"
    )

    async def applied() -> bool:
        try:
            await spoke.get(gvr.DEPLOYMENTS, "web", namespace=cluster)
        except errors.NotFoundError:
            return False
        _, listing, _ = await ocm("work", "get", "--kubeconfig", kubeconfig, "--cluster", cluster)
        return "True" in listing

    await eventually(applied, what="the work applied and listed as Applied", timeout=30.0)
    _, listing, _ = await ocm("work", "get", "--kubeconfig", kubeconfig, "--cluster", cluster)
    header, row = listing.strip().splitlines()
    assert header.split() == ["CLUSTER", "NAME", "MANIFESTS", "APPLIED", "AVAILABLE", "DELETING"]
    assert row.split() == [cluster, "web", "2", "True", "True"]

    code, _, err = await ocm("work", "create", "--kubeconfig", kubeconfig,
                             "--cluster", cluster, "-f", str(manifests))  # fmt: skip
    assert code == 1
    assert "already exists" in err
    assert "--overwrite" in err

    code, out, _ = await ocm("work", "delete", "web", "--kubeconfig", kubeconfig,
                             "--cluster", cluster, "--wait")  # fmt: skip
    assert code == 0
    assert "deleted" in out
    try:
        await spoke.get(gvr.DEPLOYMENTS, "web", namespace=cluster)
    except errors.NotFoundError:
        pass
    else:
        raise AssertionError("the Deployment outlived its work")


async def test_bad_input_gets_a_clear_message(servers: Servers, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    kubeconfig = str(servers.hub.kubeconfig)
    code, _, err = await ocm("work", "create", "--kubeconfig", kubeconfig, "--cluster", "c",
                             "-f", str(empty))  # fmt: skip
    assert code == 1
    assert err.strip() == f"ocm work: cannot read manifests: {empty} holds no manifests"
    code, _, err = await ocm("work", "get", "nope", "--kubeconfig", kubeconfig)
    assert code == 1
    assert "needs --cluster" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"apiVersion": "v1", "metadata": {"name": "x"}}))
    code, _, err = await ocm("work", "create", "--kubeconfig", kubeconfig, "--cluster", "default",
                             "-f", str(bad))  # fmt: skip
    assert code == 1
    assert "spec.workload.manifests[0].kind: Required value" in err
