"""`LeaderElector`: run a function only while holding a coordination.k8s.io Lease (client-go's
leaderelection, in small), so several replicas of a hub process can run with one active.

Rules, as upstream:

* A Lease held by someone else counts as expired only when its record (holder, renewTime,
  transitions) has not changed for ``lease_duration`` seconds *as observed on our clock*: we
  never compare our clock with the holder's timestamps, so clock skew cannot steal a lease.
* The leader renews every ``retry_period``; if it cannot renew for ``renew_deadline`` seconds it
  stops leading (its function is cancelled) before the lease can expire for the others.
* Every write is a PUT with the read ``resourceVersion``: two candidates cannot both win.
* When ``lead`` returns, the lease is released (holder cleared) so a standby takes over at
  once. A cancelled elector does not release: the lease then expires after ``lease_duration``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocm_core.api import gvr
from ocm_core.kube.errors import ConflictError, KubeError, NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime.clock import Clock, RealClock
from ocm_core.runtime.errors import ControllerRuntimeError

logger = logging.getLogger(__name__)


class LeadershipLostError(ControllerRuntimeError):
    """The lease could not be renewed in time; the process should stop leading (or exit)."""


@dataclass(frozen=True, slots=True)
class LeaderElectionSettings:
    """client-go's defaults, which OCM uses too."""

    lease_duration: float = 137.0
    """Seconds a standby waits after the last observed change before taking over (OCM's
    default; client-go's is 15)."""
    renew_deadline: float = 107.0
    """Seconds the leader keeps trying to renew before giving up leadership."""
    retry_period: float = 26.0
    """Seconds between acquire attempts and between renewals."""


def _micro_time(clock: Clock) -> str:
    # metav1.MicroTime: RFC 3339 with microseconds.
    return clock.wall().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Contends for Lease ``namespace/name`` as ``identity``."""

    def __init__(
        self,
        api: KubeApi,
        *,
        namespace: str,
        name: str,
        identity: str,
        settings: LeaderElectionSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._api = api
        self._namespace = namespace
        self._name = name
        self.identity = identity
        self._settings = settings or LeaderElectionSettings()
        self._clock = clock or RealClock()
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._leading = False
        self._extra = {"lease": f"{namespace}/{name}", "identity": identity}

    @property
    def leading(self) -> bool:
        return self._leading

    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Wait for the lease, then run ``lead()`` while renewing it. Returns when ``lead``
        returns (the lease is released); raises `LeadershipLostError` if renewal fails."""
        while not await self._try_acquire_or_renew():
            await self._clock.sleep(self._settings.retry_period)
        self._leading = True
        logger.info("became leader", extra=self._extra)
        lost = False
        try:
            async with asyncio.TaskGroup() as group:
                renewer = group.create_task(self._keep_renewing())
                await lead()
                renewer.cancel()
        except* LeadershipLostError:
            lost = True
        finally:
            self._leading = False
        if lost:
            raise LeadershipLostError(f"lost lease {self._namespace}/{self._name}")
        await self._release()

    async def _keep_renewing(self) -> None:
        last_renewed = self._clock.now()
        while True:
            await self._clock.sleep(self._settings.retry_period)
            if await self._try_acquire_or_renew():
                last_renewed = self._clock.now()
            elif self._clock.now() - last_renewed >= self._settings.renew_deadline:
                logger.warning("could not renew the lease in time", extra=self._extra)
                raise LeadershipLostError(f"lease {self._namespace}/{self._name} not renewed")

    async def _try_acquire_or_renew(self) -> bool:
        try:
            lease = await self._api.get(gvr.LEASES, self._name, namespace=self._namespace)
        except NotFoundError:
            return await self._create()
        except KubeError as exc:
            logger.debug("reading the lease failed: %s", exc, extra=self._extra)
            return False
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseTransitions"))
        now = self._clock.now()
        if record != self._observed:
            self._observed, self._observed_at = record, now
        held_by_other = bool(holder) and holder != self.identity
        if held_by_other and now < self._observed_at + self._settings.lease_duration:
            return False
        stamp = _micro_time(self._clock)
        transitions = int(spec.get("leaseTransitions") or 0)
        new_spec = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self._settings.lease_duration),
            "renewTime": stamp,
        }
        if holder != self.identity:
            new_spec["acquireTime"] = stamp
            new_spec["leaseTransitions"] = transitions + (1 if holder else 0)
        try:
            updated = await self._api.replace(gvr.LEASES, {**lease, "spec": new_spec})
        except (ConflictError, NotFoundError):
            return False
        except KubeError as exc:
            logger.debug("renewing the lease failed: %s", exc, extra=self._extra)
            return False
        new = updated.get("spec") or new_spec
        self._observed = (
            new.get("holderIdentity"),
            new.get("renewTime"),
            new.get("leaseTransitions"),
        )
        self._observed_at = now
        return True

    async def _create(self) -> bool:
        stamp = _micro_time(self._clock)
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self._name, "namespace": self._namespace},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": int(self._settings.lease_duration),
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": 0,
            },
        }
        try:
            await self._api.create(gvr.LEASES, body, namespace=self._namespace)
        except KubeError as exc:  # AlreadyExists: another candidate created it first
            logger.debug("creating the lease failed: %s", exc, extra=self._extra)
            return False
        self._observed_at = self._clock.now()
        return True

    async def _release(self) -> None:
        """Clear the holder so a standby need not wait for expiry (best effort)."""
        try:
            lease = await self._api.get(gvr.LEASES, self._name, namespace=self._namespace)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return
            released = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1}
            await self._api.replace(gvr.LEASES, {**lease, "spec": released})
            logger.info("released the lease", extra=self._extra)
        except KubeError as exc:
            logger.debug("releasing the lease failed: %s", exc, extra=self._extra)
