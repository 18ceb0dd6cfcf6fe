"""The bootstrap phase: with the bootstrap identity, make sure the ManagedCluster exists, submit
a CSR in the upstream subject format and wait until it is approved and signed.

The wait is a watch on that one CSR (as upstream's CSR informer), so the certificate is picked up
the moment it is issued and a waiting agent costs the hub no requests; the CSR is read again
whenever the watch ends or fails.

Waiting is reported in plain words (not accepted yet, name held by another agent), because a
human usually has to act: ``ocm accept --clusters <name>``.
"""

from __future__ import annotations

import contextlib
import logging
from contextlib import aclosing
from typing import Any, Final

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import (
    AlreadyExistsError,
    ForbiddenError,
    KubeError,
    NotFoundError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.spoke import credentials
from ocm_core.runtime import Clock, patching

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 1.0
REMIND_EVERY_POLLS: Final = 30
CSR_WATCH_SECONDS: Final = 30
"""Server-side timeout of one watch on our CSR; each renewal of the watch logs a reminder."""


class BootstrapError(Exception):
    """The hub refused this agent's certificate request."""


def new_managed_cluster(cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": gvr.MANAGED_CLUSTERS.api_version,
        "kind": gvr.MANAGED_CLUSTERS.kind,
        "metadata": {"name": cluster},
        "spec": {},
    }


async def ensure_managed_cluster(hub: KubeApi, cluster: str, clock: Clock) -> None:
    """Create the ManagedCluster if missing, waiting while the hub does not serve the API yet.
    403 is ignored, as upstream does: the agent may lack the right but the object exist."""
    polls = 0
    while True:
        try:
            await hub.create(gvr.MANAGED_CLUSTERS, new_managed_cluster(cluster))
            return
        except AlreadyExistsError:
            return
        except ForbiddenError as exc:
            logger.warning("cannot create the ManagedCluster", extra={"error": str(exc)})
            return
        except NotFoundError:
            if polls % REMIND_EVERY_POLLS == 0:
                logger.warning(
                    "the hub does not serve ManagedClusters yet: is `ocm hub` running there?"
                )
        polls += 1
        await clock.sleep(POLL_SECONDS)


def _waiting_reason(cluster_obj: dict[str, Any] | None, cluster: str) -> str:
    if cluster_obj is None:
        return f"the ManagedCluster {cluster} does not exist on the hub yet"
    if not (cluster_obj.get("spec") or {}).get("hubAcceptsClient"):
        return f"not yet accepted by the hub: run `ocm accept --clusters {cluster}` on the hub"
    conditions = (cluster_obj.get("status") or {}).get("conditions")
    if patching.is_condition_true(conditions, cluster_api.CONDITION_JOINED):
        return (
            f"the name {cluster} is already held by another agent; a hub admin must approve "
            "this agent's CSR by hand (kubectl certificate approve)"
        )
    return "waiting for the hub to approve the certificate request"


async def request_certificate(
    hub: KubeApi,
    cluster: str,
    agent: str,
    clock: Clock,
    *,
    expiration_seconds: int | None = None,
) -> tuple[bytes, bytes]:
    """Submit a CSR and wait for its certificate; returns (certificate PEM, key PEM)."""
    key = pki.generate_private_key()
    created = await hub.create(
        gvr.CERTIFICATE_SIGNING_REQUESTS,
        credentials.csr_object(cluster, agent, key, expiration_seconds),
    )
    name = created["metadata"]["name"]
    logger.info("submitted CSR", extra={"csr": name, "cluster": cluster})
    csr = created
    rounds = 0
    while True:
        certificate = _issued(csr)
        if certificate is not None:
            return certificate, pki.private_key_to_pem(key)
        if rounds:
            await _remind(hub, cluster)
            await clock.sleep(POLL_SECONDS)  # never spin when watches fail at once
        rounds += 1
        certificate = await _watch_until_issued(hub, name, csr["metadata"].get("resourceVersion"))
        if certificate is not None:
            return certificate, pki.private_key_to_pem(key)
        with contextlib.suppress(TransportError, ServerError):
            csr = await hub.get(gvr.CERTIFICATE_SIGNING_REQUESTS, name)


def _issued(csr: dict[str, Any]) -> bytes | None:
    """The CSR's certificate; raises `BootstrapError` if it was denied or failed."""
    for condition in (csr.get("status") or {}).get("conditions") or ():
        if condition.get("type") in (names.CSR_DENIED, names.CSR_FAILED):
            name = (csr.get("metadata") or {}).get("name")
            raise BootstrapError(
                f"the hub {condition['type'].lower()} CSR {name}: {condition.get('message')}"
            )
    return credentials.issued_certificate(csr)


async def _watch_until_issued(
    hub: KubeApi, name: str, resource_version: str | None
) -> bytes | None:
    """Watch the CSR until it is issued (its certificate) or the watch ends (None)."""
    try:
        async with aclosing(
            hub.watch(
                gvr.CERTIFICATE_SIGNING_REQUESTS,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                timeout_seconds=CSR_WATCH_SECONDS,
                allow_bookmarks=False,
            )
        ) as events:
            async for event in events:
                if (event.object.get("metadata") or {}).get("name") != name:
                    continue
                certificate = _issued(event.object)
                if certificate is not None:
                    return certificate
    except (KubeError, ValueError) as exc:  # expired resourceVersion, dropped stream, ...
        logger.debug("CSR watch ended: %s", exc, extra={"csr": name})
    return None


async def _remind(hub: KubeApi, cluster: str) -> None:
    try:
        cluster_obj: dict[str, Any] | None = await hub.get(gvr.MANAGED_CLUSTERS, cluster)
    except (UnauthorizedError, ForbiddenError):
        cluster_obj = None
    except Exception:  # a reminder must never break the wait
        return
    logger.warning(
        "waiting for a client certificate: %s",
        _waiting_reason(cluster_obj, cluster),
        extra={"cluster": cluster},
    )
