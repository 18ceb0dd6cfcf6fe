"""The agent's main-phase controllers, on the shared runtime over the hub client. Each reconciles
the one key ``<cluster>`` and asks to run again when its next deadline comes:

- `LeaseUpdateController`: renews ``managed-cluster-lease`` every leaseDurationSeconds (plus up to
  25 % jitter); the hub creates the lease once the cluster is accepted. A renewal is one PUT of
  the object the previous one returned (a GET only first and after a conflict): a thousand
  clusters renew ~17 times a second, so each request saved shows in the hub's steady-state CPU.
- `ClusterStatusController`: ``ManagedClusterJoined`` once accepted, ``Available`` from the spoke's
  ``/livez`` (``/healthz`` on 404/403), version, node capacity/allocatable, ClusterClaims.
- `ClientCertRotationController`: re-requests the client certificate once 20-25 % of its
  lifetime remains, and swaps the stored credentials when the new one is issued.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping
from typing import Any, Final, Protocol

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import ApiError, ForbiddenError, KubeError, NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.hub.lease import format_micro_time, lease_duration
from ocm_core.registration.spoke import credentials
from ocm_core.registration.spoke.credentials import HubCredentials
from ocm_core.registration.spoke.store import CredentialStore
from ocm_core.runtime import Clock, Informer, Result, patching

logger = logging.getLogger(__name__)

Object = dict[str, Any]
LEASE_JITTER: Final = 0.25
WAIT_FOR_LEASE_SECONDS: Final = 1.0
CSR_POLL_SECONDS: Final = 1.0
MAX_CUSTOM_CLAIMS: Final = 20
RESERVED_CLAIMS: Final = (
    "id.k8s.io",
    "kubeversion.open-cluster-management.io",
    "platform.open-cluster-management.io",
    "product.open-cluster-management.io",
)
QUANTITY_SUFFIXES: Final = {
    "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
    "k": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "m": 0.001,
}  # fmt: skip


class SpokeApi(KubeApi, Protocol):
    """The spoke client: the usual verbs plus plain-text endpoints (``/livez``, ``/version``)."""

    async def get_text(self, path: str, *, request_timeout: float | None = None) -> str: ...


def spec_or_acceptance_changed(old: Object, new: Object) -> bool:
    """Update filter: our own status writes must not wake us, the hub's acceptance must."""

    def accepted(obj: Object) -> object:
        conditions = (obj.get("status") or {}).get("conditions")
        return patching.find_condition(conditions, cluster_api.CONDITION_HUB_ACCEPTED)

    return old.get("spec") != new.get("spec") or accepted(old) != accepted(new)


class LeaseUpdateController:
    def __init__(
        self, hub: KubeApi, clusters: Informer, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self.hub = hub
        self.clusters = clusters
        self.clock = clock
        self.rng = rng or random.Random()
        self._last: Object | None = None
        """The lease as our last renewal left it; None means read it first."""

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        duration = lease_duration(cluster or {})
        lease = self._last
        if lease is None:
            try:
                lease = await self.hub.get(gvr.LEASES, names.LEASE_NAME, namespace=key)
            except (NotFoundError, ForbiddenError):
                # Not accepted yet: the hub creates the lease (and our right to it) on acceptance.
                return Result(requeue_after=min(duration, WAIT_FOR_LEASE_SECONDS))
        renewed = {**lease, "spec": {**(lease.get("spec") or {}), "renewTime": self._now()}}
        self._last = None  # until the write succeeds: a failed one means re-reading the lease
        try:
            self._last = await self.hub.replace(gvr.LEASES, renewed, namespace=key)
        except (NotFoundError, ForbiddenError):
            return Result(requeue_after=min(duration, WAIT_FOR_LEASE_SECONDS))  # denied, gone
        return Result(requeue_after=duration * (1 + self.rng.uniform(0, LEASE_JITTER)))

    def _now(self) -> str:
        return format_micro_time(self.clock.wall())


def parse_quantity(value: str) -> float:
    """A Kubernetes resource quantity as a number (enough for summing node capacity)."""
    for suffix, factor in QUANTITY_SUFFIXES.items():
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value)


