"""`AddonCsrController`: approves add-on CSRs of accepted clusters and signs custom-signer ones.

A CSR is an add-on CSR when it carries the labels `open-cluster-management.io/cluster-name` and
`open-cluster-management.io/addon-name` of an add-on this manager runs. It is approved only when:
- the ManagedCluster exists, is not being deleted, and `spec.hubAcceptsClient` is true;
- the ManagedClusterAddOn exists and its `status.registrations` lists the CSR's signer with
  exactly the CSR's subject (user = CN, groups = O, and OUs for custom signers);
- the requester is that cluster's registration agent (`system:open-cluster-management:<cluster>:`)
  or the add-on agent itself renewing (`...:cluster:<cluster>:addon:<addon>...` or the token SA).
Anything else stays pending. Approved CSRs for the add-on's own signer are signed with the CA the
add-on provides (`AgentAddon.signer_ca`); `kubernetes.io/kube-apiserver-client` ones are left
to the API server's signer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any, Final

from ocm_core import pki
from ocm_core.addon.catalog import AddonCatalog
from ocm_core.api import addon, gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Result, patching

logger = logging.getLogger(__name__)
Object = dict[str, Any]

CLUSTER_NAME_LABEL: Final = "open-cluster-management.io/cluster-name"
CSR_APPROVED: Final = "Approved"
CSR_DENIED: Final = "Denied"
CSR_FAILED: Final = "Failed"
APPROVED_REASON: Final = "AutoApprovedByHubCSRApprovingController"
RETRY_SECONDS: Final = 2.0
SIGNER_NOT_READY_SECONDS: Final = 1.0


def csr_state(csr: Mapping[str, Any]) -> str | None:
    for condition in (csr.get("status") or {}).get("conditions") or ():
        if condition.get("type") in (CSR_APPROVED, CSR_DENIED, CSR_FAILED):
            return str(condition["type"])
    return None


def requested_subject(csr: Mapping[str, Any]) -> pki.CsrSubject | None:
    try:
        request = base64.b64decode((csr.get("spec") or {}).get("request") or "", validate=True)
        return pki.parse_csr_subject(request)
    except (binascii.Error, ValueError, pki.PKIError):
        return None


def registration_matches(
    registration: Mapping[str, Any], signer: str, subject: pki.CsrSubject
) -> bool:
    """Does the CSR ask for exactly what this `status.registrations[]` entry publishes?"""
    if registration.get("type") == addon.REGISTRATION_CUSTOM_SIGNER:
        custom = registration.get("customSigner") or {}
        wanted = custom.get("subject") or {}
        if custom.get("signerName") != signer:
            return False
        ous = tuple(wanted.get("organizationUnits") or ())
        if ous != subject.organizational_units:
            return False
    else:
        if signer != addon.KUBE_APISERVER_CLIENT_SIGNER:
            return False
        client = registration.get("kubeClient") or {}
        if client.get("driver") == addon.DRIVER_TOKEN:
            return False
        wanted = client.get("subject") or {}
    return wanted.get("user") == subject.common_name and sorted(
        wanted.get("groups") or []
    ) == sorted(subject.organizations)


def trusted_requester(requester: str, cluster: str, addon_name: str) -> bool:
    return (
        requester.startswith(f"system:open-cluster-management:{cluster}:")
        or requester.startswith(addon.default_agent_group(cluster, addon_name))
        or requester == addon.token_agent_user(cluster, addon_name)
    )


class AddonCsrController:
    def __init__(
        self,
        api: KubeApi,
        catalog: AddonCatalog,
        *,
        csrs: Informer,
        clusters: Informer,
        mcas: Informer,
        clock: Clock,
    ) -> None:
        self.api = api
        self.catalog = catalog
        self.csrs = csrs
        self.clusters = clusters
        self.mcas = mcas
        self.clock = clock

    async def reconcile(self, key: str) -> Result | None:
        csr = self.csrs.cache.get(key)
        if csr is None:
            return None
        labels = csr["metadata"].get("labels") or {}
        agent = self.catalog.get(str(labels.get(addon.ADDON_NAME_LABEL, "")))
        cluster_name = str(labels.get(CLUSTER_NAME_LABEL, ""))
        if agent is None or not cluster_name:
            return None
        state = csr_state(csr)
        if state is None:
            return await self._maybe_approve(csr, agent.name, cluster_name)
        if state == CSR_APPROVED:
            return await self._maybe_sign(csr, agent)
        return None

    async def _maybe_approve(
        self, csr: Object, addon_name: str, cluster_name: str
    ) -> Result | None:
        cluster = self.clusters.cache.get(cluster_name)
        mca = self.mcas.cache.get_named(addon_name, cluster_name)
        if cluster is None or mca is None:
            return Result(requeue_after=RETRY_SECONDS)
        if patching.is_deleting(cluster) or not (cluster.get("spec") or {}).get("hubAcceptsClient"):
            return None  # not accepted: leave pending; a cluster change requeues it
        spec = csr.get("spec") or {}
        subject = requested_subject(csr)
        requester = str(spec.get("username") or "")
        signer = str(spec.get("signerName") or "")
        registrations = (mca.get("status") or {}).get("registrations") or []
        if subject is None or not trusted_requester(requester, cluster_name, addon_name):
            return None
        if not any(registration_matches(r, signer, subject) for r in registrations):
            return None
        approved = dict(csr)
        status = dict(csr.get("status") or {})
        status["conditions"] = [
            *(status.get("conditions") or []),
            {
                "type": CSR_APPROVED,
                "status": patching.CONDITION_TRUE,
                "reason": APPROVED_REASON,
                "message": f"Auto approving {addon_name} agent certificate of {cluster_name}",
                "lastUpdateTime": patching.format_time(self.clock.wall()),
            },
        ]
        approved["status"] = status
        await self.api.replace(gvr.CERTIFICATE_SIGNING_REQUESTS, approved, subresource="approval")
        logger.info(
            "approved addon CSR", extra={"csr": csr["metadata"]["name"], "cluster": cluster_name}
        )
        return None

    async def _maybe_sign(self, csr: Object, agent: Any) -> Result | None:
        spec = csr.get("spec") or {}
        signer = str(spec.get("signerName") or "")
        if signer == addon.KUBE_APISERVER_CLIENT_SIGNER or (csr.get("status") or {}).get(
            "certificate"
        ):
            return None
        ca = agent.signer_ca(signer)
        if ca is None:
            return Result(requeue_after=SIGNER_NOT_READY_SECONDS)
        now = self.clock.wall()
        try:
            pem = await asyncio.to_thread(
                pki.sign_csr_spec, ca, spec, max_duration=pki.DEFAULT_LEAF_VALIDITY, now=now
            )
        except pki.PKIError as exc:
            status = dict(csr.get("status") or {})
            status["conditions"] = patching.set_condition(
                status.get("conditions"),
                type=CSR_FAILED,
                status=patching.CONDITION_TRUE,
                reason="SignerValidationFailure",
                message=str(exc),
                clock=self.clock,
            )
            await patching.patch_status(self.api, gvr.CERTIFICATE_SIGNING_REQUESTS, csr, status)
            return None
        status = {**(csr.get("status") or {}), "certificate": base64.b64encode(pem).decode()}
        await patching.patch_status(self.api, gvr.CERTIFICATE_SIGNING_REQUESTS, csr, status)
        return None
