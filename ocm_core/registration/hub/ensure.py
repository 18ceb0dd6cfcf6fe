"""Create-or-update of the objects the hub owns per cluster (Namespace, RBAC, Lease).

Only the fields the hub decides (``WATCHED_FIELDS`` plus labels) are compared, so a server's
defaulting never causes an update loop; at most one write per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api.gvr import Resource
from ocm_core.kube.errors import AlreadyExistsError, NotFoundError
from ocm_core.kube.protocol import KubeApi, object_name, object_namespace

WATCHED_FIELDS: Final = ("rules", "roleRef", "subjects")


def _differs(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    if any(current.get(f) != desired.get(f) for f in WATCHED_FIELDS if f in desired):
        return True
    have = (current.get("metadata") or {}).get("labels") or {}
    want = (desired.get("metadata") or {}).get("labels") or {}
    return any(have.get(k) != v for k, v in want.items())


async def ensure_object(api: KubeApi, resource: Resource, desired: dict[str, Any]) -> bool:
    """Make ``desired`` exist with its watched fields; returns whether anything was written."""
    name, namespace = object_name(desired), object_namespace(desired)
    try:
        current = await api.get(resource, name, namespace=namespace)
    except NotFoundError:
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
