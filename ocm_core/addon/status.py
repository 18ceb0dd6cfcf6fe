"""`write_status`: a status patch where losing a race is routine, not an error.

Several controllers write the same ManagedClusterAddOn status (the add-on pass, the lease
check), each from its cache; a write based on an older object fails with 409 Conflict. That is
expected, so it becomes a quiet short retry (`TemporaryError`) instead of a logged traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import TemporaryError, patching

CONFLICT_RETRY_SECONDS: Final = 0.2


async def write_status(
    api: KubeApi, resource: Resource, obj: Mapping[str, Any], status: Mapping[str, Any]
) -> bool:
    """`patching.patch_status`, with a conflict turned into a short retry."""
    try:
        return await patching.patch_status(api, resource, obj, status)
    except errors.ConflictError as exc:
        raise TemporaryError(
            f"{resource} {obj['metadata'].get('name')} changed meanwhile; retrying",
            delay=CONFLICT_RETRY_SECONDS,
        ) from exc
