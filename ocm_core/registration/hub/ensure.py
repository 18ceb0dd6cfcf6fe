"""Create-or-update of the objects the hub owns per cluster (Namespace, RBAC, Lease).

Only the fields the hub decides (``WATCHED_FIELDS`` plus labels) are compared, so a server's
defaulting never causes an update loop; at most one write per call. Given the informer cache of
the resource, the current object is read from it: a reconcile that finds everything in place
sends no request at all (a stale cache costs one 409, after which the cache has caught up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api.gvr import Resource
from ocm_core.kube.errors import AlreadyExistsError, NotFoundError
from ocm_core.kube.protocol import KubeApi, object_name, object_namespace
from ocm_core.runtime import Cache, keys

WATCHED_FIELDS: Final = ("rules", "roleRef", "subjects")


def _differs(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    if any(current.get(f) != desired.get(f) for f in WATCHED_FIELDS if f in desired):
        return True
    have = (current.get("metadata") or {}).get("labels") or {}
    want = (desired.get("metadata") or {}).get("labels") or {}
    return any(have.get(k) != v for k, v in want.items())


async def _current(
    api: KubeApi, resource: Resource, name: str, namespace: str | None, cache: Cache | None
) -> Mapping[str, Any] | None:
    if cache is not None:
        return cache.get(keys.make_key(namespace, name))
    try:
        current: Mapping[str, Any] = await api.get(resource, name, namespace=namespace)
    except NotFoundError:
        return None
    return current


async def ensure_object(
    api: KubeApi, resource: Resource, desired: dict[str, Any], *, cache: Cache | None = None
) -> bool:
    """Make ``desired`` exist with its watched fields; returns whether anything was written.
    ``cache``: the informer cache of ``resource``, read instead of the API."""
    name, namespace = object_name(desired), object_namespace(desired)
    current = await _current(api, resource, name, namespace, cache)
    if current is None:
        try:
            await api.create(resource, desired, namespace=namespace)
        except AlreadyExistsError:
            return False  # raced with ourselves or another replica; the next pass compares
        return True
    if not _differs(current, desired):
        return False
    updated = dict(current)
    for field in WATCHED_FIELDS:
        if field in desired:
            updated[field] = desired[field]
    metadata = dict(current.get("metadata") or {})
    labels = dict(metadata.get("labels") or {})
    labels.update((desired.get("metadata") or {}).get("labels") or {})
    metadata["labels"] = labels
    updated["metadata"] = metadata
    await api.replace(resource, updated, namespace=namespace)
    return True


async def delete_if_present(
    api: KubeApi, resource: Resource, name: str, namespace: str | None = None
) -> bool:
    """Delete; returns whether the object was still there."""
    try:
        await api.delete(resource, name, namespace=namespace)
    except NotFoundError:
        return False
    return True