def format_quantity(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{int(value * 1000)}m"


def sum_resources(nodes: list[Object], field: str) -> dict[str, str]:
    totals: dict[str, float] = {}
    for node in nodes:
        for name, quantity in ((node.get("status") or {}).get(field) or {}).items():
            try:
                totals[name] = totals.get(name, 0.0) + parse_quantity(str(quantity))
            except ValueError:
                continue
    return {name: format_quantity(total) for name, total in totals.items()}


def cluster_claims(claims: list[Object], max_custom: int = MAX_CUSTOM_CLAIMS) -> list[Object]:
    """Reserved claims first, then custom ones sorted by name and capped; spoke-only excluded."""
    visible = [
        c
        for c in claims
        if names.SPOKE_ONLY_CLAIM_LABEL not in ((c.get("metadata") or {}).get("labels") or {})
    ]
    as_status = sorted(
        (
            {"name": c["metadata"]["name"], "value": str((c.get("spec") or {}).get("value", ""))}
            for c in visible
        ),
        key=lambda c: c["name"],
    )
    reserved = [c for c in as_status if c["name"] in RESERVED_CLAIMS]
    custom = [c for c in as_status if c["name"] not in RESERVED_CLAIMS]
    return reserved + custom[:max_custom]


class ClusterStatusController:
    def __init__(
        self, hub: KubeApi, spoke: SpokeApi, clusters: Informer, clock: Clock, period: float
    ) -> None:
        self.hub = hub
        self.spoke = spoke
        self.clusters = clusters
        self.clock = clock
        self.period = period

    async def reconcile(self, key: str) -> Result | None:
        cluster = self.clusters.cache.get(key)
        if cluster is None:
            return Result(requeue_after=self.period)
        conditions = (cluster.get("status") or {}).get("conditions")
        if not patching.is_condition_true(conditions, cluster_api.CONDITION_HUB_ACCEPTED):
            return Result(requeue_after=self.period)  # acceptance wakes us through the informer
        status = dict(cluster.get("status") or {})
        status["conditions"] = await self._conditions(conditions)
        version = await self._version()
        if version:
            status["version"] = {"kubernetes": version}
        nodes = await self._list(gvr.NODES)
        if nodes:
            status["capacity"] = {
                **(status.get("capacity") or {}),
                **sum_resources(nodes, "capacity"),
            }
            schedulable = [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")]
            status["allocatable"] = {
                **(status.get("allocatable") or {}),
                **sum_resources(schedulable, "allocatable"),
            }
        status["clusterClaims"] = cluster_claims(await self._list(gvr.CLUSTER_CLAIMS))
        await patching.patch_status(self.hub, gvr.MANAGED_CLUSTERS, cluster, status)
        return Result(requeue_after=self.period)

    async def _conditions(self, conditions: Any) -> list[Object]:
        joined = patching.set_condition(
            conditions,
            type=cluster_api.CONDITION_JOINED,
            status=patching.CONDITION_TRUE,
            reason=names.REASON_JOINED,
            message="Managed cluster joined",
            clock=self.clock,
        )
        healthy, why = await self._probe()
        return patching.set_condition(
            joined,
            type=cluster_api.CONDITION_AVAILABLE,
            status=patching.CONDITION_TRUE if healthy else patching.CONDITION_FALSE,
            reason=names.REASON_AVAILABLE if healthy else names.REASON_KUBE_APISERVER_UNAVAILABLE,
            message="Managed cluster is available" if healthy else why,
            clock=self.clock,
        )

    async def _probe(self) -> tuple[bool, str]:
        for path in ("/livez", "/healthz"):
            try:
                await self.spoke.get_text(path)
            except (NotFoundError, ForbiddenError):
                continue
            except KubeError as exc:
                return False, f"The kube-apiserver is not healthy: {exc}"
            return True, ""
        return False, "The kube-apiserver has no /livez or /healthz endpoint"

    async def _version(self) -> str | None:
        try:
            info = json.loads(await self.spoke.get_text("/version"))
        except (KubeError, ValueError):
            return None
        return str(info.get("gitVersion")) if isinstance(info, Mapping) else None

    async def _list(self, resource: gvr.Resource) -> list[Object]:
        try:
            return list((await self.spoke.list(resource)).get("items") or [])
        except ApiError:
            return []  # not served on this spoke (e.g. no ClusterClaim CRD), or not allowed


class ClientCertRotationController:
    def __init__(
        self,
        hub: KubeApi,
        store: CredentialStore,
        current: HubCredentials,
        clusters: Informer,
        clock: Clock,
        *,
        expiration_seconds: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.hub = hub
        self.store = store
        self.current = current
        self.clusters = clusters
        self.clock = clock
        self.expiration_seconds = expiration_seconds
        self.rng = rng or random.Random()
        self._due = credentials.rotation_due_at(
            pki.load_certificate_pem(current.cert_pem), self.rng
        )
        self._pending: tuple[str, pki.PrivateKey] | None = None

    async def reconcile(self, key: str) -> Result | None:
        if self._pending is None:
            wait = (self._due - self.clock.wall()).total_seconds()
            if wait > 0:
                return Result(requeue_after=wait)
            await self._request()
            return Result(requeue_after=CSR_POLL_SECONDS)
        name, private_key = self._pending
        csr = await self.hub.get(gvr.CERTIFICATE_SIGNING_REQUESTS, name)
        states = {c.get("type") for c in (csr.get("status") or {}).get("conditions") or ()}
        if states & {names.CSR_DENIED, names.CSR_FAILED}:
            self._pending = None
            await self._report(key, False, f"CSR {name} was denied or failed")
            return Result(requeue_after=CSR_POLL_SECONDS)
        certificate = credentials.issued_certificate(csr)
        if certificate is None:
            return Result(requeue_after=CSR_POLL_SECONDS)
        await self._swap(certificate, pki.private_key_to_pem(private_key))
        await self._report(key, True, "Client certificate rotated")
        return Result(requeue_after=(self._due - self.clock.wall()).total_seconds())

    async def _request(self) -> None:
        private_key = pki.generate_private_key()
        body = credentials.csr_object(
            self.current.cluster, self.current.agent, private_key, self.expiration_seconds
        )
        created = await self.hub.create(gvr.CERTIFICATE_SIGNING_REQUESTS, body)
        self._pending = (created["metadata"]["name"], private_key)
        logger.info("rotating the hub client certificate", extra={"csr": self._pending[0]})

    async def _swap(self, cert_pem: bytes, key_pem: bytes) -> None:
        self.current = HubCredentials(
            self.current.kubeconfig, cert_pem, key_pem, self.current.cluster, self.current.agent
        )
        await self.store.save(self.current)
        self._pending = None
        self._due = credentials.rotation_due_at(pki.load_certificate_pem(cert_pem), self.rng)

    async def _report(self, key: str, rotated: bool, message: str) -> None:
        cluster = self.clusters.cache.get(key)
        if cluster is None:
            return
        status = dict(cluster.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=names.CONDITION_CERT_ROTATED,
            status=patching.CONDITION_TRUE if rotated else patching.CONDITION_FALSE,
            reason=names.REASON_CERT_UPDATED if rotated else names.REASON_CERT_UPDATE_FAILED,
            message=message,
            clock=self.clock,
        )
        try:
            await patching.patch_status(self.hub, gvr.MANAGED_CLUSTERS, cluster, status)
        except ApiError as exc:  # the condition is informative; rotation itself succeeded
            logger.info("cannot report the rotation", extra={"error": str(exc)})
