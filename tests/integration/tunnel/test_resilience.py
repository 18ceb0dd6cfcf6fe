"""Failures of the parties: agents dying, servers restarting, replicas, leaks over many cycles."""

from __future__ import annotations

import asyncio
import socket

import pytest

from proxy_server.client import DialError
from tests.support.echo import EchoServer
from tests.support.tunnel_procs import PKI, Running, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer

SERVER = "konnectivity_network_proxy_server"
AGENT = "konnectivity_network_proxy_agent"


def expose(echo: EchoServer) -> tuple[str, str]:
    port = echo_port(echo)
    return "--expose", f"echo.default:{port}=127.0.0.1:{port}"


async def metric(proc: Running, name: str) -> float:
    return (await proc.metrics()).get(name, 0.0)


def lane_flags(lane: bool, port: int = 0) -> tuple[str, ...]:
    return ("--agent-lane-port", str(port)) if lane else ()


LINKS = pytest.mark.parametrize("lane", [False, True], ids=["grpc", "lane"])


@LINKS
async def test_agent_holds_a_stream_to_each_of_two_replicas(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer, lane: bool
) -> None:
    # Both replicas listen on one agent port, as behind a load balancer: SO_REUSEPORT shares it
    # (and the lane port, when there is one).
    port = _free_port()
    lanes = lane_flags(lane, _free_port())
    first = await start_server(
        "--server-count", "2", "--server-id", "s1", "--reuse-port", *lanes, name="s1",
        agent_port=port,
    )  # fmt: skip
    second = await start_server(
        "--server-count", "2", "--server-id", "s2", "--reuse-port", *lanes, name="s2",
        agent_port=port,
    )  # fmt: skip
    agent = await start_agent(first, "c1", *expose(echo))

    async def both() -> bool:
        return await metric(agent, f"{AGENT}_open_server_connections") == 2

    if lane:  # each replica's gRPC stream is replaced by a lane, then closes
        await eventually(first.on_lane, timeout=20, what="a lane to the first replica")
        await eventually(second.on_lane, timeout=20, what="a lane to the second")
    await eventually(both, timeout=20, what="a stream to each replica")
    for server in (first, second):
        assert await metric(server, f"{SERVER}_ready_backends") == 1


@LINKS
async def test_killed_agent_closes_its_connections_on_the_hub_promptly(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer, lane: bool
) -> None:
    server = await start_server(*lane_flags(lane))
    agent = await start_agent(server, "c1", *expose(echo))
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        if lane:
            await eventually(server.on_lane, what="the agent on its lane")
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        await stream.write(b"x" * 1024)
        assert await stream.read()
        agent.proc.kill()
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(5):
            while await stream.read():
                pass
        assert loop.time() - started < 1.5
        assert stream.closed
        assert await metric(server, f"{SERVER}_established_connections") == 0


@LINKS
async def test_agent_comes_back_by_itself_after_a_server_restart(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer, lane: bool
) -> None:
    port = _free_port()
    server = await start_server(*lane_flags(lane), agent_port=port)
    agent = await start_agent(server, "c1", *expose(echo))
    await eventually(server.ready, what="agent registered")
    if lane:
        await eventually(server.on_lane, what="the agent on its lane")
    server.proc.kill()
    await server.proc.stop()

    async def agent_not_ready() -> bool:
        return not await agent.ready()

    await eventually(agent_not_ready, what="agent noticed the server is gone")
    # A new lane port, as a restarted server may bind: the agent learns it again.
    restarted = await start_server(*lane_flags(lane), agent_port=port, name="server-again")
    await eventually(restarted.ready, timeout=15, what="agent reconnected")
    if lane:
        await eventually(restarted.on_lane, timeout=15, what="the agent on a lane again")
    async with client_for(restarted, pki) as client:
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        await stream.write(b"again")
        assert await stream.read() == b"again"
        await stream.close()


async def test_thousand_open_close_cycles_leave_no_connections_behind(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    agent = await start_agent(server, "c1", *expose(echo))
    address = f"echo.default.c1:{echo_port(echo)}"
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        for i in range(1000):
            stream = await client.dial(address)
            if i % 3 == 0:
                await stream.write(b"ping")
                assert await stream.read() == b"ping"
            if i % 5 == 0:
                stream._call.cancel()  # the client vanishes instead of closing politely
            else:
                await stream.close()
        # A dial the client abandons while the agent is still dialling.
        for _ in range(20):
            attempt = asyncio.ensure_future(client.dial(address))
            await asyncio.sleep(0)
            attempt.cancel()

    async def drained() -> bool:
        s = await server.metrics()
        a = await agent.metrics()
        return (
            s.get(f"{SERVER}_established_connections") == 0
            and s.get(f"{SERVER}_pending_backend_dials") == 0
            and s.get(f'{SERVER}_grpc_connections{{service_method="Proxy"}}') == 0
            and a.get(f"{AGENT}_open_endpoint_connections") == 0
        )

    await eventually(drained, timeout=15, what="server and agent counters back to zero")
    await eventually(lambda: echo.open_connections == 0, what="target sockets closed")


async def test_dial_to_a_down_target_reports_the_agent_error(
    pki: PKI, start_server: StartServer, start_agent: StartAgent
) -> None:
    port = _free_port()  # nothing listens here
    server = await start_server()
    await start_agent(server, "c1", "--expose", f"down.default:{port}=127.0.0.1:{port}")
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        with pytest.raises(DialError, match=r"(?i)refused"):
            await client.dial(f"down.default.c1:{port}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
