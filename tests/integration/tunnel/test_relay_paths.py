"""Bytes through the real tunnel: gRPC and HTTP CONNECT frontends, routing, closes."""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl

import pytest

from proxy_server.client import DialError, TunnelStream
from tests.support.echo import EchoServer
from tests.support.tunnel_procs import PKI, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer

MiB = 1024 * 1024


async def pump_and_hash(stream: TunnelStream, size: int) -> tuple[str, str]:
    """Send `size` random bytes through an echo; return (sent hash, received hash)."""
    sent, received = hashlib.sha256(), hashlib.sha256()

    async def send() -> None:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, MiB))
            sent.update(chunk)
            await stream.write(chunk)
            remaining -= len(chunk)

    writer = asyncio.ensure_future(send())
    got = 0
    while got < size:
        data = await stream.read()
        assert data, "connection closed before all bytes came back"
        received.update(data)
        got += len(data)
    await writer
    return sent.hexdigest(), received.hexdigest()


async def test_grpc_frontend_carries_100_mib_intact_both_ways(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    await start_agent(
        server, "c1", "--expose", f"echo.default:{echo_port(echo)}=127.0.0.1:{echo_port(echo)}"
    )
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        sent, received = await pump_and_hash(stream, 100 * MiB)
        assert sent == received
        await stream.close()
    await eventually(lambda: echo.open_connections == 0, what="echo socket closed")


async def test_http_connect_carries_bytes_intact_and_maps_errors(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server(mode="http-connect")
    port = echo_port(echo)
    await start_agent(server, "c1", "--expose", f"echo.default:{port}=127.0.0.1:{port}")
    await eventually(server.ready, what="agent registered")
    context = ssl.create_default_context(cafile=str(pki.ca.path))
    context.load_cert_chain(pki.client.cert, pki.client.key)

    async def connect(target: str) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.ports["frontend"], ssl=context, server_hostname="localhost"
        )
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        return head, reader, writer

    head, reader, writer = await connect(f"echo.default.c1:{port}")
    assert head.startswith(b"HTTP/1.1 200")
    payload = os.urandom(100 * MiB)
    writer.write(payload)
    echoed = await reader.readexactly(len(payload))
    assert hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()
    writer.close()
    await eventually(lambda: echo.open_connections == 0, what="close reached the echo server")

    head, reader, writer = await connect("unknown.default.c1:80")
    assert head.startswith(b"HTTP/1.1 503")
    assert b"No agent available" in await reader.read()
    writer.close()


async def test_each_dial_lands_on_its_cluster_and_unknown_hosts_fail_fast(
    pki: PKI, start_server: StartServer, start_agent: StartAgent
) -> None:
    servers = [EchoServer(), EchoServer()]
    ports = [await s.start() for s in servers]
    server = await start_server()
    for cluster, port in zip(("c1", "c2"), ports, strict=True):
        await start_agent(server, cluster, "--expose", f"echo.default:{port}=127.0.0.1:{port}")
    async with client_for(server, pki) as client:
        await eventually(lambda: _backends(server, 2), what="two agents")
        for cluster, port, target in zip(("c1", "c2"), ports, servers, strict=True):
            stream = await client.dial(f"echo.default.{cluster}:{port}")
            await stream.write(cluster.encode())
            assert await stream.read() == cluster.encode()
            assert target.accepted == 1
            await stream.close()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(DialError, match="No agent available"):
            await client.dial("echo.default.c3:80")
        with pytest.raises(DialError, match="No agent available"):
            await client.dial(f"other.default.c1:{ports[0]}")  # refused at the hub: unadvertised
        with pytest.raises(DialError, match=f"port {ports[0] + 1} .* is not exposed"):
            await client.dial(f"echo.default.c1:{ports[0] + 1}")  # refused by c1's agent itself
        assert loop.time() - started < 5  # fails fast rather than hanging
    for s in servers:
        await s.stop()


async def _backends(server: object, count: int) -> bool:
    from tests.support.tunnel_procs import Running

    assert isinstance(server, Running)
    metrics = await server.metrics()
    return metrics.get("konnectivity_network_proxy_server_ready_backends") == count


async def test_far_side_close_reaches_the_client(
    pki: PKI, start_server: StartServer, start_agent: StartAgent
) -> None:
    async def answer_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    target = await asyncio.start_server(answer_and_close, "127.0.0.1", 0)
    port = target.sockets[0].getsockname()[1]
    server = await start_server()
    await start_agent(server, "c1", "--expose", f"bye.default:{port}=127.0.0.1:{port}")
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        stream = await client.dial(f"bye.default.c1:{port}")
        assert await stream.read() == b"bye"
        async with asyncio.timeout(2):
            assert await stream.read() == b""  # half-closed (`halfclose` is negotiated)
        async with asyncio.timeout(2):
            await stream.write_eof()  # our EOF too: the connection is over
            await stream.close()  # waits for the agent's CLOSE_RSP
        assert stream.closed
    target.close()
