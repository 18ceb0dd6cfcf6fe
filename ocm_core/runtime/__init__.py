"""The one controller runtime: informers and caches, the work queue, controllers, status and
finalizer patching, Event recording, Lease-based leader election, and an injectable clock.
The only place in ``ocm_core`` with loops; controllers are ``reconcile(key)`` classes plugged
into it.

Everything here talks to the API through `ocm_core.kube.KubeApi`, so it runs unchanged on the
real client (any kube-apiserver, the embedded server) and on the in-memory fake of the tests.
Import modules and qualify names (``from ocm_core.runtime import patching``), or take the main
classes from here. A controller in full::

    class ClusterLeaseController:
        def __init__(self, api: KubeApi, clusters: Informer, clock: Clock) -> None: ...

        async def reconcile(self, key: str) -> Result | None:
            cluster = self.clusters.cache.get(key)
            if cluster is None:
                return None                        # gone: nothing to do
            ...                                    # compute the desired status
            await patching.patch_status(self.api, gvr.MANAGED_CLUSTERS, cluster, status)
            return Result(requeue_after=seconds_until_lease_expiry)

    manager = Manager(api)
    clusters = manager.informer(gvr.MANAGED_CLUSTERS)
    leases = manager.informer(gvr.LEASES)
    manager.controller(
        "cluster-lease",
        ClusterLeaseController(api, clusters, manager.clock),
        [Source(clusters), Source(leases, key_fn=keys.by_namespace)],
    )
    await manager.run()                            # until manager.stop() or cancellation
"""

from __future__ import annotations

from ocm_core.runtime import keys, patching
from ocm_core.runtime.cache import Cache
from ocm_core.runtime.clock import Clock, FakeClock, RealClock
from ocm_core.runtime.controller import Controller, Reconciler, Result, Source
from ocm_core.runtime.errors import PermanentError, TemporaryError
from ocm_core.runtime.events import EventRecorder
from ocm_core.runtime.informer import EventHandler, Informer, InformerSettings
from ocm_core.runtime.leader import LeaderElectionSettings, LeaderElector, LeadershipLostError
from ocm_core.runtime.manager import Manager
from ocm_core.runtime.queue import RateLimit, WorkQueue

__all__ = [
    "Cache",
    "Clock",
    "Controller",
    "EventHandler",
    "EventRecorder",
    "FakeClock",
    "Informer",
    "InformerSettings",
    "LeaderElectionSettings",
    "LeaderElector",
    "LeadershipLostError",
    "Manager",
    "PermanentError",
    "RateLimit",
    "RealClock",
    "Reconciler",
    "Result",
    "Source",
    "TemporaryError",
    "WorkQueue",
    "keys",
    "patching",
]
