"""The lane: our agents move off gRPC onto the server's lane port, and fall back when they can't."""

from __future__ import annotations

import asyncio
import socket
import ssl

import pytest

from ocm_core.lanetransport import tune_link_socket
from ocm_core.tlsfiles import TLSMaterial
from protos.tunnel import headers
from protos.tunnel.lane import FEATURE_LANE
from proxy_agent.lane import LaneCall, LaneRefusedError, client_context, open_lane
from tests.support.echo import EchoServer
from tests.support.tunnel_procs import PKI, Running, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer
from .test_relay_paths import MiB, pump_and_hash

LANES = "konnectivity_network_proxy_server_agent_lanes"
CONNECT_STREAMS = 'konnectivity_network_proxy_server_grpc_connections{service_method="Connect"}'


async def lanes_and_streams(server: Running) -> tuple[float, float]:
    metrics = await server.metrics()
    return metrics.get(LANES, 0.0), metrics.get(CONNECT_STREAMS, 0.0)


def expose(echo: EchoServer) -> tuple[str, str]:
    port = echo_port(echo)
    return "--expose", f"echo.default:{port}=127.0.0.1:{port}"


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_agent_moves_to_the_lane_and_its_grpc_stream_closes(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server("--agent-lane-port", "0")
    assert server.ports["agent_lane"]
    await start_agent(server, "c1", *expose(echo))

    await eventually(server.on_lane, what="one lane and no gRPC agent stream")
    async with client_for(server, pki) as client:
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        sent, received = await pump_and_hash(stream, 8 * MiB)
        assert sent == received
        await stream.close()
    await eventually(lambda: echo.open_connections == 0, what="echo socket closed")


async def test_http_connect_round_trips_over_the_lane(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server("--agent-lane-port", "0", mode="http-connect", frontend_tls=False)
    await start_agent(server, "c1", *expose(echo))

    await eventually(server.on_lane, what="one lane and no gRPC agent stream")

    reader, writer = await asyncio.open_connection("127.0.0.1", server.ports["frontend"])
    writer.write(f"CONNECT echo.default.c1:{echo_port(echo)} HTTP/1.1\r\n\r\n".encode())
    status = await reader.readuntil(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200")
    for round_trip in range(50):
        message = f"ping {round_trip}".encode()
        writer.write(message)
        assert await reader.readexactly(len(message)) == message
    writer.close()
    await eventually(lambda: echo.open_connections == 0, what="echo socket closed")


async def test_agent_stays_on_grpc_when_the_lane_port_is_unreachable(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server(
        "--agent-lane-port", "0", "--agent-lane-advertised-port", str(closed_port())
    )
    agent = await start_agent(server, "c1", *expose(echo))
    await eventually(
        lambda: "cannot open the lane" in agent.proc.log(), what="the agent's lane failure"
    )
    assert await lanes_and_streams(server) == (0.0, 1.0)
    async with client_for(server, pki) as client:
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        sent, received = await pump_and_hash(stream, MiB)
        assert sent == received
        await stream.close()


async def test_agent_without_the_lane_feature_keeps_its_grpc_stream(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server("--agent-lane-port", "0")
    await start_agent(server, "c1", *expose(echo), "--tunnel-features", "credit,batch,halfclose")
    await eventually(server.ready, what="agent registered")
    async with client_for(server, pki) as client:
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        sent, received = await pump_and_hash(stream, MiB)
        assert sent == received
        await stream.close()
    assert await lanes_and_streams(server) == (0.0, 1.0)


def lane_context(pki: PKI, cluster: str) -> ssl.SSLContext:
    pair = pki.agent(cluster)
    material = TLSMaterial(
        cert=pair.cert.read_bytes(), key=pair.key.read_bytes(), ca=pki.ca.path.read_bytes()
    )
    return client_context(material)


async def test_lane_refuses_identifiers_the_certificate_does_not_cover(
    pki: PKI, start_server: StartServer
) -> None:
    server = await start_server("--agent-lane-port", "0")
    with pytest.raises(LaneRefusedError, match=r"PERMISSION_DENIED.*does not belong to cluster"):
        await open_lane(
            "127.0.0.1",
            server.ports["agent_lane"],
            [(headers.AGENT_ID, "a1"), (headers.AGENT_IDENTIFIERS, "host=api.other-cluster")],
            tls=lane_context(pki, "c1"),
            server_hostname="localhost",
            keepalive_time=30,
            timeout=10,
        )
    metrics = await server.metrics()
    assert metrics.get(LANES, 0.0) == 0.0
    assert metrics['konnectivity_network_proxy_server_stream_errors_total{reason="identity"}'] == 1


async def test_lane_without_a_client_certificate_fails_the_handshake(
    pki: PKI, start_server: StartServer
) -> None:
    server = await start_server("--agent-lane-port", "0")
    hello = [(headers.AGENT_ID, "a1"), (headers.FEATURES, FEATURE_LANE)]

    async def open_with(context: ssl.SSLContext) -> LaneCall:
        call, _ = await open_lane(
            "127.0.0.1",
            server.ports["agent_lane"],
            hello,
            tls=context,
            server_hostname="localhost",
            keepalive_time=30,
            timeout=10,
        )
        return call

    (await open_with(lane_context(pki, "c1"))).cancel()  # the port is open to a certificate
    with pytest.raises((ssl.SSLError, ConnectionError, LaneRefusedError)):
        await open_with(ssl.create_default_context(cafile=str(pki.ca.path)))
    assert (await server.metrics()).get(LANES, 0.0) == 0.0


async def test_lane_closes_on_a_peer_that_speaks_another_protocol(
    pki: PKI, start_server: StartServer
) -> None:
    server = await start_server("--agent-lane-port", "0")

    reader, writer = await asyncio.open_connection(
        "127.0.0.1",
        server.ports["agent_lane"],
        ssl=lane_context(pki, "c1"),
        server_hostname="localhost",
    )
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    assert await reader.read() == b""
    writer.close()
    metrics = await server.metrics()
    assert (
        metrics['konnectivity_network_proxy_server_stream_errors_total{reason="lane_protocol"}']
        == 1
    )


def test_link_sockets_get_nodelay_keepalives_and_a_user_timeout() -> None:
    with socket.socket() as sock:
        tune_link_socket(sock, 30.0)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 60_000
