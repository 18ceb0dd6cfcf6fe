"""Spoke agent pieces with the fake API: credentials, bootstrap, lease renewal, status,
certificate rotation."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import ConflictError, KubeConnectionError, NotFoundError
from ocm_core.registration import names
from ocm_core.registration.hub.csr import parse_cluster_csr
from ocm_core.registration.spoke import bootstrap, credentials, join
from ocm_core.registration.spoke.agent import AgentOptions, RegistrationAgent
from ocm_core.registration.spoke.controllers import (
    ClientCertRotationController,
    ClusterStatusController,
    LeaseUpdateController,
    cluster_claims,
    sum_resources,
)
from ocm_core.registration.spoke.credentials import HubCredentials
from ocm_core.registration.spoke.store import CredentialStore
from ocm_core.runtime import FakeClock, patching
from tests.support.registration_fakes import Informers, RegistrationFakeApi, managed_cluster

BOOTSTRAP = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {
            "name": "hub",
            "cluster": {"server": "https://hub:6443", "proxy-url": "http://proxy:3128"},
        }
    ],
    "users": [{"name": "b", "user": {"token": "abcdef.0123456789abcdef"}}],
    "contexts": [{"name": "b", "context": {"cluster": "hub", "user": "b"}}],
    "current-context": "b",
}
CA = pki.create_ca("test-hub-ca")


def _creds(validity: dt.timedelta, cluster: str = "c1", agent: str = "a1") -> HubCredentials:
    user, groups = credentials.agent_subject(cluster, agent)
    issued = pki.issue_client_cert(CA, user=user, groups=groups, validity=validity)
    return HubCredentials(
        credentials.hub_kubeconfig(BOOTSTRAP), issued.cert_pem(), issued.key_pem(), cluster, agent
    )


class FakeSpoke(RegistrationFakeApi):
    """The spoke side also answers /livez and /version."""

    healthy = True

    async def get_text(self, path: str, *, request_timeout: float | None = None) -> str:
        if not self.healthy:
            raise KubeConnectionError("connection refused")
        if path == "/version":
            return '{"gitVersion": "v1.31.0"}'
        return "ok"


def test_hub_kubeconfig_keeps_server_proxy_and_names() -> None:
    hub = credentials.hub_kubeconfig(BOOTSTRAP)
    assert hub["clusters"][0]["cluster"] == {
        "server": "https://hub:6443",
        "proxy-url": "http://proxy:3128",
    }
    assert hub["current-context"] == "default-context"
    assert hub["contexts"][0]["context"]["namespace"] == "configuration"
    assert hub["users"][0] == {
        "name": "default-auth",
        "user": {"client-certificate": "tls.crt", "client-key": "tls.key"},
    }
    assert credentials.same_hub(hub, BOOTSTRAP)
    other = {**BOOTSTRAP, "clusters": [{"name": "hub", "cluster": {"server": "https://x"}}]}
    assert not credentials.same_hub(hub, other)


def test_credentials_problems() -> None:
    assert credentials.problem(_creds(dt.timedelta(hours=1))) is None
    stale = _creds(dt.timedelta(hours=1))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert "expired" in (credentials.problem(stale, now=later) or "")
    wrong = _creds(dt.timedelta(hours=1), agent="other")
    moved = HubCredentials(wrong.kubeconfig, wrong.cert_pem, wrong.key_pem, "c1", "a1")
    assert "not this cluster" in (credentials.problem(moved) or "")


def test_csr_uses_the_upstream_subject() -> None:
    body = credentials.csr_object("c1", "a1", pki.generate_private_key(), 3600)
    assert body["metadata"]["generateName"] == "c1-"
    assert body["spec"]["expirationSeconds"] == 3600
    parsed = parse_cluster_csr(body)
    assert parsed is not None
    assert (parsed.cluster, parsed.agent_id) == ("c1", "a1")


async def test_store_round_trip(tmp_path: Path) -> None:
    spoke = RegistrationFakeApi()
    store = CredentialStore(spoke, tmp_path)
    creds = _creds(dt.timedelta(hours=1))
    await store.save(creds)
    assert (tmp_path / "tls.crt").read_bytes() == creds.cert_pem
    secret = spoke.find(gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, names.AGENT_NAMESPACE)
    assert secret is not None
    assert base64.b64decode(secret["data"]["cluster-name"]) == b"c1"
    loaded = await store.load()
    assert loaded is not None
    assert (loaded.cert_pem, loaded.agent, loaded.kubeconfig) == (
        creds.cert_pem,
        "a1",
        creds.kubeconfig,
    )


async def test_bootstrap_creates_cluster_and_waits_for_the_certificate() -> None:
    hub, clock = RegistrationFakeApi(), FakeClock()
    await bootstrap.ensure_managed_cluster(hub, "c1", clock)
    assert hub.find(gvr.MANAGED_CLUSTERS, "c1") is not None
    waiting = asyncio.create_task(bootstrap.request_certificate(hub, "c1", "a1", clock))
    await clock.advance(0)
    (csr,) = hub.objects_of(gvr.CERTIFICATE_SIGNING_REQUESTS)
    assert not waiting.done()
    signed = pki.sign_csr_spec(CA, csr["spec"])
    await hub.patch(
        gvr.CERTIFICATE_SIGNING_REQUESTS,
        csr["metadata"]["name"],
        {"status": {"certificate": base64.b64encode(signed).decode()}},
        subresource="status",
    )
    await clock.advance(bootstrap.POLL_SECONDS)
    cert_pem, key_pem = await waiting
    assert cert_pem == signed
    assert pki.load_private_key_pem(key_pem)


async def test_bootstrap_reports_a_denied_csr() -> None:
    hub, clock = RegistrationFakeApi(), FakeClock()
    waiting = asyncio.create_task(bootstrap.request_certificate(hub, "c1", "a1", clock))
    await clock.advance(0)
    (csr,) = hub.objects_of(gvr.CERTIFICATE_SIGNING_REQUESTS)
    csr["status"] = {"conditions": [{"type": "Denied", "status": "True", "message": "no"}]}
    await hub.replace(gvr.CERTIFICATE_SIGNING_REQUESTS, csr, subresource="approval")
    await clock.advance(bootstrap.POLL_SECONDS)
    with pytest.raises(bootstrap.BootstrapError, match="denied"):
        await waiting


async def test_lease_is_renewed_once_the_hub_created_it() -> None:
    hub, clock = RegistrationFakeApi(), FakeClock()
    hub.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True, leaseDurationSeconds=10))
    informers = Informers(hub, clock)
    controller = LeaseUpdateController(
        hub, informers[gvr.MANAGED_CLUSTERS], clock, random.Random(1)
    )
    waiting = await controller.reconcile("c1")
    assert waiting is not None
    assert waiting.requeue_after == 1.0
    hub.seed(gvr.LEASES, {"metadata": {"name": names.LEASE_NAME, "namespace": "c1"}, "spec": {}})
    await clock.advance(3)
    result = await controller.reconcile("c1")
    assert result is not None
    assert result.requeue_after is not None
    assert 10 <= result.requeue_after <= 12.5
    lease = hub.find(gvr.LEASES, names.LEASE_NAME, "c1")
    assert lease is not None
    assert lease["spec"]["renewTime"].startswith("2026-01-01T00:00:03")


def _accepted(clock: FakeClock) -> dict[str, Any]:
    cluster = managed_cluster("c1", accepted=True)
    cluster["status"] = {
        "conditions": patching.set_condition(
            [],
            type=cluster_api.CONDITION_HUB_ACCEPTED,
            status="True",
            reason=names.REASON_ACCEPTED,
            message="",
            clock=clock,
        )
    }
    return cluster


async def test_status_reports_joined_available_version_claims_and_capacity() -> None:
    hub, spoke, clock = RegistrationFakeApi(), FakeSpoke(), FakeClock()
    hub.seed(gvr.MANAGED_CLUSTERS, _accepted(clock))
    spoke.seed(gvr.NODES, {"metadata": {"name": "n1"}, "status": {
        "capacity": {"cpu": "2", "memory": "1Gi"}, "allocatable": {"cpu": "1500m"}}})  # fmt: skip
    spoke.seed(gvr.CLUSTER_CLAIMS, {"metadata": {"name": "id.k8s.io"}, "spec": {"value": "x"}})
    spoke.seed(gvr.CLUSTER_CLAIMS, {"metadata": {"name": "region"}, "spec": {"value": "eu"}})
    spoke.seed(gvr.CLUSTER_CLAIMS, {"metadata": {"name": "secret", "labels": {
        names.SPOKE_ONLY_CLAIM_LABEL: ""}}, "spec": {"value": "s"}})  # fmt: skip
    informers = Informers(hub, clock)
    controller = ClusterStatusController(hub, spoke, informers[gvr.MANAGED_CLUSTERS], clock, 60)
    assert await controller.reconcile("c1") is not None
    status = (hub.find(gvr.MANAGED_CLUSTERS, "c1") or {})["status"]
    kinds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert kinds[cluster_api.CONDITION_JOINED] == ("True", "ManagedClusterJoined")
    assert kinds[cluster_api.CONDITION_AVAILABLE] == ("True", "ManagedClusterAvailable")
    assert status["version"] == {"kubernetes": "v1.31.0"}
    assert status["capacity"] == {"cpu": "2", "memory": str(1024**3)}
    assert status["allocatable"] == {"cpu": "1500m"}
    assert status["clusterClaims"] == [
        {"name": "id.k8s.io", "value": "x"},
        {"name": "region", "value": "eu"},
    ]
    spoke.healthy = False
    informers.sync()
    await controller.reconcile("c1")
    status = (hub.find(gvr.MANAGED_CLUSTERS, "c1") or {})["status"]
    kinds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert kinds[cluster_api.CONDITION_AVAILABLE] == (
        "False",
        "ManagedClusterKubeAPIServerUnavailable",
    )


async def test_status_waits_for_acceptance() -> None:
    hub, spoke, clock = RegistrationFakeApi(), FakeSpoke(), FakeClock()
    hub.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    informers = Informers(hub, clock)
    controller = ClusterStatusController(hub, spoke, informers[gvr.MANAGED_CLUSTERS], clock, 60)
    await controller.reconcile("c1")
    assert not (hub.find(gvr.MANAGED_CLUSTERS, "c1") or {}).get("status")


def test_claims_are_capped_and_resources_summed() -> None:
    claims = [{"metadata": {"name": f"c{i:02}"}, "spec": {"value": "v"}} for i in range(30)]
    assert len(cluster_claims(claims)) == 20
    nodes = [{"status": {"capacity": {"cpu": "1"}}}, {"status": {"capacity": {"cpu": "500m"}}}]
    assert sum_resources(nodes, "capacity") == {"cpu": "1500m"}


async def test_rotation_requests_a_new_certificate_before_expiry(tmp_path: Path) -> None:
    hub, spoke = RegistrationFakeApi(), RegistrationFakeApi()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    clock = FakeClock(start=start)
    hub.seed(gvr.MANAGED_CLUSTERS, _accepted(clock))
    creds = _creds(dt.timedelta(seconds=100))
    store = CredentialStore(spoke, tmp_path)
    informers = Informers(hub, clock)
    controller = ClientCertRotationController(
        hub, store, creds, informers[gvr.MANAGED_CLUSTERS], clock, rng=random.Random(3)
    )
    first = await controller.reconcile("c1")
    assert first is not None
    assert first.requeue_after is not None
    certificate = pki.load_certificate_pem(creds.cert_pem)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    earliest = certificate.not_valid_after_utc - lifetime * 0.25 - start
    latest = certificate.not_valid_after_utc - lifetime * 0.20 - start
    # renewal is due once a random 20-25 % of the lifetime is left
    assert earliest.total_seconds() <= first.requeue_after <= latest.total_seconds()
    await clock.advance(first.requeue_after)
    await controller.reconcile("c1")
    (csr,) = hub.objects_of(gvr.CERTIFICATE_SIGNING_REQUESTS)
    assert await controller.reconcile("c1") is not None  # still waiting for the signer
    with pytest.raises(NotFoundError):
        await spoke.get(gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE)
    signed = pki.sign_csr_spec(CA, csr["spec"])
    await hub.patch(
        gvr.CERTIFICATE_SIGNING_REQUESTS,
        csr["metadata"]["name"],
        {"status": {"certificate": base64.b64encode(signed).decode()}},
        subresource="status",
    )
    informers.sync()
    await controller.reconcile("c1")
    stored = await store.load()
    assert stored is not None
    assert stored.cert_pem == signed
    assert credentials.problem(stored) is None
    status = (hub.find(gvr.MANAGED_CLUSTERS, "c1") or {})["status"]
    rotated = patching.find_condition(status["conditions"], names.CONDITION_CERT_ROTATED)
    assert rotated is not None
    assert rotated["reason"] == names.REASON_CERT_UPDATED


async def test_agent_reads_the_bootstrap_kubeconfig_ocm_join_stored(tmp_path: Path) -> None:
    spoke = FakeSpoke()
    store = CredentialStore(spoke, tmp_path)
    await store.save_bootstrap(join.bootstrap_secret(yaml.safe_dump(BOOTSTRAP)))
    agent = RegistrationAgent(spoke, AgentOptions(data_dir=tmp_path, cluster_name="c1"))
    assert await agent._bootstrap_config() == BOOTSTRAP


async def test_agent_keeps_usable_stored_credentials(tmp_path: Path) -> None:
    spoke = FakeSpoke()
    creds = _creds(dt.timedelta(hours=1))
    await CredentialStore(spoke, tmp_path / "old").save(creds)
    options = AgentOptions(data_dir=tmp_path / "new", cluster_name="c1", agent_id="a1")
    assert await RegistrationAgent(spoke, options).credentials() == creds
    assert (tmp_path / "new" / "tls.key").read_bytes() == creds.key_pem
    other = AgentOptions(data_dir=tmp_path / "new", cluster_name="c2")
    with pytest.raises(credentials.CredentialError, match="ocm join"):
        await RegistrationAgent(spoke, other).credentials()


async def test_lease_renewals_after_the_first_are_single_writes() -> None:
    hub, clock = RegistrationFakeApi(), FakeClock()
    hub.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1", accepted=True))
    hub.seed(gvr.LEASES, {"metadata": {"name": names.LEASE_NAME, "namespace": "c1"}, "spec": {}})
    informers = Informers(hub, clock)
    controller = LeaseUpdateController(hub, informers[gvr.MANAGED_CLUSTERS], clock)
    await controller.reconcile("c1")
    hub.calls.clear()
    await clock.advance(60)
    await controller.reconcile("c1")
    assert hub.verbs(gvr.LEASES) == ["replace"]
    # Someone else wrote the lease: the stale write conflicts, the next renewal reads again.
    lease = hub.find(gvr.LEASES, names.LEASE_NAME, "c1")
    assert lease is not None
    await hub.replace(gvr.LEASES, {**lease, "spec": {"holderIdentity": "x"}}, namespace="c1")
    hub.calls.clear()
    with pytest.raises(ConflictError):
        await controller.reconcile("c1")
    await controller.reconcile("c1")
    assert hub.verbs(gvr.LEASES) == ["replace", "get", "replace"]
    renewed = hub.find(gvr.LEASES, names.LEASE_NAME, "c1")
    assert renewed is not None
    assert renewed["spec"]["renewTime"].startswith("2026-01-01T00:01:00")
    assert renewed["spec"]["holderIdentity"] == "x"
