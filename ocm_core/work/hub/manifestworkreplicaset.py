"""ManifestWorkReplicaSetController: one ManifestWork per cluster a Placement decided.

For each `spec.placementRefs[]` entry the controller reads the Placement's decision groups,
asks the rollout planner (`ocm_core.placement.rollout`) which clusters to write now, and
creates or replaces the ManifestWork `<mwrs-name>` in each of those cluster namespaces from
`spec.manifestWorkTemplate` (labelled with `<namespace>.<name>` and the placement name, and
annotated with the template's hash). Works of clusters no longer decided, or of a removed
placementRef, are deleted. Status carries the summary counts, one `placementSummary` per ref
and the PlacementVerified, PlacementRolledOut and ManifestworkApplied conditions.

The cleanup finalizer is added first; on deletion every owned work is deleted and the
finalizer removed, at once for the Background cascade policy, once the works are gone for
Foreground.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ocm_core.api import gvr
from ocm_core.api.placement import PLACEMENT_LABEL
from ocm_core.api.spechash import config_spec_hash
from ocm_core.api.work import (
    CASCADE_DELETION_FOREGROUND,
    PLACEMENT_NAME_LABEL,
    REPLICA_SET_FINALIZER,
    REPLICA_SET_LABEL,
)
from ocm_core.kube.errors import ConflictError, NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.placement.rollout import (
    DecisionGroup,
    InvalidRollout,
    RolloutStrategy,
    plan_rollout,
)
from ocm_core.runtime import patching
from ocm_core.runtime.cache import Cache
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.controller import Controller, Result, Source
from ocm_core.runtime.errors import TemporaryError
from ocm_core.runtime.informer import Informer
from ocm_core.runtime.keys import KeyFunc, make_key
from ocm_core.runtime.manager import Manager
from ocm_core.work.hub.replicaset_status import (
    ROLLOUT_TIME_ANNOTATION,
    SPEC_HASH_ANNOTATION,
    DeployOutcome,
    available_groups_message,
    decision_groups,
    replica_set_conditions,
    rollout_status,
    spec_hash,
    summarize,
)

CONTROLLER_NAME: Final = "manifestworkreplicaset"
FIELD_MANAGER: Final = "manifestworkreplicaset-controller"
OWNER_INDEX: Final = "manifestworkreplicaset"
CONFLICT_RETRY_SECONDS: Final = 0.2

Obj = Mapping[str, Any]


def owner_value(namespace: str, name: str) -> str:
    """The replica-set label value upstream writes on its works: `<namespace>.<name>`."""
    return f"{namespace}.{name}"


def owner_key(work: Obj) -> Iterable[str]:
    """The ManifestWorkReplicaSet key of a work, from its label (namespaces have no dots)."""
    value = ((work.get("metadata") or {}).get("labels") or {}).get(REPLICA_SET_LABEL)
    if not value or "." not in value:
        return ()
    namespace, _, name = value.partition(".")
    return (make_key(namespace, name),)


class ManifestWorkReplicaSetController:
    """Reconciles one ManifestWorkReplicaSet key; see the module docstring."""

    def __init__(
        self,
        api: KubeApi,
        replica_sets: Informer,
        works: Informer,
        placements: Informer,
        decisions: Informer,
        clock: Clock,
    ) -> None:
        self._api = api
        self._replica_sets = replica_sets.cache
        self._works = works.cache
        self._placements = placements.cache
        self._decisions = decisions.cache
        self._clock = clock

    async def reconcile(self, key: str) -> Result | None:
        mwrs = self._replica_sets.get(key)
        if mwrs is None:
            return None
        try:
            if patching.is_deleting(mwrs):
                await self._finalize(mwrs)
                return None
            if await patching.add_finalizer(
                self._api, gvr.MANIFEST_WORK_REPLICA_SETS, mwrs, REPLICA_SET_FINALIZER
            ):
                return None  # the update event brings the new object back
            found = await self._deploy(mwrs)
            await self._write_status(mwrs, found)
        except ConflictError as error:
            raise TemporaryError(f"write raced: {error}", delay=CONFLICT_RETRY_SECONDS) from error
        return Result(requeue_after=found.recheck_after) if found.recheck_after else None

    def _owned(self, mwrs: Obj) -> Sequence[Obj]:
        metadata = mwrs["metadata"]
        return self._works.by_index(
            OWNER_INDEX, owner_value(metadata["namespace"], metadata["name"])
        )

    async def _deploy(self, mwrs: Obj) -> DeployOutcome:
        spec = mwrs.get("spec") or {}
        template = spec.get("manifestWorkTemplate") or {}
        template_hash = config_spec_hash({"spec": template})
        found = DeployOutcome()
        for ref in spec.get("placementRefs") or []:
            await self._deploy_ref(mwrs, ref, template, template_hash, found)
        for work in self._owned(mwrs):
            metadata = work["metadata"]
            labels = metadata.get("labels") or {}
            if found.wanted.get(metadata["namespace"]) != labels.get(PLACEMENT_NAME_LABEL):
                await self._delete_work(work)
        return found

    async def _deploy_ref(
        self, mwrs: Obj, ref: Obj, template: Obj, template_hash: str, found: DeployOutcome
    ) -> None:
        namespace, name = mwrs["metadata"]["namespace"], mwrs["metadata"]["name"]
        placement = ref.get("name", "")
        try:
            strategy = RolloutStrategy.parse(ref.get("rolloutStrategy"))
        except InvalidRollout as error:
            found.invalid.append(f"placementRef {placement}: {error}")
            return
        if self._placements.get_named(placement, namespace) is None:
            found.missing.append(placement)
            return
        decisions = self._decisions.list(namespace=namespace, labels={PLACEMENT_LABEL: placement})
        # A cluster two refs decide gets one work, from the first ref.
        groups = [
            DecisionGroup(g.index, g.name, tuple(c for c in g.clusters if c not in found.wanted))
            for g in decision_groups(decisions)
        ]
        clusters = [c for g in groups for c in g.clusters]
        works = {c: self._works.get_named(name, c) for c in clusters}
        statuses = {c: rollout_status(c, works[c], template_hash) for c in clusters}
        plan = plan_rollout(strategy, groups, statuses, self._clock.wall())
        for cluster in plan.to_apply:
            if not _owned_by(works[cluster], mwrs):
                found.name_clashes.append(cluster)
            else:
                await self._write_work(mwrs, cluster, placement, template, template_hash)
        found.wanted.update({c: placement for c in clusters})
        found.complete &= plan.complete
        if plan.recheck_after is not None:
            found.recheck(plan.recheck_after.total_seconds())
        mine = [w for c in clusters if (w := works[c]) is not None and _owned_by(w, mwrs)]
        found.summaries.append(
            {
                "name": placement,
                "availableDecisionGroups": available_groups_message(
                    groups, {w["metadata"]["namespace"] for w in mine}
                ),
                "summary": summarize(mine, template_hash, len(clusters)),
            }
        )

    async def _write_work(
        self, mwrs: Obj, cluster: str, placement: str, template: Obj, template_hash: str
    ) -> None:
        metadata = mwrs["metadata"]
        labels = {  # the replica set's own labels are carried over, as upstream does
            **(metadata.get("labels") or {}),
            REPLICA_SET_LABEL: owner_value(metadata["namespace"], metadata["name"]),
            PLACEMENT_NAME_LABEL: placement,
        }
        current = self._works.get_named(metadata["name"], cluster)
        outdated = spec_hash(current) != template_hash
        if current is not None and not outdated and _has_labels(current, labels):
            return
        annotations = {SPEC_HASH_ANNOTATION: template_hash}
        if outdated:
            annotations[ROLLOUT_TIME_ANNOTATION] = patching.format_time(self._clock.wall())
        body: dict[str, Any] = {
            "apiVersion": gvr.MANIFEST_WORKS.api_version,
            "kind": gvr.MANIFEST_WORKS.kind,
            "metadata": {
                "name": metadata["name"],
                "namespace": cluster,
                "labels": labels,
                "annotations": annotations,
            },
            "spec": dict(template),
        }
        if current is None:
            await self._api.create(
                gvr.MANIFEST_WORKS, body, namespace=cluster, field_manager=FIELD_MANAGER
            )
            return
        current_meta = current["metadata"]
        body["metadata"] = {
            **current_meta,
            "labels": {**(current_meta.get("labels") or {}), **labels},
            "annotations": {**(current_meta.get("annotations") or {}), **annotations},
        }
        await self._api.replace(
            gvr.MANIFEST_WORKS, body, namespace=cluster, field_manager=FIELD_MANAGER
        )

    async def _delete_work(self, work: Obj) -> None:
        if patching.is_deleting(work):
            return
        metadata = work["metadata"]
        try:
            await self._api.delete(
                gvr.MANIFEST_WORKS, metadata["name"], namespace=metadata["namespace"]
            )
        except NotFoundError:
            return

    async def _finalize(self, mwrs: Obj) -> None:
        works = self._owned(mwrs)
        for work in works:
            await self._delete_work(work)
        policy = (mwrs.get("spec") or {}).get("cascadeDeletionPolicy")
        if works and policy == CASCADE_DELETION_FOREGROUND:
            return  # the works' DELETED events bring us back
        await patching.remove_finalizer(
            self._api, gvr.MANIFEST_WORK_REPLICA_SETS, mwrs, REPLICA_SET_FINALIZER
        )

    async def _write_status(self, mwrs: Obj, found: DeployOutcome) -> None:
        spec = mwrs.get("spec") or {}
        template_hash = config_spec_hash({"spec": spec.get("manifestWorkTemplate") or {}})
        works = self._owned(mwrs)
        total = summarize(works, template_hash, len(found.wanted))
        conditions = (mwrs.get("status") or {}).get("conditions")
        generation = mwrs["metadata"].get("generation")
        for kind, state, reason, message in replica_set_conditions(found, works, total):
            conditions = patching.set_condition(
                conditions,
                type=kind,
                status=state,
                reason=reason,
                message=message,
                observed_generation=generation,
                clock=self._clock,
            )
        status = {"summary": total, "placementSummary": found.summaries, "conditions": conditions}
        await patching.patch_status(
            self._api, gvr.MANIFEST_WORK_REPLICA_SETS, mwrs, status, field_manager=FIELD_MANAGER
        )


def _owned_by(work: Obj | None, mwrs: Obj) -> bool:
    if work is None:
        return True
    metadata = mwrs["metadata"]
    return next(iter(owner_key(work)), None) == make_key(metadata["namespace"], metadata["name"])


def _has_labels(obj: Obj, labels: Mapping[str, str]) -> bool:
    have = (obj.get("metadata") or {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def _referencing(replica_sets: Cache) -> KeyFunc:
    """Key function: the ManifestWorkReplicaSets in the object's namespace that reference the
    Placement it names (a Placement itself, or a decision by its placement label)."""

    def keys(obj: Obj) -> list[str]:
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace")
        if obj.get("kind") == gvr.PLACEMENTS.kind:
            placement = metadata.get("name")
        else:
            placement = (metadata.get("labels") or {}).get(PLACEMENT_LABEL)
        return [
            make_key(namespace, m["metadata"]["name"])
            for m in replica_sets.list(namespace=namespace)
            if any(
                r.get("name") == placement for r in (m.get("spec") or {}).get("placementRefs") or []
            )
        ]

    return keys


def _owner_label(work: Obj) -> list[str]:
    value = ((work.get("metadata") or {}).get("labels") or {}).get(REPLICA_SET_LABEL)
    return [value] if value else []


def _spec_or_lifecycle_changed(old: Obj, new: Obj) -> bool:
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    return any(
        old_meta.get(k) != new_meta.get(k)
        for k in ("generation", "deletionTimestamp", "finalizers")
    )


def build(manager: Manager, *, workers: int = 1) -> list[Controller]:
    """The ManifestWorkReplicaSet controller on `manager`'s shared informers."""
    replica_sets = manager.informer(gvr.MANIFEST_WORK_REPLICA_SETS)
    works = manager.informer(gvr.MANIFEST_WORKS)
    placements = manager.informer(gvr.PLACEMENTS)
    decisions = manager.informer(gvr.PLACEMENT_DECISIONS)
    works.cache.add_index(OWNER_INDEX, _owner_label)
    reconciler = ManifestWorkReplicaSetController(
        manager.api, replica_sets, works, placements, decisions, manager.clock
    )
    referencing = _referencing(replica_sets.cache)
    sources = [
        Source(replica_sets, update_filter=_spec_or_lifecycle_changed),
        Source(works, key_fn=owner_key),
        Source(placements, key_fn=referencing),
        Source(decisions, key_fn=referencing),
    ]
    return [Controller(CONTROLLER_NAME, reconciler, sources, workers=workers, clock=manager.clock)]
