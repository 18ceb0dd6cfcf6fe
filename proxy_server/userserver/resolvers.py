"""Services the hub's ManagedProxyServiceResolvers expose, per cluster, for the user-server.

A resolver exposes `serviceRef{namespace, name}` (every port) on the clusters of its cluster
set; the add-on manager renders the same into each agent's exposure list
(`ocm_core.addon.cluster_proxy.exposure`, whose membership rules this reuses), so the hub
and the agent agree on what is reachable. Together with the exposed-services allow list this
is what the user-server lets through; anything else is refused at the hub.

`ResolverWatcher.refresh()` lists resolvers and ManagedClusters on the hub; an error keeps the
last good answer (logged), a hub without the resolver CRD exposes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ocm_core.addon.cluster_proxy.exposure import resolver_services
from ocm_core.api import gvr
from ocm_core.kube import errors as kube_errors
from ocm_core.kube.protocol import KubeApi

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedServices:
    #: cluster -> {(namespace, service)}
    by_cluster: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    def exposes(self, cluster: str, namespace: str, service: str) -> bool:
        return (namespace, service) in self.by_cluster.get(cluster, frozenset())


Load = Callable[[], Awaitable[ResolvedServices]]


def hub_loader(api: KubeApi) -> Load:
    async def load() -> ResolvedServices:
        try:
            resolvers = (await api.list(gvr.MANAGED_PROXY_SERVICE_RESOLVERS)).get("items") or []
        except kube_errors.NotFoundError:
            return ResolvedServices()  # the CRD is not installed: nothing is resolved
        if not resolvers:
            return ResolvedServices()
        clusters = (await api.list(gvr.MANAGED_CLUSTERS)).get("items") or []
        return ResolvedServices(
            {
                cluster["metadata"]["name"]: frozenset(
                    (s.namespace, s.name) for s in resolver_services(cluster, resolvers)
                )
                for cluster in clusters
            }
        )

    return load


class ResolverWatcher:
    """The current answer; `refresh()` reloads it and keeps the last good one on errors."""

    def __init__(self, load: Load) -> None:
        self._load = load
        self.current = ResolvedServices()

    async def refresh(self) -> None:
        try:
            self.current = await self._load()
        except kube_errors.KubeError as exc:
            logger.warning("keeping the last ManagedProxyServiceResolvers: %s", exc)
