"""Helpers for tunnel integration tests: PKI for the parties, running processes, clients."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
import grpc

from proxy_server.client import TunnelClient
from proxy_server.identity import agent_subject
from tests.support.certs import Pair, TestCA
from tests.support.echo import EchoServer
from tests.support.procs import Proc


@dataclass
class PKI:
    ca: TestCA
    server: Pair
    client: Pair

    def agent(self, cluster: str) -> Pair:
        cn, org = agent_subject(cluster)
        return self.ca.issue(f"agent-{cluster}", cn, orgs=(org,))

    def client_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            self.ca.path.read_bytes(), self.client.key.read_bytes(), self.client.cert.read_bytes()
        )


class Running:
    """A started process with its bound ports."""

    def __init__(self, proc: Proc, ports: dict[str, int]) -> None:
        self.proc = proc
        self.ports = ports

    async def metrics(self) -> dict[str, float]:
        url = f"http://127.0.0.1:{self.ports['health']}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            text = await response.text()
        values: dict[str, float] = {}
        for line in text.splitlines():
            match = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
            if match:
                values[match.group(1)] = float(match.group(2))
        return values

    async def on_lane(self) -> bool:
        """A proxy-server whose one agent is on a lane, its gRPC stream closed."""
        metrics = await self.metrics()
        lanes = metrics.get("konnectivity_network_proxy_server_agent_lanes", 0.0)
        streams = metrics.get(
            'konnectivity_network_proxy_server_grpc_connections{service_method="Connect"}', 0.0
        )
        return (lanes, streams) == (1.0, 0.0)

    async def ready(self) -> bool:
        url = f"http://127.0.0.1:{self.ports['health']}/readyz"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status == 200


def echo_port(echo: EchoServer) -> int:
    assert echo.server is not None
    port: int = echo.server.sockets[0].getsockname()[1]
    return port


def client_for(server: Running, pki: PKI) -> TunnelClient:
    return TunnelClient(
        f"127.0.0.1:{server.ports['frontend']}",
        credentials=pki.client_credentials(),
        options=[("grpc.ssl_target_name_override", "localhost")],
    )
