"""Namespace lifecycle: every namespace gets a ``default`` ServiceAccount (kube's serviceaccounts
controller); a Terminating namespace is emptied, then its ``kubernetes`` finalizer released."""

from __future__ import annotations

import contextlib
import logging
from typing import Final

from ocm_core.apiserver import errors, semantics
from ocm_core.apiserver.controllers.events import batches
from ocm_core.apiserver.operations import DeleteOptions, Operations
from ocm_core.apiserver.registry import FINALIZE
from ocm_core.apiserver.storage import EventType, StoredEvent
from ocm_core.apiserver.watch import WatchHub

logger = logging.getLogger(__name__)

NAMESPACES_KEY: Final = "core/namespaces"
DEFAULT_SERVICE_ACCOUNT: Final = "default"


class NamespaceController:
    def __init__(self, operations: Operations, hub: WatchHub) -> None:
        self._ops = operations
        self._hub = hub
        self._terminating: set[str] = set()

    async def run(self) -> None:
        async for batch in batches(self._hub, accept=self._concerns):
            active, terminating = await self._plan(batch)
            for namespace in active:
                await self._ensure_default_service_account(namespace)
            for namespace in terminating:
                try:
                    await self._sweep(namespace)
                except errors.ApiError as exc:
                    logger.info(
                        "namespace cleanup step failed",
                        extra={"namespace": namespace, "error": str(exc)},
                    )

    def _concerns(self, event: StoredEvent) -> bool:
        """Namespaces, and what happens in a terminating one (checked at publish time: an
        event refused before this controller saw its namespace terminate is covered by the
        sweep that follows, which reads storage afterwards)."""
        return event.resource == NAMESPACES_KEY or event.namespace in self._terminating

    async def _plan(self, batch: list[StoredEvent] | None) -> tuple[set[str], set[str]]:
        """(new namespaces, terminating namespaces to sweep) for a batch (None: everything)."""
        if batch is None:
            namespaces = (await self._ops.storage.list(NAMESPACES_KEY)).items
            names = {n["metadata"]["name"] for n in namespaces}
            self._terminating = {
                n["metadata"]["name"] for n in namespaces if semantics.is_deleting(n)
            }
            return names - self._terminating, set(self._terminating)
        active: set[str] = set()
        todo: set[str] = set()
        for event in batch:
            if event.resource != NAMESPACES_KEY:
                if event.namespace in self._terminating:
                    todo.add(event.namespace)
            elif event.type is EventType.DELETED:
                self._terminating.discard(event.name)
            elif semantics.is_deleting(event.object):
                self._terminating.add(event.name)
                todo.add(event.name)
            elif event.type is EventType.ADDED:
                active.add(event.name)
        return active, todo

    async def _ensure_default_service_account(self, namespace: str) -> None:
        info = self._ops.registry.by_storage_key("core/serviceaccounts")
        assert info is not None
        with contextlib.suppress(errors.ApiError):  # exists already, or the namespace is gone
            await self._ops.create(info, namespace, {"metadata": {"name": DEFAULT_SERVICE_ACCOUNT}})

    async def _sweep(self, namespace: str) -> None:
        """Delete everything in the namespace; finalize it once nothing is left."""
        remaining = 0
        seen: set[str] = set()
        for info in self._ops.registry.all():
            if not info.namespaced or info.storage_key in seen:
                continue
            seen.add(info.storage_key)
            stored = self._ops.registry.by_storage_key(info.storage_key) or info
            for obj in (await self._ops.storage.list(info.storage_key, namespace=namespace)).items:
                remaining += 1
                if not semantics.is_deleting(obj):
                    with contextlib.suppress(errors.ApiError):
                        await self._ops.delete(
                            stored, namespace, obj["metadata"]["name"], DeleteOptions()
                        )
        if remaining == 0:
            await self._finalize(namespace)

    async def _finalize(self, namespace: str) -> None:
        ns_info = self._ops.registry.by_storage_key(NAMESPACES_KEY)
        assert ns_info is not None
        try:
            ns = await self._ops.get(ns_info, "", namespace)
        except errors.ApiError:
            return
        finalizers = [
            f
            for f in ns.get("spec", {}).get("finalizers") or []
            if f != semantics.NAMESPACE_FINALIZER
        ]
        ns.setdefault("spec", {})["finalizers"] = finalizers
        await self._ops.update(ns_info, "", namespace, ns, subresource=FINALIZE)
