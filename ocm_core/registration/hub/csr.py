"""`CsrApprovingController`: approves the client-certificate CSRs of managed clusters.

A CSR counts as a cluster CSR only when it carries the cluster-name label, asks the
kube-apiserver-client signer, and its subject is O=[system:open-cluster-management:<cluster>
(, ...:managed-clusters)], CN=system:open-cluster-management:<cluster>:<agent> for the same
cluster (``specs/ocm-apis.md`` §1.2). Such a CSR is approved when:

- **renewal**: the requester is the certificate's own user (the agent renewing with its current
  certificate) and the cluster is accepted;
- **first certificate of an accepted cluster**: no other agent of that cluster holds an approved
  certificate (a second agent claiming a known cluster's name waits for a human);
- **auto-approval**: the requester is one of the configured users (upstream's
  ``--cluster-auto-approval-users``) and no other agent holds the name; the cluster is then
  accepted too, with the ``automatically-accepted-on`` annotation.

A first certificate is issued only once the hub has finished accepting the cluster
(``HubAcceptedManagedCluster`` True, i.e. its namespace and RBAC exist): an agent that got its
certificate earlier would only meet 403s and back off, which at scale costs both requests and
seconds. Accepting the cluster updates it, which brings its pending CSRs back here.

Anything else stays pending for ``ocm accept`` / ``kubectl certificate approve``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.runtime import Clock, EventRecorder, Informer, Result, keys, patching

Object = dict[str, Any]
RETRY_WITHOUT_CLUSTER_SECONDS = 2.0
CLUSTER_INDEX = "registration-csr-cluster"
"""CSR cache index: the cluster-name label, so a decision reads only that cluster's CSRs."""


@dataclass(frozen=True)
class ClusterCsr:
    cluster: str
    agent_id: str
    user: str


def parse_cluster_csr(csr: Mapping[str, Any]) -> ClusterCsr | None:
    """The cluster and agent a CSR is for, or None if it is not a valid cluster CSR."""
    cluster = ((csr.get("metadata") or {}).get("labels") or {}).get(names.CLUSTER_NAME_LABEL)
    spec = csr.get("spec") or {}
    if not cluster or spec.get("signerName") != names.KUBE_APISERVER_CLIENT_SIGNER:
        return None
    try:
        subject = pki.parse_csr_subject(base64.b64decode(spec.get("request") or "", validate=True))
    except (binascii.Error, ValueError, pki.PKIError):
        return None
    organizations = [o for o in subject.organizations if o != names.MANAGED_CLUSTERS_GROUP]
    if organizations != [names.cluster_group(cluster)]:
        return None
    prefix = names.cluster_group(cluster) + ":"
    agent_id = subject.common_name.removeprefix(prefix)
    if not subject.common_name.startswith(prefix) or not agent_id or ":" in agent_id:
        return None
    return ClusterCsr(cluster, agent_id, subject.common_name)


def csr_cluster(csr: Mapping[str, Any]) -> list[str]:
    """Index function: the cluster a CSR is labelled for."""
    cluster = ((csr.get("metadata") or {}).get("labels") or {}).get(names.CLUSTER_NAME_LABEL)
    return [str(cluster)] if cluster else []


def csr_state(csr: Mapping[str, Any]) -> str | None:
    """``Approved``, ``Denied``, ``Failed`` or None (pending)."""
    for condition in (csr.get("status") or {}).get("conditions") or ():
        if condition.get("type") in (names.CSR_APPROVED, names.CSR_DENIED, names.CSR_FAILED):
            return str(condition["type"])
    return None


class CsrApprovingController:
    def __init__(
        self,
        api: KubeApi,
        csrs: Informer,
        clusters: Informer,
        clock: Clock,
        events: EventRecorder,
        *,
        auto_approval_users: Collection[str] = (),
    ) -> None:
        self.api = api
        self.csrs = csrs
        self.clusters = clusters
        self.clock = clock
        self.events = events
        self.auto_approval_users = frozenset(auto_approval_users)
        csrs.cache.add_index(CLUSTER_INDEX, csr_cluster)

    def pending_csrs_of(self, cluster: Mapping[str, Any]) -> list[str]:
        """Key function: accepting a cluster may unblock its pending CSRs."""
        name = str((cluster.get("metadata") or {}).get("name"))
        return [
            keys.key_of(csr)
            for csr in self.csrs.cache.by_index(CLUSTER_INDEX, name)
            if csr_state(csr) is None
        ]

    async def reconcile(self, key: str) -> Result | None:
        csr = self.csrs.cache.get(key)
        if csr is None or csr_state(csr) is not None:
            return None
        request = parse_cluster_csr(csr)
        if request is None:
            return None
        requester = str((csr.get("spec") or {}).get("username") or "")
        cluster = self.clusters.cache.get(request.cluster)
        if cluster is None:
            # The agent creates its ManagedCluster before its CSR; the cache may lag behind.
            return Result(requeue_after=RETRY_WITHOUT_CLUSTER_SECONDS)
        accepted = bool((cluster.get("spec") or {}).get("hubAcceptsClient"))
        ready = accepted and patching.is_condition_true(
            (cluster.get("status") or {}).get("conditions"), cluster_api.CONDITION_HUB_ACCEPTED
        )
        name_taken = self._held_by_another_agent(request)
        if accepted and requester == request.user:
            await self._approve(csr, "renewal by the agent itself")
        elif name_taken:
            await self.events.warning(
                cluster,
                "ClusterNameTaken",
                f"CSR {key} of agent {request.agent_id!r} was not approved: another agent "
                f"holds the name {request.cluster!r}",
            )
        elif ready:
            auto = requester in self.auto_approval_users
            why = f"{requester} is an auto-approval user" if auto else "the cluster is accepted"
            await self._approve(csr, f"first certificate of an accepted cluster: {why}")
        elif requester in self.auto_approval_users:
            await self._auto_accept(cluster)  # the acceptance brings this CSR back once ready
        return None

    def _held_by_another_agent(self, request: ClusterCsr) -> bool:
        for other in self.csrs.cache.by_index(CLUSTER_INDEX, request.cluster):
            if csr_state(other) != names.CSR_APPROVED:
                continue
            parsed = parse_cluster_csr(other)
            if parsed and parsed.cluster == request.cluster and parsed.user != request.user:
                return True
        return False

    async def _auto_accept(self, cluster: Object) -> None:
        if (cluster.get("spec") or {}).get("hubAcceptsClient"):
            return
        body = {
            "metadata": {
                "annotations": {
                    names.AUTO_ACCEPTED_ANNOTATION: patching.format_time(self.clock.wall())
                }
            },
            "spec": {"hubAcceptsClient": True},
        }
        await self.api.patch(gvr.MANAGED_CLUSTERS, cluster["metadata"]["name"], body)

    async def _approve(self, csr: Object, why: str) -> None:
        approved = dict(csr)
        status = dict(csr.get("status") or {})
        status["conditions"] = [
            *(status.get("conditions") or []),
            {
                "type": names.CSR_APPROVED,
                "status": patching.CONDITION_TRUE,
                "reason": names.AUTO_APPROVED_REASON,
                "message": f"Auto approving managed cluster agent certificate: {why}",
                "lastUpdateTime": patching.format_time(self.clock.wall()),
            },
        ]
        approved["status"] = status
        await self.api.replace(gvr.CERTIFICATE_SIGNING_REQUESTS, approved, subresource="approval")
