"""Status of every ManagedProxyServiceResolver: is it usable, and if not, why (upstream's rules).

One condition, `ServiceResolverAvaliable` (upstream's spelling):
- False, `ManagedProxyServiceResolverNotLegal`: a selector type other than
  `ManagedClusterSet` / `ServiceRef`, or a missing set name, namespace or service name;
- False, `ManagedClusterSetNotExisted`: the ManagedClusterSet it names does not exist;
- False, `ManagedClusterSetDeleting`: that set is being deleted;
- True, `ManagedProxyServiceResolverAvaliable` otherwise.
The decision (`evaluate`) is pure; the controller re-evaluates a resolver when it or a set
changes. What a resolver exposes is computed apart (`exposure.resolver_services`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.api import gvr, proxy
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Manager, Result, Source, keys, patching

CLUSTER_SET_SELECTOR: Final = "ManagedClusterSet"
SERVICE_REF_SELECTOR: Final = "ServiceRef"


@dataclass(frozen=True)
class Verdict:
    available: bool
    reason: str
    message: str


def evaluate(
    resolver: Mapping[str, Any], cluster_set: Callable[[str], Mapping[str, Any] | None]
) -> Verdict:
    """Whether `resolver` is usable; `cluster_set(name)` looks a ManagedClusterSet up."""
    spec = resolver.get("spec") or {}
    selector = spec.get("managedClusterSelector") or {}
    service = spec.get("serviceSelector") or {}
    set_name = (selector.get("managedClusterSet") or {}).get("name")
    ref = service.get("serviceRef") or {}
    problems = []
    if selector.get("type") != CLUSTER_SET_SELECTOR or not set_name:
        problems.append(
            f"managedClusterSelector must be type {CLUSTER_SET_SELECTOR} with "
            "managedClusterSet.name"
        )
    if (
        service.get("type") != SERVICE_REF_SELECTOR
        or not ref.get("namespace")
        or not ref.get("name")
    ):
        problems.append(
            f"serviceSelector must be type {SERVICE_REF_SELECTOR} with serviceRef.namespace "
            "and serviceRef.name"
        )
    if problems:
        return Verdict(False, proxy.REASON_SERVICE_RESOLVER_NOT_LEGAL, "; ".join(problems))
    found = cluster_set(str(set_name))
    if found is None:
        return Verdict(
            False,
            proxy.REASON_CLUSTER_SET_NOT_EXISTED,
            f"ManagedClusterSet {set_name!r} does not exist; create it, or name an existing set",
        )
    if (found.get("metadata") or {}).get("deletionTimestamp"):
        return Verdict(
            False, proxy.REASON_CLUSTER_SET_DELETING, f"ManagedClusterSet {set_name!r} is deleting"
        )
    return Verdict(
        True,
        proxy.REASON_SERVICE_RESOLVER_AVAILABLE,
        f"service {ref['namespace']}/{ref['name']} is exposed on the clusters of set {set_name!r}",
    )


class ResolverStatusController:
    def __init__(
        self, api: KubeApi, resolvers: Informer, cluster_sets: Informer, *, clock: Clock
    ) -> None:
        self.api = api
        self.resolvers = resolvers
        self.cluster_sets = cluster_sets
        self.clock = clock

    async def reconcile(self, key: str) -> Result | None:
        resolver = self.resolvers.cache.get(key)
        if resolver is None:
            return None
        verdict = evaluate(resolver, lambda name: self.cluster_sets.cache.get_named(name))
        status = dict(resolver.get("status") or {})
        status["conditions"] = patching.set_condition(
            status.get("conditions"),
            type=proxy.CONDITION_SERVICE_RESOLVER_AVAILABLE,
            status="True" if verdict.available else "False",
            reason=verdict.reason,
            message=verdict.message,
            observed_generation=(resolver.get("metadata") or {}).get("generation"),
            clock=self.clock,
        )
        await patching.patch_status(self.api, gvr.MANAGED_PROXY_SERVICE_RESOLVERS, resolver, status)
        return None

    def naming_set(self, cluster_set: Mapping[str, Any]) -> list[str]:
        """Resolvers that name `cluster_set`."""
        name = (cluster_set.get("metadata") or {}).get("name")
        return [
            keys.key_of(r)
            for r in self.resolvers.cache
            if (
                ((r.get("spec") or {}).get("managedClusterSelector") or {}).get("managedClusterSet")
                or {}
            ).get("name")
            == name
        ]


def build(manager: Manager, resolvers: Informer) -> ResolverStatusController:
    cluster_sets = manager.informer(gvr.MANAGED_CLUSTER_SETS)
    controller = ResolverStatusController(manager.api, resolvers, cluster_sets, clock=manager.clock)
    manager.controller(
        "managedproxyserviceresolver-status",
        controller,
        [Source(resolvers), Source(cluster_sets, key_fn=controller.naming_set)],
    )
    return controller
