"""A conflict becomes a short, quiet retry; other errors pass through."""

from __future__ import annotations

import pytest

from ocm_core.kube.errors import ConflictError, NotFoundError
from ocm_core.registration.conflicts import CONFLICT_RETRY_SECONDS, RetryOnConflict
from ocm_core.runtime import Result, TemporaryError


class Failing:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    async def reconcile(self, key: str) -> Result | None:
        if self.error is not None:
            raise self.error
        return Result(requeue_after=5)


async def test_conflict_is_a_short_temporary_error() -> None:
    wrapped = RetryOnConflict(Failing(ConflictError(409, "Conflict", "modified")))
    with pytest.raises(TemporaryError) as caught:
        await wrapped.reconcile("c1")
    assert caught.value.delay == CONFLICT_RETRY_SECONDS


async def test_results_and_other_errors_pass_through() -> None:
    assert await RetryOnConflict(Failing(None)).reconcile("c1") == Result(requeue_after=5)
    with pytest.raises(NotFoundError):
        await RetryOnConflict(Failing(NotFoundError(404, "NotFound", "x"))).reconcile("c1")
