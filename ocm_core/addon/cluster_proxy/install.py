"""Install the cluster-proxy CRDs (`charts/cluster-proxy/crds`) and wait until they are served,
so `ocm hub --enable-cluster-proxy` works on a fresh hub."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.api import gvr
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock

CRD_DIR: Final = Path(__file__).resolve().parents[3] / "charts" / "cluster-proxy" / "crds"
SERVED_POLL_SECONDS: Final = 0.1
SERVED_TIMEOUT_SECONDS: Final = 30.0


def cluster_proxy_crds(directory: Path = CRD_DIR) -> list[dict[str, Any]]:
    if not directory.is_dir():
        raise FileNotFoundError(f"the cluster-proxy CRDs are not at {directory}")
    return [yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))]


async def install_cluster_proxy_crds(api: KubeApi, clock: Clock) -> None:
    """Create the CRDs that are missing (existing ones are left alone), then wait until served."""
    for crd in await asyncio.to_thread(cluster_proxy_crds):
        with contextlib.suppress(errors.AlreadyExistsError):
            await api.create(gvr.CUSTOM_RESOURCE_DEFINITIONS, crd)
    async with clock.timeout(SERVED_TIMEOUT_SECONDS):
        for resource in (gvr.MANAGED_PROXY_CONFIGURATIONS, gvr.MANAGED_PROXY_SERVICE_RESOLVERS):
            while True:
                try:
                    await api.list(resource, limit=1)
                    break
                except errors.NotFoundError:
                    await clock.sleep(SERVED_POLL_SECONDS)
