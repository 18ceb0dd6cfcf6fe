"""Which agent stream serves an address: upstream's proxy strategies, and identity binding.

Pure: no I/O. The relay registers each agent stream with its identifiers; the switchboard asks
`choose(address, draining)` on every dial.

Strategies (tried in `--proxy-strategies` order, falling through on no match):
  default       any agent, random start, non-draining first
  destHost      the agent that advertised the address's host (port stripped) exactly
  defaultRoute  an agent that advertised default-route=true
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Hashable, Set
from dataclasses import dataclass
from typing import Final

from protos.tunnel import AgentIdentifiers, host_of

STRATEGIES: Final = ("default", "destHost", "defaultRoute")
SERVICE_PROXY_DOMAIN: Final = "open-cluster-management.proxy"


@dataclass(frozen=True)
class Backend:
    """One agent stream: several streams may share an agent id (one per reconnect)."""

    key: Hashable
    agent_id: str
    identifiers: AgentIdentifiers
    cluster: str | None


class BackendRegistry:
    def __init__(
        self,
        strategies: tuple[str, ...],
        choice: Callable[[list[Hashable]], Hashable] | None = None,
    ) -> None:
        unknown = [s for s in strategies if s not in STRATEGIES]
        if unknown or not strategies:
            raise ValueError(
                f"unknown proxy strategy {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(STRATEGIES)}"
            )
        self.strategies = strategies
        self._pick = choice or random.choice
        #: In connection order, so the oldest stream of an agent wins (ANP parity).
        self._backends: dict[Hashable, Backend] = {}
        #: Exact-match address -> the keys that advertised it, in connection order; and the
        #: default-route keys. `choose` runs on every dial, and a server may hold thousands of
        #: agent streams: looking a host up must not scan them all.
        self._by_address: dict[str, dict[Hashable, None]] = {}
        self._default_routes: dict[Hashable, None] = {}

    def __len__(self) -> int:
        return len(self._backends)

    def add(self, backend: Backend) -> None:
        replaced = backend.key in self._backends
        self._backends[backend.key] = backend
        if replaced:  # keeps its place in connection order: rebuild rather than append
            self._rebuild_index()
        else:
            self._index(backend)

    def remove(self, key: Hashable) -> None:
        backend = self._backends.pop(key, None)
        if backend is None:
            return
        for address in backend.identifiers.addresses():
            keys = self._by_address.get(address)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self._by_address[address]
        self._default_routes.pop(key, None)

    def _index(self, backend: Backend) -> None:
        for address in backend.identifiers.addresses():
            self._by_address.setdefault(address, {})[backend.key] = None
        if backend.identifiers.default_route:
            self._default_routes[backend.key] = None

    def _rebuild_index(self) -> None:
        self._by_address.clear()
        self._default_routes.clear()
        for backend in self._backends.values():
            self._index(backend)

    def get(self, key: Hashable) -> Backend | None:
        return self._backends.get(key)

    def ready_for_first_strategy(self) -> int:
        """How many backends the first strategy could use (upstream's readiness rule)."""
        return len(self._candidates(self.strategies[0], None))

    def choose(self, address: str, draining: Set[Hashable]) -> Hashable | None:
        host = host_of(address)
        for strategy in self.strategies:
            candidates = self._candidates(strategy, host)
            if candidates:
                return self._prefer_ready(strategy, candidates, draining)
        return None

    def _candidates(self, strategy: str, host: str | None) -> list[Hashable]:
        if strategy == "default":
            return list(self._backends)
        if strategy == "defaultRoute":
            return list(self._default_routes)
        if host is None:
            return [b.key for b in self._backends.values() if b.identifiers.addresses()]
        return list(self._by_address.get(host, ()))

    def _prefer_ready(
        self, strategy: str, candidates: list[Hashable], draining: Set[Hashable]
    ) -> Hashable:
        ready = [k for k in candidates if k not in draining]
        pool = ready or candidates  # ANP parity: fall back to a draining agent
        if strategy == "destHost":
            return pool[0]  # the oldest stream that advertised the host
        return self._pick(pool)


# -- identity binding ------------------------------------------------------------------------
def service_proxy_host(cluster: str) -> str:
    """Upstream's hashed service-proxy host for a cluster (cluster-proxy §3.2)."""
    digest = hashlib.sha256(cluster.encode()).hexdigest()
    return f"{('cluster-' + digest)[:56]}.{SERVICE_PROXY_DOMAIN}"


def host_belongs_to(host: str, cluster: str) -> bool:
    """Whether an agent of `cluster` may advertise `host`.

    Allowed: `<cluster>` (its kube-apiserver), `<cluster>.<namespace>` (upstream's
    `<cluster>.<addon-namespace>`), `<service>.<namespace>.<cluster>` (our readable service
    address) and upstream's hashed service-proxy host.
    """
    if host in (cluster, service_proxy_host(cluster)):
        return True
    labels, own = host.split("."), cluster.split(".")
    cluster_then_namespace = len(labels) == len(own) + 1 and labels[: len(own)] == own
    service_namespace_cluster = len(labels) == len(own) + 2 and labels[2:] == own
    return cluster_then_namespace or service_namespace_cluster


def identity_violations(cluster: str, identifiers: AgentIdentifiers) -> list[str]:
    """Why an agent whose certificate names `cluster` may not advertise these identifiers."""
    problems = [
        f"host {h!r} does not belong to cluster {cluster!r}"
        for h in identifiers.hosts
        if not host_belongs_to(h, cluster)
    ]
    if identifiers.ipv4 or identifiers.ipv6 or identifiers.cidrs:
        problems.append("IP and CIDR identifiers cannot be bound to a cluster; advertise hosts")
    if identifiers.default_route:
        problems.append("default-route would capture every cluster's traffic")
    return problems
