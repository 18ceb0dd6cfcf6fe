"""The clusteradm-style verbs against real processes: init, join (and its error messages),
accept, get clusters, unjoin."""

from __future__ import annotations

import shlex

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import NotFoundError
from ocm_core.registration import names
from tests.support.registration_procs import Lab, OcmProcess, admin_client, condition, run_ocm
from tests.support.wait import eventually


def _join_command(lab: Lab) -> list[str]:
    init = run_ocm("init", "--kubeconfig", str(lab.hub.kubeconfig))
    assert init.returncode == 0, init.stderr
    line = next(x for x in init.stdout.splitlines() if x.strip().startswith("ocm join"))
    return shlex.split(line.replace("<cluster_name>", "CLUSTER"))[2:]


def _with(args: list[str], flag: str, value: str) -> list[str]:
    result = list(args)
    result[result.index(flag) + 1] = value
    return result


async def test_init_creates_a_bootstrap_token_and_prints_a_join_command(lab: Lab) -> None:
    args = _join_command(lab)
    assert {"--hub-token", "--hub-apiserver", "--cluster-name", "--ca-data"} <= set(args)
    async with admin_client(lab.hub) as hub:
        secrets = (await hub.list(gvr.SECRETS, namespace="kube-system"))["items"]
    tokens = [s for s in secrets if s.get("type") == "bootstrap.kubernetes.io/token"]
    assert tokens


async def test_join_explains_an_unreachable_hub_and_a_refused_token(lab: Lab) -> None:
    args = _with(_join_command(lab), "--cluster-name", "c1")
    spoke = ["--spoke-kubeconfig", str(lab.spokes["c1"].kubeconfig)]
    unreachable = run_ocm("join", *_with(args, "--hub-apiserver", "https://127.0.0.1:1"), *spoke)
    assert unreachable.returncode == 1
    assert "cannot reach the hub at https://127.0.0.1:1" in unreachable.stderr
    refused = run_ocm("join", *_with(args, "--hub-token", "abcdef.0123456789abcdef"), *spoke)
    assert refused.returncode == 1
    assert "refused the token" in refused.stderr


async def test_join_wait_accept_get_and_unjoin(lab: Lab) -> None:
    args = _with(_join_command(lab), "--cluster-name", "c1")
    workdir = lab.workdir / "cli-c1"
    spoke = ["--spoke-kubeconfig", str(lab.spokes["c1"].kubeconfig)]
    join = run_ocm("join", *args, *spoke, "--hub-kubeconfig-dir", str(workdir))
    assert join.returncode == 0, join.stderr
    assert "ocm klusterlet --cluster-name c1 --hub-kubeconfig-dir" in join.stdout
    async with admin_client(lab.spokes["c1"]) as spoke_api:
        await spoke_api.get(gvr.SECRETS, names.BOOTSTRAP_SECRET, namespace=names.AGENT_NAMESPACE)

    not_registered = run_ocm(
        "accept", "--clusters", "nosuch", "--kubeconfig", str(lab.hub.kubeconfig)
    )
    assert not_registered.returncode == 1
    assert "has not registered yet" in not_registered.stderr

    waiting = OcmProcess(
        "join-wait",
        ["join", *args, *spoke, "--hub-kubeconfig-dir", str(workdir), "--wait"],
        lab.workdir,
    ).start()
    try:
        async with admin_client(lab.hub) as hub:

            async def registered() -> bool:
                try:
                    await hub.get(gvr.MANAGED_CLUSTERS, "c1")
                except NotFoundError:
                    return False
                return True

            await eventually(registered, timeout=60, what="c1 registered by join --wait")
            await eventually(lambda: "not yet accepted" in waiting.log(), timeout=60, what="hint")
            accept = run_ocm("accept", "--clusters", "c1", "--kubeconfig", str(lab.hub.kubeconfig))
            assert accept.returncode == 0, accept.stderr
            assert waiting.process is not None
            assert waiting.process.wait(timeout=60) == 0, waiting.log()
            assert "is accepted" in waiting.log()

            got = run_ocm("get", "clusters", "--kubeconfig", str(lab.hub.kubeconfig))
            assert got.stdout.splitlines()[0].split()[:2] == ["NAME", "HUB"]
            assert got.stdout.splitlines()[1].split()[:2] == ["c1", "true"]
            cluster = await hub.get(gvr.MANAGED_CLUSTERS, "c1")
            assert condition(cluster, cluster_api.CONDITION_HUB_ACCEPTED) == "True"
    finally:
        waiting.stop()

    unjoin = run_ocm("unjoin", "--cluster-name", "c1", *spoke, "--hub-kubeconfig-dir", str(workdir))
    assert unjoin.returncode == 0, unjoin.stderr
    async with admin_client(lab.spokes["c1"]) as spoke_api:
        secrets = (await spoke_api.list(gvr.SECRETS, namespace=names.AGENT_NAMESPACE))["items"]
    assert [s["metadata"]["name"] for s in secrets if "hub" in s["metadata"]["name"]] == []
    assert not (workdir / "tls.crt").exists()


async def test_join_refuses_a_name_another_agent_holds(lab: Lab) -> None:
    async with admin_client(lab.hub) as hub:
        body = {"metadata": {"name": "taken"}, "spec": {"hubAcceptsClient": True}}
        await hub.create(gvr.MANAGED_CLUSTERS, body)

        async def accepted() -> bool:
            cluster = await hub.get(gvr.MANAGED_CLUSTERS, "taken")
            return condition(cluster, cluster_api.CONDITION_HUB_ACCEPTED) == "True"

        await eventually(accepted, timeout=60, what="taken accepted")
        # Another agent joined it: its status says so.
        cluster = await hub.get(gvr.MANAGED_CLUSTERS, "taken")
        joined = {"type": cluster_api.CONDITION_JOINED, "status": "True",
                  "reason": names.REASON_JOINED, "message": "",
                  "lastTransitionTime": "2026-01-01T00:00:00Z"}  # fmt: skip
        conditions = [*cluster["status"]["conditions"], joined]
        await hub.patch(
            gvr.MANAGED_CLUSTERS,
            "taken",
            {"status": {"conditions": conditions}},
            subresource="status",
        )
    args = _with(_join_command(lab), "--cluster-name", "taken")
    taken = run_ocm("join", *args, "--spoke-kubeconfig", str(lab.spokes["c2"].kubeconfig))
    assert taken.returncode == 1
    assert "already taken" in taken.stderr
