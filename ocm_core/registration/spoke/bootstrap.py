"""The bootstrap phase: with the bootstrap identity, make sure the ManagedCluster exists, submit
a CSR in the upstream subject format and wait until it is approved and signed.

Waiting is reported in plain words (not accepted yet, name held by another agent), because a
human usually has to act: ``ocm accept --clusters <name>``.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from ocm_core import pki
from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.errors import (
    AlreadyExistsError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.spoke import credentials
from ocm_core.runtime import Clock, patching

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 1.0
REMIND_EVERY_POLLS: Final = 30


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
    polls = 0
    while True:
        csr = await hub.get(gvr.CERTIFICATE_SIGNING_REQUESTS, name)
        for condition in (csr.get("status") or {}).get("conditions") or ():
            if condition.get("type") in (names.CSR_DENIED, names.CSR_FAILED):
                raise BootstrapError(
                    f"the hub {condition['type'].lower()} CSR {name}: {condition.get('message')}"
                )
        certificate = credentials.issued_certificate(csr)
        if certificate is not None:
            return certificate, pki.private_key_to_pem(key)
        if polls % REMIND_EVERY_POLLS == 0:
            await _remind(hub, cluster)
        polls += 1
        await clock.sleep(POLL_SECONDS)


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
