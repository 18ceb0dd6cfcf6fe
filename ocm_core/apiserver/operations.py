"""Create, read, update, patch and delete of any served kind, with kube semantics applied.

The one path between the HTTP handlers (and the in-server controllers) and ``Storage``: it
checks namespaces exist, runs :mod:`semantics` and :mod:`patching`, converts between served
and stored versions, keeps CRDs and the registry in step, and translates storage errors into
``ApiError``. It never touches HTTP.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from ocm_core.apiserver import defaulting, errors, jsonpath, patching, semantics
from ocm_core.apiserver.admission import Validators
from ocm_core.apiserver.authhooks import UserInfo
from ocm_core.apiserver.registry import (
    APPROVAL,
    CRD_GROUP,
    CRD_RESOURCE,
    SCALE,
    STATUS,
    CRDError,
    Registry,
    ResourceInfo,
)
from ocm_core.apiserver.selectors import EVERYTHING, ObjectSelector
from ocm_core.apiserver.storage import (
    AlreadyExistsError,
    BadContinueError,
    ConflictError,
    EventType,
    ExpiredError,
    ListResult,
    NotFoundError,
    Object,
    Removal,
    Storage,
    StoredEvent,
)

logger = logging.getLogger(__name__)

FOREGROUND_FINALIZER: Final = "foregroundDeletion"
ORPHAN_FINALIZER: Final = "orphan"
NAMESPACE_INFO_KEY: Final = "core/namespaces"
BOOTSTRAP_NAMESPACES: Final = ("default", "kube-system", "kube-public", "kube-node-lease")


class PatchType(StrEnum):
    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


PatchedCheck = Callable[[Object, Object], Object]
"""``(object before the patch, patched object) -> object to write``; may raise ``ApiError``."""


class Propagation(StrEnum):
    BACKGROUND = "Background"
    FOREGROUND = "Foreground"
    ORPHAN = "Orphan"


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool = False
    field_manager: str = ""
    force: bool = False
    #: Who writes: recorded where kube records it (a CSR's spec.username/groups/uid).
    user: UserInfo | None = None


@dataclass(frozen=True)
class DeleteOptions:
    dry_run: bool = False
    propagation: Propagation = Propagation.BACKGROUND
    precondition_uid: str | None = None
    precondition_rv: str | None = None


@dataclass(frozen=True)
class WriteResult:
    object: Object
    created: bool = False


@dataclass(frozen=True)
class DeleteResult:
    object: Object
    #: False when finalizers hold the object (HTTP 202 instead of 200).
    removed: bool


@contextlib.contextmanager
def storage_errors(info: ResourceInfo, name: str) -> Iterator[None]:
    """Translate storage failures into the Status a real apiserver sends."""
    try:
        yield
    except NotFoundError:
        raise errors.not_found(info.resource, info.group, name) from None
    except AlreadyExistsError:
        raise errors.already_exists(info.resource, info.group, name) from None
    except ConflictError:
        raise errors.conflict(info.resource, info.group, name, errors.STALE_OBJECT) from None
    except ExpiredError as exc:
        raise errors.expired(str(exc)) from None
    except BadContinueError as exc:
        raise errors.bad_request(str(exc)) from None


class NamespaceIndex:
    """Which namespaces exist and which are terminating, mirrored from storage commits.

    Every namespaced create checks its namespace; reading it from the index instead of the
    Namespace row saves a query and a JSON parse per create. The storage listener runs at
    commit, so the index is never behind a create that could observe the namespace."""

    def __init__(self) -> None:
        self._terminating: dict[str, bool] = {}
        self.loaded = False

    async def load(self, storage: Storage) -> None:
        storage.add_listener(self.apply)
        for namespace in (await storage.list(NAMESPACE_INFO_KEY)).items:
            self._terminating[namespace["metadata"]["name"]] = semantics.is_deleting(namespace)
        self.loaded = True

    def apply(self, event: StoredEvent) -> None:
        if event.resource != NAMESPACE_INFO_KEY:
            return
        if event.type is EventType.DELETED:
            self._terminating.pop(event.name, None)
        elif event.type in (EventType.ADDED, EventType.MODIFIED):
            self._terminating[event.name] = semantics.is_deleting(event.object)

    def terminating(self, name: str) -> bool | None:
        """True/False for an existing namespace, None when there is none."""
        return self._terminating.get(name)


class Operations:
    def __init__(
        self,
        registry: Registry,
        storage: Storage,
        env: semantics.Environment,
        validators: Validators | None = None,
    ) -> None:
        self.registry = registry
        self.storage = storage
        self.env = env
        self.validators = validators or Validators()
        self.namespaces = NamespaceIndex()
        # Creates are checked against the namespace index and CRDs against the registry:
        # both follow commits, so writes to them must be committed before the next check.
        storage.commit_immediately(NAMESPACE_INFO_KEY)
        storage.commit_immediately(self._crd_info().storage_key)

    # --- startup ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve every stored CRD and make sure the standard namespaces exist."""
        await self.namespaces.load(self.storage)
        crd_info = self._crd_info()
        for crd in (await self.storage.list(crd_info.storage_key)).items:
            try:
                self.registry.add_crd(crd)
            except CRDError as exc:
                logger.warning(
                    "stored CRD not served",
                    extra={"crd": crd["metadata"]["name"], "error": str(exc)},
                )
        ns_info = self._namespace_info()
        for name in BOOTSTRAP_NAMESPACES:
            with contextlib.suppress(errors.ApiError):
                await self.create(ns_info, "", {"metadata": {"name": name}})

    def _crd_info(self) -> ResourceInfo:
        info = self.registry.lookup(CRD_GROUP, "v1", CRD_RESOURCE)
        assert info is not None, "the CRD kind is built in"
        return info

    def _namespace_info(self) -> ResourceInfo:
        info = self.registry.lookup("", "v1", "namespaces")
        assert info is not None, "the Namespace kind is built in"
        return info

    # --- versions ---------------------------------------------------------------------------

    def to_served(self, info: ResourceInfo, obj: Object) -> Object:
        return self.registry.converters.convert(obj, info.group, info.kind, info.api_version)

    def _defaulted(self, info: ResourceInfo, obj: Object) -> Object:
        if info.schema is None:
            return obj
        result: Object = defaulting.apply_defaults(
            obj, defaulting.schema_without_metadata(info.schema)
        )
        return result

    def _to_stored(self, info: ResourceInfo, obj: Object) -> Object:
        return self.registry.converters.convert(
            obj, info.group, info.kind, info.storage_api_version
        )

    # --- reads ------------------------------------------------------------------------------

    async def get(self, info: ResourceInfo, namespace: str, name: str) -> Object:
        with storage_errors(info, name):
            return self.to_served(info, await self.storage.get(info.storage_key, namespace, name))

    async def list(
        self,
        info: ResourceInfo,
        namespace: str | None,
        *,
        selector: ObjectSelector = EVERYTHING,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        with storage_errors(info, ""):
            result = await self.storage.list(
                info.storage_key,
                namespace=namespace,
                selector=selector,
                limit=limit,
                continue_token=continue_token,
            )
        return ListResult(
            [self.to_served(info, o) for o in result.items],
            result.resource_version,
            result.continue_token,
            result.remaining,
        )

    # --- create -----------------------------------------------------------------------------

    async def _check_namespace(self, info: ResourceInfo, namespace: str) -> None:
        if not info.namespaced:
            return
        if self.namespaces.loaded:
            terminating = self.namespaces.terminating(namespace)
        else:  # not started (tests that drive Operations directly)
            terminating = await self._read_namespace_state(namespace)
        if terminating is None:
            raise errors.not_found("namespaces", "", namespace)
        if terminating:
            raise errors.forbidden(
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated"
            )

    async def _read_namespace_state(self, namespace: str) -> bool | None:
        try:
            return semantics.is_deleting(await self.storage.get(NAMESPACE_INFO_KEY, "", namespace))
        except NotFoundError:
            return None

    async def create(
        self,
        info: ResourceInfo,
        namespace: str,
        body: Object,
        options: WriteOptions = WriteOptions(),
    ) -> Object:
        obj = self._defaulted(info, semantics.prepare_create(body, info, namespace, self.env))
        if info.kind == "CertificateSigningRequest" and options.user is not None:
            semantics.record_requestor(obj, options.user)
        await self._check_namespace(info, namespace)
        self.validators.check(info, obj, None)
        if info.group == CRD_GROUP and info.resource == CRD_RESOURCE:
            obj = self._accept_crd(obj)
        stored = self._to_stored(info, obj)
        if options.dry_run:
            return obj
        with storage_errors(info, obj["metadata"]["name"]):
            created = await self.storage.create(info.storage_key, stored)
        if info.group == CRD_GROUP and info.resource == CRD_RESOURCE:
            self.registry.add_crd(created)
        return self.to_served(info, created)

    def _accept_crd(self, crd: Object) -> Object:
        """Validate a CRD and fill the status clients wait for (kept stable across updates)."""
        try:
            storage_version = self.registry.validate_crd(crd)[0].storage_version
        except CRDError as exc:
            name = crd["metadata"].get("name", "")
            raise errors.invalid(
                "CustomResourceDefinition", CRD_GROUP, name, [("spec", str(exc))]
            ) from None
        names = crd["spec"]["names"]
        accepted = dict(names)
        accepted.setdefault("singular", names["kind"].lower())
        accepted.setdefault("listKind", f"{names['kind']}List")
        status = crd.setdefault("status", {})
        status["acceptedNames"] = accepted
        status["storedVersions"] = list(
            dict.fromkeys([*status.get("storedVersions", []), storage_version])
        )
        if not status.get("conditions"):
            now = semantics.format_time(self.env.now())
            status["conditions"] = [
                _condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                _condition(
                    "Established",
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                    now,
                ),
            ]
        return crd

    # --- update and patch -------------------------------------------------------------------

    def _updater(
        self,
        info: ResourceInfo,
        subresource: str,
        change: Callable[[Object], Object],
        body_rv: Callable[[Object], str | None],
    ) -> Callable[[Object], Object | Removal]:
        """The storage update function: view -> change -> kube update rules -> stored form."""

        def update(current_stored: Object) -> Object | Removal:
            current = self.to_served(info, current_stored)
            view = self._view(info, current, subresource)
            changed = change(copy.deepcopy(view))
            wanted_rv = body_rv(changed)
            if wanted_rv and wanted_rv != current["metadata"].get("resourceVersion"):
                raise errors.conflict(
                    info.resource, info.group, current["metadata"]["name"], errors.STALE_OBJECT
                )
            new = self._defaulted(info, self._merge_view(info, current, changed, subresource))
            if not subresource:
                self.validators.check(info, new, current)
            if info.group == CRD_GROUP and info.resource == CRD_RESOURCE and subresource != STATUS:
                new = self._accept_crd(new)
            if semantics.is_deleting(new) and not semantics.has_finalizers(new):
                return Removal(self._to_stored(info, new))
            return self._to_stored(info, new)

        return update

    def _view(self, info: ResourceInfo, obj: Object, subresource: str) -> Object:
        if subresource == SCALE:
            return scale_view(info, obj)
        return obj

    def _merge_view(
        self, info: ResourceInfo, current: Object, changed: Object, subresource: str
    ) -> Object:
        if subresource == SCALE:
            assert info.scale is not None
            replicas = changed.get("spec", {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise errors.invalid(
                    "Scale",
                    "autoscaling",
                    current["metadata"]["name"],
                    [("spec.replicas", "Invalid value: must be a non-negative integer")],
                )
            new = copy.deepcopy(current)
            jsonpath.set_field(new, info.scale.spec_replicas, replicas)
            return semantics.prepare_update(current, new, info)
        if subresource == APPROVAL:
            # An approval write may only change status.conditions.
            new = copy.deepcopy(current)
            now = semantics.format_time(self.env.now())
            conditions = changed.get("status", {}).get("conditions") or []
            for condition in conditions:
                condition.setdefault("lastTransitionTime", now)
                condition.setdefault("lastUpdateTime", now)
            new.setdefault("status", {})["conditions"] = conditions
            return semantics.prepare_update(current, new, info, STATUS)
        return semantics.prepare_update(current, changed, info, subresource)

    async def _guaranteed_update(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        update: Callable[[Object], Object | Removal],
        *,
        dry_run: bool,
        precondition_rv: str | None = None,
    ) -> Object:
        with storage_errors(info, name):
            if dry_run:
                current = await self.storage.get(info.storage_key, namespace, name)
                if precondition_rv and precondition_rv != current["metadata"].get(
                    "resourceVersion"
                ):
                    raise ConflictError(name)
                outcome = update(current)
                return self.to_served(
                    info, outcome.final_state if isinstance(outcome, Removal) else outcome
                )
            stored = await self.storage.guaranteed_update(
                info.storage_key, namespace, name, update, precondition_rv=precondition_rv
            )
        if info.group == CRD_GROUP and info.resource == CRD_RESOURCE:
            self._reserve_crd(stored)
        return self.to_served(info, stored)

    def _reserve_crd(self, crd: Object) -> None:
        if semantics.is_deleting(crd):
            return
        with contextlib.suppress(CRDError):
            self.registry.add_crd(crd)

    async def update(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        body: Object,
        *,
        subresource: str = "",
        options: WriteOptions = WriteOptions(),
    ) -> Object:
        """PUT: replace; a body resourceVersion is a precondition (absent: unconditional)."""
        semantics.check_namespace(body, info, namespace)
        update = self._updater(info, subresource, lambda _view: body, lambda _changed: None)
        precondition = body.get("metadata", {}).get("resourceVersion") or None
        return await self._guaranteed_update(
            info, namespace, name, update, dry_run=options.dry_run, precondition_rv=precondition
        )

    async def patch(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        patch_type: PatchType,
        body: Any,
        *,
        subresource: str = "",
        options: WriteOptions = WriteOptions(),
        check_patched: PatchedCheck | None = None,
    ) -> WriteResult:
        """PATCH; ``check_patched(before, patched)`` sees every patched object before the update
        rules and returns the object to write (field validation of JSON patches)."""
        if patch_type is PatchType.STRATEGIC and not info.strategic_merge:
            # kubectl prefixes "<type> is not supported by <GVK>" itself.
            raise errors.unsupported_media_type()
        manager = options.field_manager
        if patch_type is PatchType.APPLY:
            if not manager:
                raise errors.bad_request("fieldManager is required for apply requests")
            if not subresource:
                try:
                    await self.storage.get(info.storage_key, namespace, name)
                except NotFoundError:
                    created = await self._apply_create_unless_raced(
                        info, namespace, name, body, options
                    )
                    if created is not None:
                        return created

        def change(view: Object) -> Object:
            try:
                now = semantics.format_time(self.env.now())
                patched = apply_patch(view, patch_type, body, manager, now, force=options.force)
            except patching.ApplyConflictError as exc:
                raise errors.apply_conflict(
                    info.resource, info.group, name, str(exc), exc.conflicts
                ) from None
            except patching.PatchError as exc:
                raise errors.invalid(info.kind, info.group, name, [("patch", str(exc))]) from None
            return patched if check_patched is None else check_patched(view, patched)

        update = self._updater(info, subresource, change, _patched_rv)
        obj = await self._guaranteed_update(info, namespace, name, update, dry_run=options.dry_run)
        return WriteResult(obj)

    async def _apply_create_unless_raced(
        self, info: ResourceInfo, namespace: str, name: str, body: Any, options: WriteOptions
    ) -> WriteResult | None:
        """Create by apply; None when a concurrent write created the object first (it may be
        in storage's uncommitted batch, which reads do not see): then apply patches it, as
        kube's create-or-update retries."""
        try:
            return await self._apply_create(info, namespace, name, body, options)
        except errors.ApiError as exc:
            if exc.reason != errors.REASON_ALREADY_EXISTS:
                raise
            return None

    async def _apply_create(
        self, info: ResourceInfo, namespace: str, name: str, body: Any, options: WriteOptions
    ) -> WriteResult:
        if not isinstance(body, dict):
            raise errors.bad_request("an apply patch must be a single object")
        applied = patching.server_side_apply(
            None, body, options.field_manager, semantics.format_time(self.env.now())
        )
        applied.setdefault("metadata", {})
        if applied["metadata"].get("name", name) != name:
            raise errors.bad_request("the name of the object does not match the name on the URL")
        applied["metadata"]["name"] = name
        return WriteResult(await self.create(info, namespace, applied, options), created=True)

    # --- delete -----------------------------------------------------------------------------

    async def delete(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        options: DeleteOptions = DeleteOptions(),
    ) -> DeleteResult:
        if info.group == CRD_GROUP and info.resource == CRD_RESOURCE and not options.dry_run:
            await self._remove_custom_resources(name)
        removed: list[bool] = []

        def update(current: Object) -> Object | Removal:
            if options.precondition_uid and options.precondition_uid != current["metadata"].get(
                "uid"
            ):
                raise errors.conflict(
                    info.resource, info.group, name, "the UID in the precondition does not match"
                )
            new = current
            if not semantics.is_deleting(current):
                if options.propagation is Propagation.FOREGROUND:
                    new = semantics.add_finalizer(new, FOREGROUND_FINALIZER)
                elif options.propagation is Propagation.ORPHAN:
                    new = semantics.add_finalizer(new, ORPHAN_FINALIZER)
            if semantics.has_finalizers(new):
                return semantics.mark_deleting(new, self.env.now())
            removed.append(True)
            return Removal(new)

        obj = await self._guaranteed_update(
            info,
            namespace,
            name,
            update,
            dry_run=options.dry_run,
            precondition_rv=options.precondition_rv,
        )
        if (
            removed
            and info.group == CRD_GROUP
            and info.resource == CRD_RESOURCE
            and not options.dry_run
        ):
            self.registry.remove_crd(name)
        return DeleteResult(obj, removed=bool(removed))

    async def _remove_custom_resources(self, crd_name: str) -> None:
        """Delete every object of a CRD's kind before the CRD itself goes (kube's cleanup)."""
        infos = self.registry.remove_crd(crd_name)
        if not infos:
            return
        key = infos[0].storage_key
        for obj in (await self.storage.list(key)).items:
            meta = obj["metadata"]
            with contextlib.suppress(NotFoundError):
                await self.storage.delete(key, meta.get("namespace", ""), meta["name"])

    async def delete_collection(
        self,
        info: ResourceInfo,
        namespace: str | None,
        selector: ObjectSelector,
        options: DeleteOptions = DeleteOptions(),
    ) -> builtins.list[Object]:
        deleted = []
        for obj in (await self.list(info, namespace, selector=selector)).items:
            meta = obj["metadata"]
            with contextlib.suppress(errors.ApiError):
                result = await self.delete(info, meta.get("namespace", ""), meta["name"], options)
                deleted.append(result.object)
        return deleted


def _condition(kind: str, reason: str, message: str, now: str) -> dict[str, str]:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastTransitionTime": now,
    }


def _patched_rv(changed: Object) -> str | None:
    """A resourceVersion inside a patched object acts as a precondition (kube parity)."""
    rv = changed.get("metadata", {}).get("resourceVersion")
    return str(rv) if rv else None


def apply_patch(
    view: Object, patch_type: PatchType, body: Any, manager: str, now: str, *, force: bool = False
) -> Object:
    match patch_type:
        case PatchType.JSON:
            result = patching.json_patch(view, body)
        case PatchType.MERGE:
            result = patching.json_merge_patch(view, body)
        case PatchType.STRATEGIC:
            result = patching.strategic_merge_patch(view, body)
        case PatchType.APPLY:
            if isinstance(body, dict):
                # The applied object carries no resourceVersion precondition of its own.
                body = {
                    **body,
                    "metadata": {
                        k: v
                        for k, v in (body.get("metadata") or {}).items()
                        if k != "resourceVersion"
                    },
                }
            result = patching.server_side_apply(view, body, manager, now, force=force)
    if not isinstance(result, dict):
        raise patching.PatchError("the patched document is not an object")
    return result


def scale_view(info: ResourceInfo, obj: Object) -> Object:
    """The autoscaling/v1 Scale of an object with a scale subresource."""
    assert info.scale is not None
    meta = obj["metadata"]
    selector = (
        jsonpath.get_field(obj, info.scale.label_selector) if info.scale.label_selector else None
    )
    if isinstance(selector, dict):
        labels = selector.get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    status: dict[str, Any] = {"replicas": jsonpath.get_field(obj, info.scale.status_replicas) or 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": jsonpath.get_field(obj, info.scale.spec_replicas) or 0},
        "status": status,
    }
