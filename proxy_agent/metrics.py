"""Prometheus metrics of one proxy-agent (upstream's `konnectivity_network_proxy_agent_*`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

# The *_created series double the output and nobody graphs them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus_client

PREFIX = "konnectivity_network_proxy_agent"


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.open_server_connections = Gauge(
            f"{PREFIX}_open_server_connections", "Streams to proxy-servers", registry=r
        )
        self.known_server_count = Gauge(
            f"{PREFIX}_known_server_count", "Server count the servers announced", registry=r
        )
        self.open_endpoint_connections = Gauge(
            f"{PREFIX}_open_endpoint_connections", "Sockets to targets", registry=r
        )
        self.dial_duration = Histogram(
            f"{PREFIX}_dial_duration_seconds",
            "Time to dial a target",
            buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.dial_failures = Counter(
            f"{PREFIX}_endpoint_dial_failure_total", "Failed target dials", ["reason"], registry=r
        )
        self.server_failures = Counter(
            f"{PREFIX}_server_connection_failure_count",
            "Failed attempts to reach a proxy-server",
            ["reason"],
            registry=r,
        )
        self.stalled_closed = Counter(
            f"{PREFIX}_stalled_connections_closed_total",
            "Connections closed because their target stopped reading (plain-ANP servers)",
            registry=r,
        )
        self.held_bytes = Gauge(
            f"{PREFIX}_held_bytes",
            "Bytes received for targets that their sockets have not taken yet",
            registry=r,
        )
        self.errors = Counter(
            f"{PREFIX}_stream_errors_total", "Refused input by reason", ["reason"], registry=r
        )
