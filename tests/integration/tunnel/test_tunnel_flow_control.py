"""Head-of-line blocking and feature negotiation with real processes.

A stalled reader (one connection's consumer stops reading) must cost only its own window of
memory, and its neighbours on the same agent stream must keep moving. Peers that do not
negotiate (an ANP-style raw stream, a server with features off) get plain ANP.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import grpc
import pytest

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.headers import FEATURES
from proxy_server.client import TunnelClient, TunnelStream
from tests.support.echo import BlackHoleServer, EchoServer, SinkServer, SourceServer
from tests.support.tunnel_procs import PKI, Running, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer

MiB = 1024 * 1024
WINDOW = 1 * MiB
NEIGHBOUR_BYTES = 32 * MiB
HELD = "konnectivity_network_proxy_server_held_bytes"
STALLED_CLOSED = "konnectivity_network_proxy_server_stalled_connections_closed_total"
AGENT_HELD = "konnectivity_network_proxy_agent_held_bytes"
AGENT_STALLED_CLOSED = "konnectivity_network_proxy_agent_stalled_connections_closed_total"


@pytest.fixture
async def source() -> AsyncIterator[int]:
    server = SourceServer(chunk=256 * 1024)
    port = await server.start()
    yield port
    await server.stop()


async def read_bytes(stream: TunnelStream, size: int) -> int:
    got = 0
    while got < size:
        data = await stream.read()
        if not data:
            break
        got += len(data)
    return got


async def start_pair(
    start_server: StartServer,
    start_agent: StartAgent,
    port: int,
    *,
    server_args: tuple[str, ...] = (),
    agent_args: tuple[str, ...] = (),
    mode: str = "grpc",
    lane: bool = False,
) -> Running:
    """`lane`: the agent link is a lane (the agent must list the `lane` feature)."""
    lane_args = ("--agent-lane-port", "0") if lane else ()
    server = await start_server(
        "--connection-window", str(WINDOW), *server_args, *lane_args, mode=mode
    )
    await start_agent(
        server,
        "c1",
        "--expose",
        f"src.default:{port}=127.0.0.1:{port}",
        "--connection-window",
        str(WINDOW),
        *agent_args,
    )
    await eventually(server.ready, what="agent registered")
    if lane:
        await eventually(server.on_lane, what="the agent on its lane")
    return server


LINKS = pytest.mark.parametrize("lane", [False, True], ids=["grpc", "lane"])


@LINKS
async def test_stalled_grpc_reader_holds_one_window_and_its_neighbour_completes(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, source: int, lane: bool
) -> None:
    server = await start_pair(start_server, start_agent, source, lane=lane)
    async with client_for(server, pki) as client:
        stalled = await client.dial(f"src.default.c1:{source}")
        assert stalled.credit, "our client and server negotiate credit"
        neighbour = await client.dial(f"src.default.c1:{source}")
        got = await asyncio.wait_for(read_bytes(neighbour, NEIGHBOUR_BYTES), 60)
        assert got >= NEIGHBOUR_BYTES
        await neighbour.close()
        # Only the stalled connection is left: the server holds at most its window for it.
        metrics = await server.metrics()
        assert metrics[HELD] <= WINDOW
        assert metrics.get(STALLED_CLOSED, 0) == 0, "credit peers are never cut"
        await stalled.close()


async def test_stalled_http_connect_reader_does_not_block_its_neighbour(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, source: int
) -> None:
    server = await start_pair(start_server, start_agent, source, mode="http-connect")
    context = ssl.create_default_context(cafile=str(pki.ca.path))
    context.load_cert_chain(pki.client.cert, pki.client.key)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.ports["frontend"], ssl=context, server_hostname="localhost"
        )
        target = f"src.default.c1:{source}"
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        return reader, writer

    _, stalled_writer = await connect()  # never read from
    reader, writer = await connect()
    got = 0
    async with asyncio.timeout(60):
        while got < NEIGHBOUR_BYTES:
            data = await reader.read(1 << 20)
            assert data, "the neighbour's tunnel closed"
            got += len(data)
    writer.close()
    await eventually(
        lambda: _held_at_most(server, WINDOW), what="only the stalled connection's window held"
    )
    stalled_writer.close()


async def _held_at_most(server: Running, limit: int) -> bool:
    return (await server.metrics())[HELD] <= limit


@LINKS
async def test_plain_agent_stalled_connection_is_closed_and_counted(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, source: int, lane: bool
) -> None:
    # On a lane, "plain" means no credit: the lane's reader must wait, as a gRPC stream's does.
    server = await start_pair(
        start_server,
        start_agent,
        source,
        server_args=("--stalled-connection-timeout", "0.5"),
        agent_args=("--tunnel-features", "lane" if lane else ""),
        lane=lane,
    )
    async with client_for(server, pki) as client:
        stalled = await client.dial(f"src.default.c1:{source}")
        neighbour = await client.dial(f"src.default.c1:{source}")
        got = await asyncio.wait_for(read_bytes(neighbour, NEIGHBOUR_BYTES), 60)
        assert got >= NEIGHBOUR_BYTES
        await eventually(
            lambda: _counted(server, STALLED_CLOSED), what="the stalled connection was closed"
        )
        # The server ends the stream with RESOURCE_EXHAUSTED; a client whose credit grant
        # raced that end may see its own write fail (INTERNAL) instead.
        with pytest.raises(grpc.aio.AioRpcError):
            await drain_until_closed(stalled)
        await neighbour.close()


async def drain_until_closed(stream: TunnelStream) -> None:
    while await stream.read():
        pass


async def _counted(server: Running, name: str) -> bool:
    return (await server.metrics()).get(name, 0) >= 1


async def test_our_agent_works_with_a_server_that_offers_no_features(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    port = echo_port(echo)
    server = await start_server("--tunnel-features", "")
    await start_agent(server, "c1", "--expose", f"echo.default:{port}=127.0.0.1:{port}")
    await eventually(server.ready, what="agent registered")
    async with client_for(server, pki) as client:
        stream = await client.dial(f"echo.default.c1:{port}")
        assert not stream.credit
        payload = b"p" * (3 * MiB)
        writer = asyncio.ensure_future(stream.write(payload))
        got = await asyncio.wait_for(read_bytes(stream, len(payload)), 30)
        await writer
        assert got == len(payload)
        await stream.close()


async def test_a_stream_without_the_features_header_is_plain_anp(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    """What an upstream konnectivity-client sees: no features header back, no CREDIT."""
    port = echo_port(echo)
    server = await start_server()
    await start_agent(server, "c1", "--expose", f"echo.default:{port}=127.0.0.1:{port}")
    await eventually(server.ready, what="agent registered")
    channel = grpc.aio.secure_channel(
        f"127.0.0.1:{server.ports['frontend']}",
        pki.client_credentials(),
        options=[("grpc.ssl_target_name_override", "localhost")],
    )
    async with channel:
        call = channel.stream_stream(
            "/ProxyService/Proxy",
            request_serializer=Packet.SerializeToString,
            response_deserializer=Packet.FromString,
        )(None)
        await call.write(packets.dial_request(f"echo.default.c1:{port}", 42))
        answer = await call.read()
        assert isinstance(answer, Packet)
        assert answer.type == packets.DIAL_RSP
        assert not answer.dialResponse.error
        conn = answer.dialResponse.connectID
        metadata = dict(await call.initial_metadata() or ())
        assert FEATURES not in metadata
        seen: list[int] = []
        chunk = b"e" * (1 << 20)
        for _ in range(6):  # more than the initial window both ways
            await call.write(packets.data(conn, chunk))
        got = 0
        while got < 6 * len(chunk):
            reply = await call.read()
            assert isinstance(reply, Packet)
            seen.append(reply.type)
            if reply.type == packets.DATA:
                got += len(reply.data.data)
        assert set(seen) == {packets.DATA}, "only ANP packet types"
        await call.write(packets.close_request(conn))
        reply = await call.read()
        assert isinstance(reply, Packet)
        assert reply.type == packets.CLOSE_RSP


async def test_client_without_features_against_our_server_is_plain(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    port = echo_port(echo)
    server = await start_server()
    await start_agent(server, "c1", "--expose", f"echo.default:{port}=127.0.0.1:{port}")
    await eventually(server.ready, what="agent registered")
    client = TunnelClient(
        f"127.0.0.1:{server.ports['frontend']}",
        credentials=pki.client_credentials(),
        options=[("grpc.ssl_target_name_override", "localhost")],
        features=frozenset(),
    )
    async with client:
        stream = await client.dial(f"echo.default.c1:{port}")
        assert not stream.credit
        await stream.write(b"hello")
        assert await stream.read() == b"hello"
        await stream.close()


async def flood_a_black_hole_and_feed_a_neighbour(
    client: TunnelClient, hole: int, sink: int
) -> asyncio.Task[None]:
    """Start writing endlessly to a target that reads nothing; then push NEIGHBOUR_BYTES to a
    sink beside it and check every byte arrived. Returns the stalled writer's task."""
    stalled = await client.dial(f"hole.default.c1:{hole}")

    async def flood() -> None:
        block = b"f" * MiB
        while True:
            await stalled.write(block)

    flooding = asyncio.ensure_future(flood())
    neighbour = await client.dial(f"sink.default.c1:{sink}")
    block = b"n" * MiB
    async with asyncio.timeout(60):
        for _ in range(NEIGHBOUR_BYTES // MiB):
            await neighbour.write(block)
        digest = await neighbour.read()
    assert len(digest) == 64, "the sink answers with the sha256 of all it got"
    await neighbour.close()
    return flooding


@pytest.fixture
async def hole_and_sink() -> AsyncIterator[tuple[int, int]]:
    hole, sink = BlackHoleServer(), SinkServer(NEIGHBOUR_BYTES)
    yield await hole.start(), await sink.start()
    await hole.stop()
    await sink.stop()


async def start_hole_pair(
    start_server: StartServer,
    start_agent: StartAgent,
    ports: tuple[int, int],
    server_args: tuple[str, ...] = (),
    agent_args: tuple[str, ...] = (),
) -> tuple[Running, Running]:
    hole, sink = ports
    server = await start_server("--connection-window", str(WINDOW), *server_args)
    agent = await start_agent(
        server,
        "c1",
        "--expose",
        f"hole.default:{hole}=127.0.0.1:{hole}",
        "--expose",
        f"sink.default:{sink}=127.0.0.1:{sink}",
        "--connection-window",
        str(WINDOW),
        *agent_args,
    )
    await eventually(server.ready, what="agent registered")
    return server, agent


async def test_stalled_target_holds_one_window_on_the_agent_and_its_neighbour_completes(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, hole_and_sink: tuple[int, int]
) -> None:
    server, agent = await start_hole_pair(start_server, start_agent, hole_and_sink)
    async with client_for(server, pki) as client:
        flooding = await flood_a_black_hole_and_feed_a_neighbour(client, *hole_and_sink)
        metrics = await agent.metrics()
        assert metrics[AGENT_HELD] <= WINDOW, "the agent holds one window for the stalled target"
        assert metrics.get(AGENT_STALLED_CLOSED, 0) == 0
        assert not flooding.done(), "the stalled upload is merely waiting for credit"
        flooding.cancel()


async def test_our_agent_closes_a_stalled_target_of_a_plain_server_after_the_timeout(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, hole_and_sink: tuple[int, int]
) -> None:
    server, agent = await start_hole_pair(
        start_server,
        start_agent,
        hole_and_sink,
        server_args=("--tunnel-features", ""),
        agent_args=("--stalled-connection-timeout", "0.5"),
    )
    async with client_for(server, pki) as client:
        flooding = await flood_a_black_hole_and_feed_a_neighbour(client, *hole_and_sink)
        await eventually(
            lambda: _counted(agent, AGENT_STALLED_CLOSED),
            what="the agent closed the stalled target",
        )
        with pytest.raises((ConnectionResetError, grpc.aio.AioRpcError)):
            async with asyncio.timeout(10):
                await flooding
