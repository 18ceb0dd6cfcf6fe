"""`RetryOnConflict`: a 409 Conflict from a write made with a stale informer copy is routine
(another writer got there first); retry shortly and quietly instead of logging a traceback."""

from __future__ import annotations

from typing import Final

from ocm_core.kube.errors import ConflictError
from ocm_core.runtime import Reconciler, Result, TemporaryError

CONFLICT_RETRY_SECONDS: Final = 0.2


class RetryOnConflict:
    def __init__(self, reconciler: Reconciler) -> None:
        self.reconciler = reconciler

    async def reconcile(self, key: str) -> Result | None:
        try:
            return await self.reconciler.reconcile(key)
        except ConflictError as exc:
            raise TemporaryError(
                f"stale copy of {key}; the cache catches up", delay=CONFLICT_RETRY_SECONDS
            ) from exc
