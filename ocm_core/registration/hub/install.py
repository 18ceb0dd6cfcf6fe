"""What a hub needs before its controllers run (``clusteradm init``'s part, in small): the OCM
CRDs from ``charts/ocm-hub/crds``, the shared ClusterRoles the per-cluster bindings point at, and
the bootstrap role binding for bootstrap-token users."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import yaml

from ocm_core.api import gvr
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration.hub import rbac
from ocm_core.registration.hub.ensure import ensure_object
from ocm_core.runtime import Clock

logger = logging.getLogger(__name__)

CRD_DIR: Final = Path(__file__).resolve().parents[3] / "charts" / "ocm-hub" / "crds"
SERVED_POLL_SECONDS: Final = 0.1
SERVED_TIMEOUT_SECONDS: Final = 30.0
REQUIRED: Final = (
    gvr.MANAGED_CLUSTERS,
    gvr.MANAGED_CLUSTER_SETS,
    gvr.MANAGED_CLUSTER_SET_BINDINGS,
    gvr.MANIFEST_WORKS,
    gvr.MANAGED_CLUSTER_ADDONS,
)


def hub_crds(directory: Path = CRD_DIR) -> list[dict[str, object]]:
    if not directory.is_dir():
        raise FileNotFoundError(f"the OCM CRDs are not at {directory}")
    return [yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))]


async def install_hub(api: KubeApi, clock: Clock) -> None:
    """Create what is missing (existing CRDs are left as they are), then wait until served."""
    for crd in hub_crds():
        await ensure_object(api, gvr.CUSTOM_RESOURCE_DEFINITIONS, dict(crd))
    for role in rbac.shared_cluster_roles():
        await ensure_object(api, gvr.CLUSTER_ROLES, role)
    await ensure_object(api, gvr.CLUSTER_ROLE_BINDINGS, rbac.bootstrap_role_binding())
    async with clock.timeout(SERVED_TIMEOUT_SECONDS):
        for resource in REQUIRED:
            while True:
                try:
                    await api.list(resource, limit=1)
                    break
                except NotFoundError:
                    await clock.sleep(SERVED_POLL_SECONDS)
