"""`Manager`: runs a process's controllers and the informers they share, with readiness and a
graceful stop.

Informers are shared: asking twice for the same (resource, namespace, selectors) returns the same
`Informer`, so N controllers watching ManagedClusters cost one list+watch and one cache.

`run` starts every informer and controller in one TaskGroup. `stop` (or cancelling `run`) ends
it: controllers first stop taking keys and finish their in-flight reconciles (up to
``grace_period``), then everything is cancelled. A crash of any informer or controller (a bug:
they handle API errors themselves) tears the manager down and is re-raised from `run`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from ocm_core.api.gvr import Resource
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.controller import Controller, Reconciler, Source
from ocm_core.runtime.informer import Informer, InformerSettings

logger = logging.getLogger(__name__)

_InformerKey = tuple[Resource, str | None, str | None, str | None]


class Manager:
    """Owns shared informers and the controllers built on them."""

    def __init__(
        self,
        api: KubeApi,
        *,
        clock: Clock | None = None,
        informer_settings: InformerSettings | None = None,
        grace_period: float = 10.0,
    ) -> None:
        self.api = api
        self.clock = clock or RealClock()
        self._informer_settings = informer_settings
        self._grace_period = grace_period
        self._informers: dict[_InformerKey, Informer] = {}
        self._controllers: list[Controller] = []
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._running = False

    @property
    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    @property
    def controllers(self) -> list[Controller]:
        return list(self._controllers)

    @property
    def ready(self) -> bool:
        """True once every informer has synced and every controller is running."""
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    def informer(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Informer:
        """The shared informer for this view of ``resource`` (created on first use)."""
        self._check_not_running("informer")
        key = (resource, namespace if resource.namespaced else None, label_selector, field_selector)
        informer = self._informers.get(key)
        if informer is None:
            informer = Informer(
                self.api,
                resource,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                clock=self.clock,
                settings=self._informer_settings,
            )
            self._informers[key] = informer
        return informer

    def add(self, controller: Controller) -> Controller:
        """Add ``controller``; informers of its sources that were not made by `informer` are
        adopted, so they run too."""
        self._check_not_running("add")
        for source in controller.sources:
            informer = source.informer
            key = (
                informer.resource,
                informer.namespace,
                informer.label_selector,
                informer.field_selector,
            )
            known = self._informers.setdefault(key, informer)
            if known is not informer:
                raise ValueError(
                    f"controller {controller.name!r} brings its own informer for {key[0]}; "
                    "use Manager.informer() so informers are shared"
                )
        self._controllers.append(controller)
        return controller

    def controller(
        self,
        name: str,
        reconciler: Reconciler,
        sources: Sequence[Source],
        *,
        workers: int = 1,
        resync: float | None = None,
    ) -> Controller:
        """Build a `Controller` on this manager's clock and add it."""
        return self.add(
            Controller(name, reconciler, sources, workers=workers, resync=resync, clock=self.clock)
        )

    def stop(self) -> None:
        """Ask `run` to stop gracefully."""
        self._stop.set()

    async def run(self) -> None:
        """Run until `stop` is called or the task is cancelled."""
        self._check_not_running("run")
        self._running = True
        try:
            async with asyncio.TaskGroup() as group:
                informer_tasks = [
                    group.create_task(i.run(), name=f"informer-{i.resource}")
                    for i in self._informers.values()
                ]
                controller_tasks = [
                    group.create_task(c.run(), name=f"controller-{c.name}")
                    for c in self._controllers
                ]
                readiness = group.create_task(self._mark_ready())
                await self._stop.wait()
                logger.info("stopping %d controllers", len(controller_tasks))
                for controller in self._controllers:
                    controller.shutdown()
                await self._drain(controller_tasks)
                for task in [readiness, *controller_tasks, *informer_tasks]:
                    task.cancel()
        finally:
            self._ready.clear()
            self._running = False

    async def _drain(self, tasks: list[asyncio.Task[None]]) -> None:
        if not tasks:
            return
        try:
            async with self.clock.timeout(self._grace_period):
                await asyncio.wait(tasks)
        except TimeoutError:
            logger.warning("controllers did not finish within %.0fs", self._grace_period)

    async def _mark_ready(self) -> None:
        for informer in self._informers.values():
            await informer.wait_synced()
        for controller in self._controllers:
            await controller.wait_ready()
        self._ready.set()
        logger.info(
            "ready: %d informers, %d controllers", len(self._informers), len(self._controllers)
        )

    def _check_not_running(self, what: str) -> None:
        if self._running:
            raise RuntimeError(f"Manager.{what}() must be called before run()")
