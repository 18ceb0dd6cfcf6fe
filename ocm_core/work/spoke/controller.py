"""`ManifestWorkController`: makes the spoke match the ManifestWorks of one cluster namespace.

One reconcile of a work (key ``<cluster>/<work>``), level-based and idempotent::

    deleting?  ──► Deleting condition; delete (or orphan) everything the AppliedManifestWork
                   records; once gone drop its finalizer and delete it; drop the work finalizer
    no finalizer ─► add it (nothing is applied before it is there)
    Complete=True ─► stop
    ensure AppliedManifestWork <hubHash>-<work> (finalizer, labels, spec)
    apply manifests in kind order (executor checks first), read back live objects
    delete stale resources that left the spec (unless orphaned or owned by another work)
    record appliedResources on the AppliedManifestWork, write the work status
    requeue after the status sync interval (spoke watches wake us earlier)

Failures of one manifest are reported in its Applied condition and retried after a delay;
transport failures (hub or spoke unreachable) abort the reconcile and the runtime retries it
with backoff, leaving the spoke exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi, Object, Preconditions
from ocm_core.runtime import patching
from ocm_core.runtime.clock import Clock
from ocm_core.runtime.controller import Result
from ocm_core.runtime.informer import Informer
from ocm_core.work.spoke import appliers, feedback, manifests, rules, status
from ocm_core.work.spoke.executor import ExecutorRefusedError, PermissionChecker, executor_of
from ocm_core.work.spoke.manifests import AppliedResource, Manifest, Ownership
from ocm_core.work.spoke.status import ManifestOutcome
from ocm_core.work.spoke.watching import AppliedObjectWatcher, Target

logger = logging.getLogger(__name__)

PROPAGATION_BACKGROUND: Final = "Background"


class ResourceResolver(Protocol):
    """Finds the resource serving a kind (`ocm_core.kube.Discovery` is one)."""

    async def resource_for(self, api_version: str, kind: str) -> Resource: ...


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Identity and timing of one work agent."""

    cluster_name: str
    """The cluster namespace on the hub whose ManifestWorks this agent applies."""
    hub_hash: str
    """sha256 of the hub URL: prefix of AppliedManifestWork names."""
    agent_id: str = ""
    """Recorded in AppliedManifestWork specs; defaults to the hub hash."""
    status_sync_interval: float = float(work.STATUS_SYNC_INTERVAL_SECONDS)
    """Seconds between status refreshes of a work when nothing wakes it earlier."""
    retry_after_failure: float = 2.0
    """Seconds before a work with a failed manifest is applied again."""
    retry_after_refusal: float = 60.0
    """Seconds before a work refused by its executor's rights is checked again (upstream)."""
    deletion_poll_interval: float = 1.0
    """Seconds between checks that deleted resources are gone."""
    eviction_grace_period: float = float(work.EVICTION_GRACE_PERIOD_SECONDS)
    """Seconds an AppliedManifestWork outlives its vanished ManifestWork (100 years: never)."""
    eviction_check_interval: float = 60.0
    """Seconds between sweeps for AppliedManifestWorks whose ManifestWork is gone."""

    @property
    def effective_agent_id(self) -> str:
        return self.agent_id or self.hub_hash


