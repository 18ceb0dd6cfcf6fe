"""`Controller`: one work queue, N workers, one reconciler, fed by informer `Source`s.

How a key flows (client-go + OCM's base controller, kopf's error kinds)::

    informer change ─► Source.key_fn(obj) ─► queue.add(key)   (dedup / park, see queue.py)
    worker: key = queue.get() ─► reconciler.reconcile(key)
        Result(requeue_after=s) ─► forget failures, add_after(key, s)
        None                    ─► forget failures
        TemporaryError(delay)   ─► forget failures, add_after(key, delay)          (INFO)
        PermanentError          ─► forget failures, no retry until the next change (ERROR)
        any other Exception     ─► add_rate_limited(key): per-key exponential backoff; the
                                   traceback is logged once per streak of identical failures
    queue.done(key)

Reconcilers are level-based: they get only the key, read the current state from informer caches
(or the API) and make the world match. Cancellation is never swallowed: `run` stops its workers
mid-reconcile if cancelled; `shutdown` lets in-flight reconciles finish instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ocm_core.runtime import keys
from ocm_core.runtime.cache import Object
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.errors import PermanentError, QueueShutDownError, TemporaryError
from ocm_core.runtime.informer import EventHandler, Informer
from ocm_core.runtime.queue import RateLimit, WorkQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Result:
    """What a successful reconcile asks for next."""

    requeue_after: float | None = None
    """Reconcile this key again after this many seconds (the next known deadline, e.g. a lease
    expiry), even if nothing changes."""


class Reconciler(Protocol):
    """The one method a controller implements."""

    async def reconcile(self, key: str) -> Result | None: ...


@dataclass(frozen=True, slots=True)
class Source:
    """Changes of ``informer``'s objects enqueue ``key_fn(obj)`` for this controller.

    ``predicate`` drops objects that are not interesting (an update passes if the old or the
    new object passes). ``update_filter(old, new)`` drops updates that do not matter (e.g. only
    status changed); adds and deletes always pass it.
    """

    informer: Informer
    key_fn: keys.KeyFunc = keys.by_namespace_name
    predicate: Callable[[Object], bool] | None = None
    update_filter: Callable[[Object, Object], bool] | None = None


def generation_changed(old: Object, new: Object) -> bool:
    """An `update_filter` passing only spec changes (and deletion starting)."""
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    return old_meta.get("generation") != new_meta.get("generation") or old_meta.get(
        "deletionTimestamp"
    ) != new_meta.get("deletionTimestamp")


class Controller:
    """Runs ``reconciler`` over the keys its sources produce; see the module docstring."""

    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        sources: Sequence[Source],
        *,
        workers: int = 1,
        resync: float | None = None,
        clock: Clock | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"controller {name!r} needs at least one worker, got {workers}")
        self.name = name
        self.reconciler = reconciler
        self.sources = list(sources)
        self.workers = workers
        self.resync = resync
        self._clock = clock or RealClock()
        self.queue = WorkQueue(clock=self._clock, rate_limit=rate_limit)
        self._ready = asyncio.Event()
        self._last_failure: dict[str, str] = {}
        self._log_extra = {"controller": name}

    @property
    def ready(self) -> bool:
        """True once every source has synced and the workers are running."""
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    def enqueue(self, key: str, *, after: float | None = None) -> None:
        """Ask for ``key`` to be reconciled (now, or after ``after`` seconds)."""
        if after:
            self.queue.add_after(key, after)
        else:
            self.queue.add(key)

    def shutdown(self) -> None:
        """Stop taking keys; `run` returns once in-flight reconciles have finished."""
        self.queue.shut_down()

    async def run(self) -> None:
        """Wait for the sources to sync, then reconcile until `shutdown` or cancellation.
        The informers themselves are run by their owner (normally the `Manager`)."""
        removers = [self._watch(source) for source in self.sources]
        try:
            for source in self.sources:
                await source.informer.wait_synced()
            async with asyncio.TaskGroup() as group:
                workers = [
                    group.create_task(self._work(), name=f"{self.name}-worker-{i}")
                    for i in range(self.workers)
                ]
                resync = group.create_task(self._resync()) if self.resync else None
                self._ready.set()
                logger.debug("controller started", extra=self._log_extra)
                await asyncio.wait(workers)
                if resync is not None:
                    resync.cancel()
        finally:
            self._ready.clear()
            self.queue.shut_down()
            for remove in removers:
                remove()

    def _watch(self, source: Source) -> Callable[[], None]:
        def enqueue(obj: Object) -> None:
            if source.predicate is None or source.predicate(obj):
                for key in source.key_fn(obj):
                    self.queue.add(key)

        def on_update(old: Object, new: Object) -> None:
            if source.update_filter is not None and not source.update_filter(old, new):
                return
            if source.predicate is None or source.predicate(new) or source.predicate(old):
                for key in {*source.key_fn(old), *source.key_fn(new)}:
                    self.queue.add(key)

        return source.informer.add_handler(
            EventHandler(on_add=enqueue, on_update=on_update, on_delete=enqueue)
        )

    async def _resync(self) -> None:
        assert self.resync is not None
        while True:
            await self._clock.sleep(self.resync)
            for source in self.sources[:1]:  # the primary resource only
                for obj in source.informer.cache:
                    for key in source.key_fn(obj):
                        self.queue.add(key)

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDownError:
                return
            try:
                await self._reconcile(key)
            finally:
                self.queue.done(key)

    async def _reconcile(self, key: str) -> None:
        extra: dict[str, Any] = {**self._log_extra, "key": key}
        try:
            result = await self.reconciler.reconcile(key)
        except TemporaryError as exc:
            self._succeeded(key)
            self.queue.add_after(key, exc.delay)
            logger.info("retrying in %.1fs: %s", exc.delay, exc, extra=extra)
        except PermanentError as exc:
            self._succeeded(key)
            logger.error("giving up until the object changes: %s", exc, extra=extra)
        except Exception as exc:
            delay = self.queue.add_rate_limited(key)
            signature = f"{type(exc).__name__}: {exc}"
            if self._last_failure.get(key) != signature:
                self._last_failure[key] = signature
                logger.exception("reconcile failed; retrying in %.3fs", delay, extra=extra)
            else:
                logger.debug("reconcile failed again (%s)", signature, extra=extra)
        else:
            self._succeeded(key)
            if result is not None and result.requeue_after is not None:
                self.queue.add_after(key, result.requeue_after)

    def _succeeded(self, key: str) -> None:
        self.queue.forget(key)
        self._last_failure.pop(key, None)
