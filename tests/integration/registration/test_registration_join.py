"""Registration end to end with real processes: an embedded hub with ``ocm hub``, two spokes
(each its own embedded API server) running ``ocm klusterlet``."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
import yaml

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import ForbiddenError, NotFoundError
from ocm_core.registration import names
from ocm_core.registration.spoke import credentials
from ocm_core.registration.spoke.credentials import HubCredentials
from ocm_core.registration.spoke.store import CredentialStore
from tests.support.registration_procs import (
    Lab,
    admin_client,
    condition,
    klusterlet,
    run_ocm,
)
from tests.support.wait import eventually

JOIN_TIMEOUT = 60.0
LEASE_SECONDS = 2
SHORT_CERT_SECONDS = 20


async def _get(api: ApiClient, resource: gvr.Resource, name: str, ns: str | None = None) -> Any:
    try:
        return await api.get(resource, name, namespace=ns)
    except NotFoundError:
        return None


async def _status(api: ApiClient, cluster: str, kind: str) -> str | None:
    return condition(await _get(api, gvr.MANAGED_CLUSTERS, cluster), kind)


async def _ensure_accepted(hub: ApiClient, cluster: str) -> None:
    body = {"metadata": {"name": cluster}, "spec": {"hubAcceptsClient": True}}
    if await _get(hub, gvr.MANAGED_CLUSTERS, cluster) is None:
        await hub.create(gvr.MANAGED_CLUSTERS, body)
    await hub.patch(gvr.MANAGED_CLUSTERS, cluster, {"spec": body["spec"]})

    async def accepted() -> bool:
        return await _status(hub, cluster, cluster_api.CONDITION_HUB_ACCEPTED) == "True"

    await eventually(accepted, timeout=JOIN_TIMEOUT, what=f"{cluster} accepted")


async def test_two_spokes_join_become_available_and_recover_after_an_agent_stops(lab: Lab) -> None:
    agents = {
        name: klusterlet(name, lab.hub, spoke, lab.workdir) for name, spoke in lab.spokes.items()
    }
    try:
        async with admin_client(lab.hub) as hub:

            async def registered() -> bool:
                return all([await _get(hub, gvr.MANAGED_CLUSTERS, c) for c in agents])

            await eventually(registered, timeout=JOIN_TIMEOUT, what="ManagedClusters created")
            assert await _status(hub, "c1", cluster_api.CONDITION_JOINED) is None  # not accepted
            accepted = run_ocm(
                "accept", "--clusters", "c1,c2", "--kubeconfig", str(lab.hub.kubeconfig)
            )
            assert accepted.returncode == 0, accepted.stderr
            for name in agents:
                body = {"spec": {"leaseDurationSeconds": LEASE_SECONDS}}
                await hub.patch(gvr.MANAGED_CLUSTERS, name, body)

            async def all_available() -> bool:
                return all(
                    [
                        await _status(hub, c, cluster_api.CONDITION_AVAILABLE) == "True"
                        for c in agents
                    ]
                )

            await eventually(all_available, timeout=JOIN_TIMEOUT, what="both clusters Available")
            cluster = await hub.get(gvr.MANAGED_CLUSTERS, "c1")
            assert cluster["status"]["version"]["kubernetes"]
            assert condition(cluster, cluster_api.CONDITION_JOINED) == "True"
            assert cluster["metadata"]["labels"][cluster_api.CLUSTER_SET_LABEL] == "default"
            lease = await hub.get(gvr.LEASES, names.LEASE_NAME, namespace="c1")
            assert lease["spec"]["renewTime"]

            async with admin_client(lab.spokes["c1"]) as spoke:
                secret = await spoke.get(
                    gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE
                )
            assert set(secret["data"]) == {
                "kubeconfig",
                "tls.crt",
                "tls.key",
                "cluster-name",
                "agent-name",
            }
            table = run_ocm("get", "clusters", "--kubeconfig", str(lab.hub.kubeconfig))
            assert table.returncode == 0
            assert [line.split()[:4] for line in table.stdout.splitlines()[1:]] == [
                ["c1", "true", "True", "True"],
                ["c2", "true", "True", "True"],
            ]

            agents["c1"].stop()

            async def c1_unknown() -> bool:
                return await _status(hub, "c1", cluster_api.CONDITION_AVAILABLE) == "Unknown"

            await eventually(
                c1_unknown, timeout=JOIN_TIMEOUT, what="c1 Unknown after its agent stopped"
            )
            unknown = await hub.get(gvr.MANAGED_CLUSTERS, "c1")
            found = [
                c
                for c in unknown["status"]["conditions"]
                if c["type"] == cluster_api.CONDITION_AVAILABLE
            ]
            assert found[0]["reason"] == names.REASON_LEASE_UPDATE_STOPPED
            assert await _status(hub, "c2", cluster_api.CONDITION_AVAILABLE) == "True"

            agents["c1"] = klusterlet("c1", lab.hub, lab.spokes["c1"], lab.workdir)

            async def c1_back() -> bool:
                return await _status(hub, "c1", cluster_api.CONDITION_AVAILABLE) == "True"

            await eventually(c1_back, timeout=JOIN_TIMEOUT, what="c1 Available again")
    finally:
        for agent in agents.values():
            agent.stop()


async def _seed_short_lived_credentials(lab: Lab, cluster: str, agent: str) -> bytes:
    """Store a certificate valid for a few seconds, issued by the hub CA, on the spoke."""
    ca = pki.load_ca(lab.hub.data_dir / "ca.crt", lab.hub.data_dir / "ca.key")
    user, groups = credentials.agent_subject(cluster, agent)
    issued = pki.issue_client_cert(
        ca, user=user, groups=groups, validity=dt.timedelta(seconds=SHORT_CERT_SECONDS)
    )
    bootstrap = yaml.safe_load(lab.hub.kubeconfig.read_text())
    creds = HubCredentials(
        credentials.hub_kubeconfig(bootstrap), issued.cert_pem(), issued.key_pem(), cluster, agent
    )
    async with admin_client(lab.spokes[cluster]) as spoke:
        await CredentialStore(spoke, lab.workdir / f"{cluster}-hub-kubeconfig").save(creds)
    return issued.cert_pem()


async def test_a_short_lived_client_certificate_is_rotated(lab: Lab) -> None:
    async with admin_client(lab.hub) as hub:
        await _ensure_accepted(hub, "c1")
        old_pem = await _seed_short_lived_credentials(lab, "c1", "short")
        agent = klusterlet("c1", lab.hub, lab.spokes["c1"], lab.workdir, "--agent-id", "short")
        try:
            async with admin_client(lab.spokes["c1"]) as spoke:

                async def rotated() -> bool:
                    secret = await spoke.get(
                        gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE
                    )
                    return base64.b64decode(secret["data"]["tls.crt"]) != old_pem

                await eventually(rotated, timeout=JOIN_TIMEOUT, what="certificate rotated")
                secret = await spoke.get(
                    gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE
                )
            new = pki.load_certificate_pem(base64.b64decode(secret["data"]["tls.crt"]))
            old = pki.load_certificate_pem(old_pem)
            assert new.not_valid_after_utc > old.not_valid_after_utc + dt.timedelta(minutes=5)
            assert pki.subject_user(new)[0] == names.agent_user("c1", "short")

            async def reported() -> bool:
                return await _status(hub, "c1", names.CONDITION_CERT_ROTATED) == "True"

            await eventually(reported, timeout=JOIN_TIMEOUT, what="ClusterCertificateRotated")
            # The agent keeps working with the new certificate after the old one expired.
            lease_before = (await hub.get(gvr.LEASES, names.LEASE_NAME, namespace="c1"))["spec"][
                "renewTime"
            ]

            async def renewed_later() -> bool:
                lease = await hub.get(gvr.LEASES, names.LEASE_NAME, namespace="c1")
                return bool(lease["spec"]["renewTime"] > lease_before) and pki.is_expired(old)

            await eventually(
                renewed_later, timeout=JOIN_TIMEOUT, what="lease renewed with new cert"
            )
        finally:
            agent.stop()


async def test_a_clusters_credentials_cannot_touch_another_cluster(lab: Lab) -> None:
    async with admin_client(lab.hub) as hub:
        for name in ("c1", "c2"):
            await _ensure_accepted(hub, name)
    ca = pki.load_ca(lab.hub.data_dir / "ca.crt", lab.hub.data_dir / "ca.key")
    user, groups = credentials.agent_subject("c1", "agent")
    issued = pki.issue_client_cert(ca, user=user, groups=groups)
    config = KubeConfig(
        server=KubeConfig.from_kubeconfig(lab.hub.kubeconfig).server,
        ca_data=(lab.hub.data_dir / "ca.crt").read_bytes(),
        client_cert_data=issued.cert_pem(),
        client_key_data=issued.key_pem(),
    )
    async with ApiClient(config) as as_c1:
        await as_c1.get(gvr.MANAGED_CLUSTERS, "c1")  # its own cluster: allowed
        with pytest.raises(ForbiddenError):
            await as_c1.get(gvr.MANAGED_CLUSTERS, "c2")
        with pytest.raises(ForbiddenError):
            await as_c1.patch(gvr.MANAGED_CLUSTERS, "c2", {"spec": {"hubAcceptsClient": False}})


async def test_deny_then_delete_revokes_and_cleans_up(lab: Lab) -> None:
    async with admin_client(lab.hub) as hub:
        await _ensure_accepted(hub, "c2")
        binding = names.registration_binding_name("c2")
        assert await _get(hub, gvr.ROLE_BINDINGS, binding, "c2") is not None
        await hub.patch(gvr.MANAGED_CLUSTERS, "c2", {"spec": {"hubAcceptsClient": False}})

        async def denied() -> bool:
            return await _status(hub, "c2", cluster_api.CONDITION_HUB_ACCEPTED) == "False"

        await eventually(denied, timeout=JOIN_TIMEOUT, what="c2 denied")
        assert await _get(hub, gvr.ROLE_BINDINGS, binding, "c2") is None
        role = await hub.get(gvr.CLUSTER_ROLES, names.cluster_role_name("c2"))
        assert [rule["verbs"] for rule in role["rules"]] == [["get", "list", "watch"]]

        await hub.delete(gvr.MANAGED_CLUSTERS, "c2")

        async def cleaned_up() -> bool:
            gone = [
                await _get(hub, gvr.MANAGED_CLUSTERS, "c2"),
                await _get(hub, gvr.CLUSTER_ROLES, names.cluster_role_name("c2")),
                await _get(hub, gvr.CLUSTER_ROLE_BINDINGS, names.cluster_role_name("c2")),
            ]
            namespace = await _get(hub, gvr.NAMESPACES, "c2")
            return all(x is None for x in gone) and (
                namespace is None or bool(namespace["metadata"].get("deletionTimestamp"))
            )

        await eventually(cleaned_up, timeout=JOIN_TIMEOUT, what="c2 cleaned up")