class ManifestWorkController:
    """See the module docstring."""

    def __init__(
        self,
        *,
        hub: KubeApi,
        spoke: KubeApi,
        works: Informer,
        resolver: ResourceResolver,
        permissions: PermissionChecker,
        watcher: AppliedObjectWatcher | None,
        settings: AgentSettings,
        clock: Clock,
    ) -> None:
        self.hub = hub
        self.spoke = spoke
        self.works = works
        self.resolver = resolver
        self.permissions = permissions
        self.watcher = watcher
        self.settings = settings
        self.clock = clock

    async def reconcile(self, key: str) -> Result | None:
        manifest_work = self.works.cache.get(key)
        if manifest_work is None:
            if self.watcher is not None:
                self.watcher.forget(key)
            return None
        if patching.is_deleting(manifest_work):
            return await self._delete(key, manifest_work)
        manifest_work = await self._ensure_finalizer(manifest_work)
        conditions = (manifest_work.get("status") or {}).get("conditions")
        if patching.is_condition_true(conditions, work.CONDITION_COMPLETE):
            return None
        applied_work = await self._ensure_applied_work(manifest_work)
        outcomes, applied = await self._apply_all(manifest_work, applied_work)
        await self._remove_stale(manifest_work, applied_work, outcomes)
        await self._record_applied(applied_work, applied)
        await self._write_status(manifest_work, outcomes)
        if self.watcher is not None:
            self.watcher.track(key, _targets(outcomes))
        return Result(requeue_after=self._next_check(outcomes))

    # -- finalizer and AppliedManifestWork --------------------------------------------------

    async def _ensure_finalizer(self, manifest_work: Object) -> Object:
        if patching.has_finalizer(manifest_work, work.MANIFEST_WORK_FINALIZER):
            return manifest_work
        metadata = manifest_work["metadata"]
        body = {
            "metadata": {
                "resourceVersion": metadata.get("resourceVersion"),
                "finalizers": [*(metadata.get("finalizers") or []), work.MANIFEST_WORK_FINALIZER],
            }
        }
        return await self.hub.patch(
            gvr.MANIFEST_WORKS, metadata["name"], body, namespace=metadata.get("namespace")
        )

    def _applied_work_name(self, manifest_work: Mapping[str, Any]) -> str:
        return work.applied_manifest_work_name(
            self.settings.hub_hash, manifest_work["metadata"]["name"]
        )

    async def _ensure_applied_work(self, manifest_work: Object) -> Object:
        name = self._applied_work_name(manifest_work)
        existing = await appliers.read(self.spoke, gvr.APPLIED_MANIFEST_WORKS, None, name)
        if existing is not None:
            return existing
        body = {
            "apiVersion": gvr.APPLIED_MANIFEST_WORKS.api_version,
            "kind": gvr.APPLIED_MANIFEST_WORKS.kind,
            "metadata": {
                "name": name,
                "labels": dict(manifest_work["metadata"].get("labels") or {}),
                "finalizers": [work.APPLIED_MANIFEST_WORK_FINALIZER],
            },
            "spec": {
                "hubHash": self.settings.hub_hash,
                "agentID": self.settings.effective_agent_id,
                "manifestWorkName": manifest_work["metadata"]["name"],
            },
        }
        try:
            return await self.spoke.create(gvr.APPLIED_MANIFEST_WORKS, body)
        except errors.AlreadyExistsError:
            return await self.spoke.get(gvr.APPLIED_MANIFEST_WORKS, name)

    # -- apply ------------------------------------------------------------------------------

    async def _apply_all(
        self, manifest_work: Object, applied_work: Object
    ) -> tuple[list[ManifestOutcome], list[AppliedResource]]:
        previous = {r.identity: r for r in manifests.applied_resources_of(applied_work)}
        outcomes, applied = [], []
        for manifest in manifests.apply_order(manifests.manifests_of(manifest_work)):
            outcome, record = await self._apply_one(manifest_work, applied_work, manifest)
            outcomes.append(outcome)
            if record is not None:
                applied.append(record)
            elif (identity := _identity(outcome)) in previous:
                applied.append(previous[identity])  # failed this time: still ours
        outcomes.sort(key=lambda o: o.manifest.ordinal)
        return outcomes, sorted(set(applied))

    async def _apply_one(
        self, manifest_work: Object, applied_work: Object, manifest: Manifest
    ) -> tuple[ManifestOutcome, AppliedResource | None]:
        outcome = ManifestOutcome(manifest)
        try:
            resource = await self.resolver.resource_for(manifest.api_version, manifest.kind)
        except errors.ApiError as exc:
            outcome.apply_error = f"cannot find the resource of this kind: {exc.message}"
            return outcome, None
        outcome.resource = resource
        outcome.namespace = manifests.target_namespace(manifest, resource)
        config = manifests.config_for(manifest_work, resource, outcome.namespace, manifest.name)
        strategy = manifests.update_strategy(config)
        record = AppliedResource(
            resource.group,
            resource.version,
            resource.plural,
            outcome.namespace or "",
            manifest.name,
            "",
        )
        ownership = Ownership(
            manifests.owner_reference(applied_work),
            owned=not manifests.is_orphaned(manifest_work, record),
        )
        client = await self._client_for(manifest_work, manifest, resource, outcome, strategy)
        if client is not None:
            try:
                outcome.live = await appliers.apply(
                    client, resource, outcome.namespace, manifest, strategy, ownership
                )
            except appliers.ApplyError as exc:
                outcome.apply_error, outcome.apply_reason = str(exc), exc.reason
        if not outcome.applied or outcome.live is None:
            await self._read_back(outcome, resource, manifest)
        if outcome.live is not None:
            self._observe(outcome, config)
        read_only = strategy.type == work.UPDATE_STRATEGY_READ_ONLY
        if read_only or not outcome.applied or outcome.live is None:
            return outcome, None
        uid = str(outcome.live.get("metadata", {}).get("uid") or "")
        return outcome, dataclasses.replace(record, uid=uid)

    async def _client_for(
        self,
        manifest_work: Object,
        manifest: Manifest,
        resource: Resource,
        outcome: ManifestOutcome,
        strategy: manifests.UpdateStrategy,
    ) -> KubeApi | None:
        """The spoke client to write with; None (and the refusal recorded) when the executor
        may not."""
        executor = executor_of(manifest_work)
        if executor is None:
            return self.spoke
        try:
            await self.permissions.check(
                executor,
                manifest,
                resource,
                outcome.namespace,
                read_only=strategy.type == work.UPDATE_STRATEGY_READ_ONLY,
                deletes=manifests.propagation_policy(manifest_work) != work.PROPAGATION_ORPHAN,
            )
        except ExecutorRefusedError as exc:
            outcome.apply_error = str(exc)
            return None
        return self.permissions.client_for(executor)

    async def _read_back(
        self, outcome: ManifestOutcome, resource: Resource, manifest: Manifest
    ) -> None:
        try:
            outcome.live = await appliers.read(
                self.spoke, resource, outcome.namespace, manifest.name
            )
        except errors.ApiError as exc:
            outcome.fetch_error = f"{exc.code} {exc.reason}: {exc.message}"

    def _observe(self, outcome: ManifestOutcome, config: Mapping[str, Any]) -> None:
        assert outcome.live is not None
        feedback_rules = config.get("feedbackRules") or []
        if feedback_rules:
            outcome.feedback = feedback.collect(feedback_rules, outcome.manifest.kind, outcome.live)
        outcome.rules = rules.evaluate(
            config.get("conditionRules") or [], outcome.manifest.kind, outcome.live
        )

    # -- stale resources and the record ----------------------------------------------------

    async def _remove_stale(
        self, manifest_work: Object, applied_work: Object, outcomes: Sequence[ManifestOutcome]
    ) -> None:
        in_spec = {_identity(o) for o in outcomes}
        for record in manifests.applied_resources_of(applied_work):
            if record.identity not in in_spec:
                await self._release(manifest_work, applied_work, record)

    async def _release(
        self, manifest_work: Object, applied_work: Object, record: AppliedResource
    ) -> None:
        """Delete an object we applied, or only drop our ownerRef when it is orphaned or
        another AppliedManifestWork owns it too."""
        resource = record.as_resource()
        namespace = record.namespace or None
        live = await appliers.read(self.spoke, resource, namespace, record.name)
        if live is None or live["metadata"].get("uid") != record.uid:
            return  # gone, or replaced by someone else's object
        owner_uid = str(applied_work["metadata"].get("uid") or "")
        refs = live["metadata"].get("ownerReferences") or []
        others = [
            r
            for r in refs
            if r.get("kind") == work.APPLIED_MANIFEST_WORK_KIND and r.get("uid") != owner_uid
        ]
        if manifests.is_orphaned(manifest_work, record) or others:
            if manifests.is_owned_by(live, owner_uid):
                body = {
                    "metadata": {
                        "resourceVersion": live["metadata"].get("resourceVersion"),
                        "ownerReferences": manifests.owner_refs_without(refs, owner_uid) or None,
                    }
                }
                await self.spoke.patch(resource, record.name, body, namespace=namespace)
            return
        # NotFound: already gone. Conflict: the uid precondition failed, someone else's object
        # now has that name.
        with contextlib.suppress(errors.NotFoundError, errors.ConflictError):
            await self.spoke.delete(
                resource,
                record.name,
                namespace=namespace,
                propagation_policy=PROPAGATION_BACKGROUND,
                preconditions=Preconditions(uid=record.uid),
            )

    async def _record_applied(
        self, applied_work: Object, applied: Sequence[AppliedResource]
    ) -> None:
        wanted = [r.to_status() for r in applied]
        if (applied_work.get("status") or {}).get("appliedResources") == wanted:
            return
        await self.spoke.patch(
            gvr.APPLIED_MANIFEST_WORKS,
            applied_work["metadata"]["name"],
            {"status": {"appliedResources": wanted}},
            subresource="status",
        )

    # -- status -----------------------------------------------------------------------------

    async def _write_status(
        self, manifest_work: Object, outcomes: Sequence[ManifestOutcome]
    ) -> None:
        previous = manifest_work.get("status") or {}
        generation = int(manifest_work["metadata"].get("generation") or 0)
        entries = [status.manifest_entry(o, previous, generation, self.clock) for o in outcomes]
        conditions = status.work_conditions(
            previous.get("conditions") or [], entries, generation, self.clock
        )
        await self._patch_status(
            manifest_work, {"conditions": conditions, "resourceStatus": {"manifests": entries}}
        )

    async def _patch_status(self, manifest_work: Object, fields: Mapping[str, Any]) -> Object:
        """Write ``fields`` of the status if they differ; returns the work as it now is."""
        previous = manifest_work.get("status") or {}
        if all(previous.get(k) == v for k, v in fields.items()):
            return manifest_work
        # The agent is the only writer of these status fields, and a merge patch replaces the
        # lists whole: no resourceVersion precondition needed (a stale cache cannot lose data).
        metadata = manifest_work["metadata"]
        return await self.hub.patch(
            gvr.MANIFEST_WORKS,
            metadata["name"],
            {"status": dict(fields)},
            namespace=metadata.get("namespace"),
            subresource="status",
        )

    def _next_check(self, outcomes: Sequence[ManifestOutcome]) -> float:
        delays = [self.settings.status_sync_interval]
        for outcome in outcomes:
            if outcome.applied:
                continue
            if outcome.apply_error and outcome.apply_error.startswith("not allowed"):
                delays.append(self.settings.retry_after_refusal)
            elif "server-side apply conflict" not in (outcome.apply_error or ""):
                delays.append(self.settings.retry_after_failure)
        return min(delays)

    # -- deletion ---------------------------------------------------------------------------

    async def _delete(self, key: str, manifest_work: Object) -> Result | None:
        if not patching.has_finalizer(manifest_work, work.MANIFEST_WORK_FINALIZER):
            return None
        previous = manifest_work.get("status") or {}
        conditions = patching.set_condition(
            previous.get("conditions"),
            type=work.CONDITION_DELETING,
            status=patching.CONDITION_TRUE,
            reason=work.REASON_WORK_DELETING,
            message="Delete the applied resources of the manifest work",
            clock=self.clock,
        )
        manifest_work = await self._patch_status(manifest_work, {"conditions": conditions})
        name = self._applied_work_name(manifest_work)
        applied_work = await appliers.read(self.spoke, gvr.APPLIED_MANIFEST_WORKS, None, name)
        if applied_work is not None:
            remaining = await self.release_all(manifest_work, applied_work)
            if remaining:
                logger.debug(
                    "waiting for %d applied resources to go", remaining, extra={"key": key}
                )
                return Result(requeue_after=self.settings.deletion_poll_interval)
            await patching.remove_finalizer(
                self.spoke, gvr.APPLIED_MANIFEST_WORKS, applied_work,
                work.APPLIED_MANIFEST_WORK_FINALIZER,
            )  # fmt: skip
            with contextlib.suppress(errors.NotFoundError):
                await self.spoke.delete(gvr.APPLIED_MANIFEST_WORKS, name)
        if self.watcher is not None:
            self.watcher.forget(key)
        await patching.remove_finalizer(
            self.hub, gvr.MANIFEST_WORKS, manifest_work, work.MANIFEST_WORK_FINALIZER
        )
        return None

    async def release_all(self, manifest_work: Object, applied_work: Object) -> int:
        """Release every resource ``applied_work`` records, by ``manifest_work``'s delete
        option (``{}``: delete them all); returns how many deleted ones still exist."""
        remaining = 0
        for record in manifests.applied_resources_of(applied_work):
            await self._release(manifest_work, applied_work, record)
            live = await appliers.read(
                self.spoke, record.as_resource(), record.namespace or None, record.name
            )
            if (
                live is not None
                and live["metadata"].get("uid") == record.uid
                and manifests.is_owned_by(live, str(applied_work["metadata"].get("uid")))
            ):
                remaining += 1
        return remaining


def _identity(outcome: ManifestOutcome) -> tuple[str, str, str, str]:
    resource = outcome.resource
    if resource is None:
        return ("", "", "", "")
    return (resource.group, resource.plural, outcome.namespace or "", outcome.manifest.name)


def _targets(outcomes: Sequence[ManifestOutcome]) -> list[Target]:
    return [(o.resource, o.namespace, o.manifest.name) for o in outcomes if o.resource is not None]
