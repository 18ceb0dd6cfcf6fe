"""Eviction of AppliedManifestWorks whose ManifestWork is gone from the hub.

A work can vanish without the agent's cleanup (its finalizer removed by hand, the cluster
namespace wiped, the agent moved to another hub). Its AppliedManifestWork then marks
``status.evictionStartTime``; if the work has not come back after the grace period, everything
the AppliedManifestWork records is deleted and so is the AppliedManifestWork. A returning work
clears the timer. Only AppliedManifestWorks of this agent (``spec.agentID``) are considered,
and only once the hub's works have been listed, so a hub outage never evicts anything.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from ocm_core.api import gvr, work
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi, Object
from ocm_core.runtime import patching
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.informer import Informer
from ocm_core.work.spoke.controller import AgentSettings, ManifestWorkController

logger = logging.getLogger(__name__)

EVICTION_DISABLED_SECONDS: Final = 100 * 365 * 24 * 3600.0
"""A grace period this long (100 years) turns eviction off, as upstream."""


class AppliedWorkEviction:
    """Sweeps this agent's AppliedManifestWorks; see the module docstring."""

    def __init__(
        self,
        *,
        spoke: KubeApi,
        works: Informer,
        controller: ManifestWorkController,
        settings: AgentSettings,
        clock: Clock,
    ) -> None:
        self.spoke = spoke
        self.works = works
        self.controller = controller
        self.settings = settings
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.settings.eviction_grace_period < EVICTION_DISABLED_SECONDS

    async def run(self) -> None:
        """Sweep every ``eviction_check_interval`` seconds until cancelled."""
        while self.enabled:
            try:
                await self.sweep()
            except errors.KubeError as exc:
                logger.warning("eviction sweep failed: %s", exc)
            await self.clock.sleep(self.settings.eviction_check_interval)

    async def sweep(self) -> None:
        if not self.works.has_synced:
            return
        present = {str(obj["metadata"]["name"]) for obj in self.works.cache}
        listing = await self.spoke.list(gvr.APPLIED_MANIFEST_WORKS)
        for applied_work in listing.get("items") or []:
            spec = applied_work.get("spec") or {}
            if spec.get("agentID") != self.settings.effective_agent_id:
                continue
            current = (
                spec.get("hubHash") == self.settings.hub_hash
                and spec.get("manifestWorkName") in present
            )
            await self._check(applied_work, current=current)

    async def _check(self, applied_work: Object, *, current: bool) -> None:
        started = (applied_work.get("status") or {}).get("evictionStartTime")
        if current:
            if started:
                await self._set_start(applied_work, None)
            return
        if not started:
            await self._set_start(applied_work, patching.format_time(self.clock.wall()))
            return
        if self._elapsed(started) >= self.settings.eviction_grace_period:
            await self._evict(applied_work)

    def _elapsed(self, started: str) -> float:
        return (self.clock.wall() - datetime.fromisoformat(started)).total_seconds()

    async def _set_start(self, applied_work: Mapping[str, Any], value: str | None) -> None:
        await self.spoke.patch(
            gvr.APPLIED_MANIFEST_WORKS,
            applied_work["metadata"]["name"],
            {"status": {"evictionStartTime": value}},
            subresource="status",
        )

    async def _evict(self, applied_work: Object) -> None:
        name = applied_work["metadata"]["name"]
        remaining = await self.controller.release_all({}, applied_work)
        if remaining:
            return  # the next sweep checks again
        logger.info("evicted applied work %s: its ManifestWork is gone", name)
        await patching.remove_finalizer(
            self.spoke, gvr.APPLIED_MANIFEST_WORKS, applied_work,
            work.APPLIED_MANIFEST_WORK_FINALIZER,
        )  # fmt: skip
        with contextlib.suppress(errors.NotFoundError):
            await self.spoke.delete(gvr.APPLIED_MANIFEST_WORKS, name)
