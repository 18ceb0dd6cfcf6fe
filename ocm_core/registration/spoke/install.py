"""What a spoke needs before its agents run (the klusterlet operator's part, in small): the
spoke-side CRDs, AppliedManifestWork (the work agent's ownership records) and ClusterClaim."""

from __future__ import annotations

from typing import Final

from ocm_core.api import gvr
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration.hub.ensure import ensure_object
from ocm_core.registration.hub.install import hub_crds
from ocm_core.runtime import Clock

SPOKE_CRDS: Final = (
    "appliedmanifestworks.work.open-cluster-management.io",
    "clusterclaims.cluster.open-cluster-management.io",
)
SERVED_POLL_SECONDS: Final = 0.1
SERVED_TIMEOUT_SECONDS: Final = 30.0


async def install_spoke(api: KubeApi, clock: Clock) -> None:
    """Create the spoke CRDs if missing, then wait until the API serves them."""
    for crd in hub_crds():
        metadata = crd.get("metadata")
        if isinstance(metadata, dict) and metadata.get("name") in SPOKE_CRDS:
            await ensure_object(api, gvr.CUSTOM_RESOURCE_DEFINITIONS, dict(crd))
    async with clock.timeout(SERVED_TIMEOUT_SECONDS):
        for resource in (gvr.APPLIED_MANIFEST_WORKS, gvr.CLUSTER_CLAIMS):
            while True:
                try:
                    await api.list(resource, limit=1)
                    break
                except NotFoundError:
                    await clock.sleep(SERVED_POLL_SECONDS)
