"""Half-close through the real server and agent, over both frontends, and without it.

The target is `nc`-like: it reads the request to EOF and only then answers (then closes), so
the answer arrives only if the client's EOF travelled as a half-close.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from protos.tunnel.batching import FEATURE_BATCH
from protos.tunnel.flow import FEATURE_CREDIT
from proxy_server.client import TunnelClient
from tests.support.tunnel_procs import PKI, Running, client_for
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer

MiB = 1024 * 1024
WITHOUT_HALF_CLOSE = ("--tunnel-features", f"{FEATURE_CREDIT},{FEATURE_BATCH}")
ANSWER_SIZE = 3 * MiB


class ReadToEofTarget:
    """Reads to EOF, then answers with the request's sha256 and ANSWER_SIZE bytes, and closes;
    `half_close_first` instead sends a banner, shuts its write side, then reads to EOF."""

    def __init__(self, *, half_close_first: bool = False) -> None:
        self.half_close_first = half_close_first
        self.received: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.half_close_first:
                writer.write(b"banner")
                writer.write_eof()
            request = await reader.read()
            self.received.append(request)
            if not self.half_close_first:
                writer.write(answer_for(request))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()


def answer_for(request: bytes) -> bytes:
    return hashlib.sha256(request).digest() + b"a" * ANSWER_SIZE


@pytest.fixture
async def target() -> AsyncIterator[ReadToEofTarget]:
    target = ReadToEofTarget()
    yield target
    target.stop()


async def tunnel(
    start_server: StartServer,
    start_agent: StartAgent,
    port: int,
    *,
    server_args: tuple[str, ...] = (),
    agent_args: tuple[str, ...] = (),
    mode: str = "grpc",
) -> Running:
    server = await start_server(*server_args, mode=mode, frontend_tls=mode == "grpc")
    await start_agent(server, "c1", "--expose", f"t.default:{port}=127.0.0.1:{port}", *agent_args)
    await eventually(server.ready, what="agent registered")
    return server


async def grpc_exchange(client: TunnelClient, port: int, request: bytes) -> tuple[bytes, bool]:
    """Send `request`, write EOF, read to the end: (answer, whether half-close was on)."""
    stream = await client.dial(f"t.default.c1:{port}")
    await stream.write(request)
    await stream.write_eof()
    answer = bytearray()
    async with asyncio.timeout(20):
        while data := await stream.read():
            answer += data
        await stream.close()
    return bytes(answer), stream.half_close


async def connect_exchange(server: Running, port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.ports["frontend"])
    try:
        target = f"t.default.c1:{port}"
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        writer.write(request)
        writer.write_eof()
        async with asyncio.timeout(20):
            return await reader.read()
    finally:
        writer.close()


async def test_grpc_client_half_closes_and_still_gets_the_whole_answer(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, target: ReadToEofTarget
) -> None:
    port = await target.start()
    server = await tunnel(start_server, start_agent, port)
    request = os.urandom(2 * MiB)
    async with client_for(server, pki) as client:
        answer, half_close = await grpc_exchange(client, port, request)
    assert half_close
    assert answer == answer_for(request)
    assert target.received == [request]


async def test_http_connect_client_half_closes_and_still_gets_the_whole_answer(
    start_server: StartServer, start_agent: StartAgent, target: ReadToEofTarget
) -> None:
    port = await target.start()
    server = await tunnel(start_server, start_agent, port, mode="http-connect")
    request = os.urandom(2 * MiB)
    assert await connect_exchange(server, port, request) == answer_for(request)
    assert target.received == [request]


async def test_targets_half_close_reaches_the_client_which_keeps_sending(
    pki: PKI, start_server: StartServer, start_agent: StartAgent
) -> None:
    target = ReadToEofTarget(half_close_first=True)
    port = await target.start()
    server = await tunnel(start_server, start_agent, port)
    async with client_for(server, pki) as client:
        stream = await client.dial(f"t.default.c1:{port}")
        async with asyncio.timeout(10):
            assert await stream.read() == b"banner"
            assert await stream.read() == b""  # the target's EOF
            await stream.write(b"still ")
            await stream.write(b"talking")
            await stream.write_eof()
            await stream.close()
    await eventually(lambda: target.received == [b"still talking"], what="the client's bytes")
    target.stop()


@pytest.mark.parametrize("plain", ["agent", "client"])
async def test_grpc_without_negotiation_eof_closes_as_anp_does(
    pki: PKI,
    start_server: StartServer,
    start_agent: StartAgent,
    target: ReadToEofTarget,
    plain: str,
) -> None:
    port = await target.start()
    agent_args = WITHOUT_HALF_CLOSE if plain == "agent" else ()
    server = await tunnel(start_server, start_agent, port, agent_args=agent_args)
    features = frozenset({FEATURE_CREDIT}) if plain == "client" else None
    client = (
        client_for(server, pki)
        if features is None
        else TunnelClient(
            f"127.0.0.1:{server.ports['frontend']}",
            credentials=pki.client_credentials(),
            options=[("grpc.ssl_target_name_override", "localhost")],
            features=features,
        )
    )
    async with client:
        answer, _ = await grpc_exchange(client, port, b"request")
    assert answer == b""  # the EOF closed the connection: the target's answer had nowhere to go
    await eventually(lambda: target.received == [b"request"], what="the target saw the close")


async def test_http_connect_without_negotiation_eof_closes_as_anp_does(
    start_server: StartServer, start_agent: StartAgent, target: ReadToEofTarget
) -> None:
    port = await target.start()
    server = await tunnel(
        start_server, start_agent, port, mode="http-connect", server_args=WITHOUT_HALF_CLOSE
    )
    assert await connect_exchange(server, port, b"request") == b""
    await eventually(lambda: target.received == [b"request"], what="the target saw the close")
