"""Prometheus metrics of the API server, in a registry of its own (one per app, so tests can
start several servers in one process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def _requests(registry: CollectorRegistry) -> Counter:
    return Counter(
        "apiserver_request_total",
        "Requests by verb, resource and HTTP code.",
        ["verb", "resource", "code"],
        registry=registry,
    )


def _latency(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "apiserver_request_duration_seconds",
        "Request latency (watches excluded).",
        ["verb"],
        registry=registry,
    )


def _watchers(registry: CollectorRegistry) -> Gauge:
    return Gauge("apiserver_registered_watchers", "Open watch streams.", registry=registry)


@dataclass
class ServerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = _requests(self.registry)
        self.latency = _latency(self.registry)
        self.watchers = _watchers(self.registry)
        # ``labels()`` validates and locks on every call; each request needs two children,
        # and the label values are few (verbs x resources x codes), so keep them.
        self._request_counts: dict[tuple[str, str, str], Counter] = {}
        self._latencies: dict[str, Histogram] = {}

    def count_request(self, verb: str, resource: str, code: int) -> None:
        key = (verb, resource, str(code))
        child = self._request_counts.get(key)
        if child is None:
            child = self._request_counts[key] = self.requests.labels(*key)
        child.inc()

    def observe_latency(self, verb: str, seconds: float) -> None:
        child = self._latencies.get(verb)
        if child is None:
            child = self._latencies[verb] = self.latency.labels(verb)
        child.observe(seconds)
