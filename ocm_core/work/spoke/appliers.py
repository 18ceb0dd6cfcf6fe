"""Writing one manifest to the spoke with its update strategy.

==================  =============================================================================
Update (default)    create if missing; otherwise replace with the manifest's fields, labels and
                    annotations merged, finalizers kept; nothing is sent when the live object
                    already matches (so a restarted agent re-applies nothing)
CreateOnly          create if missing; afterwards only our ownerReference is kept in step
ServerSideApply     apply-patch with the field manager and ``force``; a conflict is reported and
                    not retried until the work changes
ReadOnly            never write: only read (for feedback and availability)
==================  =============================================================================

Every failure comes out as `ApplyError` carrying the upstream reason and a message for the
manifest's Applied condition; transport failures propagate (the reconcile is retried).
"""

from __future__ import annotations

from ocm_core.api import work
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi, Object, PatchType
from ocm_core.work.spoke import manifests
from ocm_core.work.spoke.manifests import Manifest, Ownership, UpdateStrategy


class ApplyError(Exception):
    """The manifest could not be applied; ``str()`` goes into the Applied condition."""

    def __init__(self, message: str, reason: str = work.REASON_APPLIED_MANIFEST_FAILED) -> None:
        super().__init__(message)
        self.reason = reason


async def read(api: KubeApi, resource: Resource, namespace: str | None, name: str) -> Object | None:
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        return None


async def apply(
    api: KubeApi,
    resource: Resource,
    namespace: str | None,
    manifest: Manifest,
    strategy: UpdateStrategy,
    owner: Ownership,
) -> Object | None:
    """Apply ``manifest`` with ``strategy``; returns the live object afterwards (None when a
    ReadOnly target does not exist)."""
    try:
        match strategy.type:
            case work.UPDATE_STRATEGY_READ_ONLY:
                return await read(api, resource, namespace, manifest.name)
            case work.UPDATE_STRATEGY_CREATE_ONLY:
                return await _create_only(api, resource, namespace, manifest, owner)
            case work.UPDATE_STRATEGY_SERVER_SIDE_APPLY:
                return await _server_side_apply(api, resource, namespace, manifest, strategy, owner)
            case work.UPDATE_STRATEGY_UPDATE:
                return await _update(api, resource, namespace, manifest, owner)
            case other:
                raise ApplyError(f"unknown update strategy {other!r}")
    except errors.ForbiddenError as exc:
        raise ApplyError(f"not allowed: {exc.message}") from exc
    except (errors.InvalidError, errors.BadRequestError, errors.NotFoundError) as exc:
        raise ApplyError(f"{exc.code} {exc.reason}: {exc.message}") from exc


async def _create(
    api: KubeApi, resource: Resource, namespace: str | None, manifest: Manifest, owner: Ownership
) -> Object:
    body = manifests.desired_for_create(manifest, namespace, owner)
    return await api.create(resource, body, namespace=namespace)


async def _update(
    api: KubeApi, resource: Resource, namespace: str | None, manifest: Manifest, owner: Ownership
) -> Object:
    live = await read(api, resource, namespace, manifest.name)
    if live is None:
        return await _create(api, resource, namespace, manifest, owner)
    desired = manifests.desired_for_update(live, manifest, owner)
    if not manifests.needs_update(live, desired):
        return live
    # The live resourceVersion rides along: a concurrent writer makes this a 409 and the
    # reconcile is retried on fresh data instead of overwriting their change.
    return await api.replace(resource, desired, namespace=namespace)


async def _create_only(
    api: KubeApi, resource: Resource, namespace: str | None, manifest: Manifest, owner: Ownership
) -> Object:
    live = await read(api, resource, namespace, manifest.name)
    if live is None:
        return await _create(api, resource, namespace, manifest, owner)
    return await _sync_owner(api, resource, namespace, live, owner)


async def _sync_owner(
    api: KubeApi, resource: Resource, namespace: str | None, live: Object, owner: Ownership
) -> Object:
    refs = (live.get("metadata") or {}).get("ownerReferences") or []
    wanted = owner.apply(refs)
    if wanted == [dict(r) for r in refs]:
        return live
    body = {
        "metadata": {
            "resourceVersion": live["metadata"].get("resourceVersion"),
            "ownerReferences": wanted or None,
        }
    }
    return await api.patch(resource, manifests.Manifest(0, live).name, body, namespace=namespace)


async def _server_side_apply(
    api: KubeApi,
    resource: Resource,
    namespace: str | None,
    manifest: Manifest,
    strategy: UpdateStrategy,
    owner: Ownership,
) -> Object:
    if not strategy.field_manager.startswith(work.DEFAULT_FIELD_MANAGER):
        raise ApplyError(
            f"field manager {strategy.field_manager!r} must start with "
            f"{work.DEFAULT_FIELD_MANAGER!r}"
        )
    body = manifests.desired_for_create(manifest, namespace, owner)
    try:
        live = await api.patch(
            resource,
            manifest.name,
            body,
            namespace=namespace,
            patch_type=PatchType.APPLY,
            field_manager=strategy.field_manager,
            force=strategy.force,
        )
    except errors.ConflictError as exc:
        raise ApplyError(f"server-side apply conflict: {exc.message}") from exc
    if not owner.owned:
        live = await _sync_owner(api, resource, namespace, live, owner)
    return live
