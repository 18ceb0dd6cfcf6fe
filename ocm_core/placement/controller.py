"""The placement controller: runs the pure scheduler for each Placement and writes its output.

This module is the I/O edge of `ocm_core.placement`. One reconcile reads every input from the
informer caches, calls `schedule`, then makes the API match: creates or updates the
PlacementDecisions (metadata first, then the status subresource), deletes the ones no longer
wanted and patches the Placement status, each only when it differs, so a pass over an
unchanged hub writes nothing. It asks to run again at the scheduler's `requeue_after`
(a toleration or an AddOnPlacementScore expiring). `PlacementTriggers` decides which
Placements a change elsewhere reaches.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.api import gvr
from ocm_core.kube.errors import ConflictError, NotFoundError
from ocm_core.kube.protocol import KubeApi, PatchType
from ocm_core.placement.scheduler import schedule
from ocm_core.placement.triggers import PlacementTriggers, cluster_changed, placement_changed
from ocm_core.runtime import patching
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.controller import Controller, Result, Source
from ocm_core.runtime.errors import TemporaryError
from ocm_core.runtime.events import EventRecorder
from ocm_core.runtime.informer import Informer
from ocm_core.runtime.manager import Manager

CONTROLLER_NAME: Final = "placement-scheduling"
FIELD_MANAGER: Final = "placement-controller"
EVENT_DECISION_CREATE: Final = "DecisionCreate"
EVENT_DECISION_UPDATE: Final = "DecisionUpdate"
CONFLICT_RETRY_SECONDS: Final = 0.2
"""A write raced another writer or our own stale cache: retry once the watch has caught up."""

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PlacementInformers:
    """The shared informers the scheduler reads."""

    placements: Informer
    clusters: Informer
    sets: Informer
    bindings: Informer
    scores: Informer
    decisions: Informer

    @classmethod
    def from_manager(cls, manager: Manager) -> "PlacementInformers":
        return cls(
            placements=manager.informer(gvr.PLACEMENTS),
            clusters=manager.informer(gvr.MANAGED_CLUSTERS),
            sets=manager.informer(gvr.MANAGED_CLUSTER_SETS),
            bindings=manager.informer(gvr.MANAGED_CLUSTER_SET_BINDINGS),
            scores=manager.informer(gvr.ADDON_PLACEMENT_SCORES),
            decisions=manager.informer(gvr.PLACEMENT_DECISIONS),
        )


class PlacementSchedulingController:
    """Reconciles one Placement key; see the module docstring."""

    def __init__(
        self,
        api: KubeApi,
        informers: PlacementInformers,
        clock: Clock,
        recorder: EventRecorder | None = None,
    ) -> None:
        self._api = api
        self._informers = informers
        self._clock = clock
        self._recorder = recorder

    async def reconcile(self, key: str) -> Result | None:
        placement = self._informers.placements.cache.get(key)
        if placement is None or patching.is_deleting(placement):
            return None  # its decisions go with it: they carry a controller ownerReference
        result = schedule(
            placement,
            list(self._informers.clusters.cache),
            list(self._informers.sets.cache),
            list(self._informers.bindings.cache),
            list(self._informers.scores.cache),
            list(self._informers.decisions.cache),
            self._clock.wall(),
        )
        if result.disabled:
            return None
        try:
            for desired in result.decisions:
                await self._write_decision(placement, desired)
            for name in result.stale_decisions:
                await self._delete_decision(placement, name)
            await patching.patch_status(
                self._api, gvr.PLACEMENTS, placement, result.status, field_manager=FIELD_MANAGER
            )
        except ConflictError as error:
            raise TemporaryError(f"write raced: {error}", delay=CONFLICT_RETRY_SECONDS) from error
        if result.requeue_after is None:
            return None
        return Result(requeue_after=result.requeue_after.total_seconds())

    async def _write_decision(self, placement: Obj, desired: Obj) -> None:
        metadata = desired["metadata"]
        name, namespace = metadata["name"], metadata["namespace"]
        current = self._informers.decisions.cache.get_named(name, namespace)
        if current is None:
            body = {k: v for k, v in desired.items() if k != "status"}
            current = await self._api.create(
                gvr.PLACEMENT_DECISIONS, body, namespace=namespace, field_manager=FIELD_MANAGER
            )
            await self._event(placement, EVENT_DECISION_CREATE, "created", name)
        elif _metadata_differs(current, desired):
            patch = {
                "metadata": {
                    "resourceVersion": current["metadata"]["resourceVersion"],
                    "labels": metadata["labels"],
                    "ownerReferences": metadata["ownerReferences"],
                }
            }
            current = await self._api.patch(
                gvr.PLACEMENT_DECISIONS,
                name,
                patch,
                namespace=namespace,
                patch_type=PatchType.MERGE,
                field_manager=FIELD_MANAGER,
            )
        if await patching.patch_status(
            self._api,
            gvr.PLACEMENT_DECISIONS,
            current,
            desired["status"],
            field_manager=FIELD_MANAGER,
        ):
            await self._event(placement, EVENT_DECISION_UPDATE, "updated", name)

    async def _delete_decision(self, placement: Obj, name: str) -> None:
        namespace = placement["metadata"]["namespace"]
        try:
            await self._api.delete(gvr.PLACEMENT_DECISIONS, name, namespace=namespace)
        except NotFoundError:
            return

    async def _event(self, placement: Obj, reason: str, verb: str, decision: str) -> None:
        if self._recorder is None:
            return
        metadata = placement["metadata"]
        await self._recorder.normal(
            placement,
            reason,
            f"Decision {decision} is {verb} with placement {metadata['name']} "
            f"in namespace {metadata['namespace']}",
        )


def _metadata_differs(current: Obj, desired: Obj) -> bool:
    have = current.get("metadata") or {}
    want = desired["metadata"]
    labels = have.get("labels") or {}
    if any(labels.get(k) != v for k, v in want["labels"].items()):
        return True
    owners = {ref.get("uid") for ref in have.get("ownerReferences") or [] if ref.get("controller")}
    return {ref["uid"] for ref in want["ownerReferences"]} != owners


def build(
    manager: Manager, *, recorder: EventRecorder | None = None, workers: int = 1
) -> list[Controller]:
    """The placement controllers on `manager`'s shared informers (add them with
    `manager.add`)."""
    informers = PlacementInformers.from_manager(manager)
    triggers = PlacementTriggers(
        informers.placements.cache,
        informers.sets.cache,
        informers.bindings.cache,
        informers.clusters.cache,
    )
    reconciler = PlacementSchedulingController(manager.api, informers, manager.clock, recorder)
    sources = [
        Source(informers.placements, update_filter=placement_changed),
        Source(informers.clusters, key_fn=triggers.for_cluster, update_filter=cluster_changed),
        Source(informers.sets, key_fn=triggers.for_set),
        Source(informers.bindings, key_fn=triggers.for_binding),
        Source(informers.scores, key_fn=triggers.for_score),
        Source(informers.decisions, key_fn=triggers.for_decision),
    ]
    return [Controller(CONTROLLER_NAME, reconciler, sources, workers=workers, clock=manager.clock)]
