"""Prometheus metrics of one proxy-server (own registry, so tests can run several in-process).

Names follow upstream's `konnectivity_network_proxy_server_*` where the meaning is the same.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

# The *_created series double the output and nobody graphs them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus_client

PREFIX = "konnectivity_network_proxy_server"


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.grpc_connections = Gauge(
            f"{PREFIX}_grpc_connections", "Open gRPC streams", ["service_method"], registry=r
        )
        self.agent_lanes = Gauge(
            f"{PREFIX}_agent_lanes", "Open agent lanes (agent links over the lane port)", registry=r
        )
        self.http_connections = Gauge(
            f"{PREFIX}_http_connections", "Open HTTP CONNECT tunnels", registry=r
        )
        self.ready_backends = Gauge(
            f"{PREFIX}_ready_backends", "Connected agent streams", registry=r
        )
        self.pending_dials = Gauge(
            f"{PREFIX}_pending_backend_dials", "Dials awaiting an agent", registry=r
        )
        self.established = Gauge(
            f"{PREFIX}_established_connections", "Connections relayed now", registry=r
        )
        self.dial_duration = Histogram(
            f"{PREFIX}_dial_duration_seconds",
            "Time from DIAL_REQ to the agent's DIAL_RSP",
            buckets=(
                0.0005,
                0.001,
                0.0025,
                0.005,
                0.01,
                0.025,
                0.05,
                0.1,
                0.25,
                0.5,
                1,
                2.5,
                5,
                12.5,
            ),
            registry=r,
        )
        self.dial_failures = Counter(
            f"{PREFIX}_dial_failure_count", "Failed dials by reason", ["reason"], registry=r
        )
        self.bytes = Counter(
            f"{PREFIX}_bytes_total", "Payload bytes relayed", ["direction"], registry=r
        )
        self.errors = Counter(
            f"{PREFIX}_stream_errors_total",
            "Refused input and broken streams by reason",
            ["reason"],
            registry=r,
        )
        self.held_bytes = Gauge(
            f"{PREFIX}_held_bytes",
            "Payload bytes held for connections (received, not yet written onwards)",
            registry=r,
        )
        self.stalled_closed = Counter(
            f"{PREFIX}_stalled_connections_closed_total",
            "Connections closed because their reader stopped reading (plain-ANP peers)",
            registry=r,
        )
        self.to_agent_bytes = self.bytes.labels("to_agent")
        self.to_frontend_bytes = self.bytes.labels("to_frontend")
