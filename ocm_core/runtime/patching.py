"""Writing to objects the way controllers should: status only when it changed, finalizers with
optimistic locking, and conditions with ``meta.SetStatusCondition`` semantics.

The pure functions (`merge_patch_diff`, `set_condition`, `find_condition`, ...) never touch the
API; the async ones issue at most one PATCH each and say whether they did (a controller that
wrote nothing did not churn the API server or wake other controllers).

Writes carry the object's ``resourceVersion`` (and uid) as a precondition: a controller acting on
a stale cache gets `ConflictError`, and the runtime requeues it with backoff, by which time the
cache has caught up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from ocm_core.api.gvr import Resource
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import KubeApi, PatchType
from ocm_core.runtime.clock import Clock

CONDITION_TRUE: Final = "True"
CONDITION_FALSE: Final = "False"
CONDITION_UNKNOWN: Final = "Unknown"

Object = dict[str, Any]


def merge_patch_diff(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch that turns ``old`` into ``new`` (removed keys become null;
    lists and scalars are replaced whole)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            if isinstance(old[key], Mapping) and isinstance(value, Mapping):
                patch[key] = merge_patch_diff(old[key], value)
            else:
                patch[key] = value
    return patch


def _preconditions(obj: Mapping[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata") or {}
    return {k: metadata[k] for k in ("uid", "resourceVersion") if metadata.get(k)}


def _address(obj: Mapping[str, Any]) -> tuple[str, str | None]:
    metadata = obj.get("metadata") or {}
    return str(metadata["name"]), metadata.get("namespace")


async def patch_status(
    api: KubeApi,
    resource: Resource,
    obj: Mapping[str, Any],
    new_status: Mapping[str, Any],
    *,
    field_manager: str | None = None,
) -> bool:
    """Merge-patch ``obj``'s status subresource to ``new_status`` if it differs; returns
    whether a PATCH was sent."""
    old_status = obj.get("status") or {}
    if old_status == new_status:
        return False
    name, namespace = _address(obj)
    body = {
        "metadata": _preconditions(obj),
        "status": merge_patch_diff(old_status, dict(new_status)),
    }
    await api.patch(
        resource,
        name,
        body,
        namespace=namespace,
        patch_type=PatchType.MERGE,
        subresource="status",
        field_manager=field_manager,
    )
    return True


def has_finalizer(obj: Mapping[str, Any], finalizer: str) -> bool:
    return finalizer in ((obj.get("metadata") or {}).get("finalizers") or ())


def is_deleting(obj: Mapping[str, Any]) -> bool:
    """True once deletion was requested (finalizers are holding the object)."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


async def add_finalizer(
    api: KubeApi, resource: Resource, obj: Mapping[str, Any], finalizer: str
) -> bool:
    """Add ``finalizer`` unless present (or the object is already being deleted: a finalizer
    cannot be added then); returns whether a PATCH was sent."""
    if has_finalizer(obj, finalizer) or is_deleting(obj):
        return False
    current = list((obj.get("metadata") or {}).get("finalizers") or ())
    await _patch_finalizers(api, resource, obj, [*current, finalizer])
    return True


async def remove_finalizer(
    api: KubeApi, resource: Resource, obj: Mapping[str, Any], finalizer: str
) -> bool:
    """Remove ``finalizer`` if present; returns whether a PATCH was sent. An object that is
    already gone counts as done."""
    if not has_finalizer(obj, finalizer):
        return False
    remaining = [f for f in (obj.get("metadata") or {}).get("finalizers") or () if f != finalizer]
    try:
        await _patch_finalizers(api, resource, obj, remaining)
    except NotFoundError:
        return False
    return True


async def _patch_finalizers(
    api: KubeApi, resource: Resource, obj: Mapping[str, Any], finalizers: list[str]
) -> None:
    # A merge patch replaces the whole list; the resourceVersion precondition makes sure no
    # other writer's finalizer is lost in between.
    name, namespace = _address(obj)
    body = {"metadata": {**_preconditions(obj), "finalizers": finalizers}}
    await api.patch(resource, name, body, namespace=namespace, patch_type=PatchType.MERGE)


# -- conditions ---------------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with second precision, as Kubernetes writes ``metav1.Time``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_condition(
    conditions: Sequence[Mapping[str, Any]] | None, condition_type: str
) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if condition.get("type") == condition_type:
            return condition
    return None


def is_condition_true(conditions: Sequence[Mapping[str, Any]] | None, condition_type: str) -> bool:
    condition = find_condition(conditions, condition_type)
    return condition is not None and condition.get("status") == CONDITION_TRUE


def set_condition(
    conditions: Sequence[Mapping[str, Any]] | None,
    *,
    type: str,  # shadows the builtin on purpose: it is the condition field name
    status: str,
    reason: str,
    message: str,
    observed_generation: int | None = None,
    clock: Clock,
) -> list[Object]:
    """A new conditions list with condition ``type`` set (``meta.SetStatusCondition``):
    ``lastTransitionTime`` moves to now only when the status changes (or the condition is new);
    reason, message and observedGeneration are always updated. The input is not modified and
    the order of conditions is kept."""
    result = [dict(condition) for condition in conditions or ()]
    for condition in result:
        if condition.get("type") != type:
            continue
        if condition.get("status") != status:
            condition["status"] = status
            condition["lastTransitionTime"] = format_time(clock.wall())
        condition["reason"] = reason
        condition["message"] = message
        if observed_generation is not None:
            condition["observedGeneration"] = observed_generation
        return result
    new: Object = {
        "type": type,
        "status": status,
        "lastTransitionTime": format_time(clock.wall()),
        "reason": reason,
        "message": message,
    }
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    result.append(new)
    return result


def remove_condition(
    conditions: Sequence[Mapping[str, Any]] | None, condition_type: str
) -> list[Object]:
    return [dict(c) for c in conditions or () if c.get("type") != condition_type]
