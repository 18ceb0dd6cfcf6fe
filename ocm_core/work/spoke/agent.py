"""The work agent: wiring of the ManifestWork controller, its informers and spoke watches.

`WorkAgent` takes ready clients (the unit tests pass the in-memory fake, the benchmark many
simulated agents in one process); `run_work_agent` builds real clients from kubeconfigs and is
what ``ocm work agent`` and ``ocm klusterlet`` run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from ocm_core.api import gvr, work
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import Impersonation, KubeConfig
from ocm_core.kube.discovery import Discovery
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.controller import Controller, Source, generation_changed
from ocm_core.runtime.informer import InformerSettings
from ocm_core.runtime.manager import Manager
from ocm_core.work.spoke.controller import AgentSettings, ManifestWorkController, ResourceResolver
from ocm_core.work.spoke.eviction import AppliedWorkEviction
from ocm_core.work.spoke.executor import Executor, ImpersonatorFactory, PermissionChecker
from ocm_core.work.spoke.watching import AppliedObjectWatcher

logger = logging.getLogger(__name__)

CONTROLLER_NAME = "manifestwork-agent"


@dataclass
class WorkAgent:
    """One cluster's work agent over given hub and spoke clients."""

    hub: KubeApi
    spoke: KubeApi
    resolver: ResourceResolver
    impersonate: ImpersonatorFactory
    settings: AgentSettings
    workers: int = work.WORKLOAD_AGENT_WORKERS
    watch_applied: bool = True
    clock: Clock = field(default_factory=RealClock)
    informer_settings: InformerSettings | None = None

    def __post_init__(self) -> None:
        self.manager = Manager(self.hub, clock=self.clock, informer_settings=self.informer_settings)
        works = self.manager.informer(gvr.MANIFEST_WORKS, namespace=self.settings.cluster_name)
        self.watcher = (
            AppliedObjectWatcher(
                self.spoke, self._enqueue, clock=self.clock, settings=self.informer_settings
            )
            if self.watch_applied
            else None
        )
        self.reconciler = ManifestWorkController(
            hub=self.hub,
            spoke=self.spoke,
            works=works,
            resolver=self.resolver,
            permissions=PermissionChecker(self.spoke, self.impersonate),
            watcher=self.watcher,
            settings=self.settings,
            clock=self.clock,
        )
        self.eviction = AppliedWorkEviction(
            spoke=self.spoke,
            works=works,
            controller=self.reconciler,
            settings=self.settings,
            clock=self.clock,
        )
        self.controller: Controller = self.manager.controller(
            CONTROLLER_NAME,
            self.reconciler,
            [Source(works, update_filter=generation_changed)],
            workers=self.workers,
        )

    def _enqueue(self, key: str) -> None:
        self.controller.enqueue(key)

    async def wait_ready(self) -> None:
        await self.manager.wait_ready()

    def stop(self) -> None:
        self.manager.stop()

    async def run(self) -> None:
        """Run until `stop` or cancellation."""
        async with asyncio.TaskGroup() as group:
            helpers = [group.create_task(self.eviction.run())]
            if self.watcher is not None:
                helpers.append(group.create_task(self.watcher.run()))
            await self.manager.run()
            for helper in helpers:
                helper.cancel()


class _ImpersonatedClients:
    """One impersonating spoke client per executor, closed with the agent."""

    def __init__(self, spoke_config: KubeConfig) -> None:
        self._config = spoke_config
        self._clients: dict[Executor, ApiClient] = {}

    def __call__(self, executor: Executor) -> ApiClient:
        client = self._clients.get(executor)
        if client is None:
            who = Impersonation(executor.user, executor.groups)
            client = ApiClient(self._config.with_impersonation(who))
            self._clients[executor] = client
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


async def run_work_agent(
    hub_config: KubeConfig,
    spoke_config: KubeConfig,
    cluster_name: str,
    *,
    agent_id: str = "",
    status_sync_interval: float = float(work.STATUS_SYNC_INTERVAL_SECONDS),
    workers: int = work.WORKLOAD_AGENT_WORKERS,
    eviction_grace_period: float = float(work.EVICTION_GRACE_PERIOD_SECONDS),
    ready: asyncio.Event | None = None,
) -> None:
    """Run the work agent of ``cluster_name`` until cancelled; sets ``ready`` once synced."""
    settings = AgentSettings(
        cluster_name=cluster_name,
        hub_hash=work.hub_hash(hub_config.server),
        agent_id=agent_id,
        status_sync_interval=status_sync_interval,
        eviction_grace_period=eviction_grace_period,
    )
    impersonated = _ImpersonatedClients(spoke_config)
    async with ApiClient(hub_config) as hub, ApiClient(spoke_config) as spoke:
        agent = WorkAgent(
            hub=hub,
            spoke=spoke,
            resolver=Discovery(spoke),
            impersonate=impersonated,
            settings=settings,
            workers=workers,
        )
        logger.info(
            "work agent starting", extra={"cluster": cluster_name, "hub_hash": settings.hub_hash}
        )
        try:
            async with asyncio.TaskGroup() as group:
                running = group.create_task(agent.run())
                if ready is not None:
                    await agent.wait_ready()
                    ready.set()
                await running
        finally:
            await impersonated.close()
