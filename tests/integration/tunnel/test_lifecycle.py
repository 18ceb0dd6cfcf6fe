"""Exposure reloads and graceful shutdowns keep live connections."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from proxy_server.client import DialError
from tests.support.echo import EchoServer
from tests.support.tunnel_procs import PKI, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer


def exposure_yaml(*services: tuple[str, int]) -> str:
    lines = ["cluster: c1", "services:"]
    lines += [
        f"- {{namespace: default, name: {name}, port: {port}, target: '127.0.0.1:{port}'}}"
        for name, port in services
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("lane", [False, True], ids=["grpc", "lane"])
async def test_exposure_file_reload_keeps_live_connections(
    pki: PKI,
    start_server: StartServer,
    start_agent: StartAgent,
    echo: EchoServer,
    tmp_path: Path,
    lane: bool,
) -> None:
    other = EchoServer()
    other_port = await other.start()
    port = echo_port(echo)
    exposure = tmp_path / "exposure.yaml"
    exposure.write_text(exposure_yaml(("echo", port)))
    server = await start_server(*(("--agent-lane-port", "0") if lane else ()))
    await start_agent(server, "c1", "--exposure-file", str(exposure))
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        if lane:
            await eventually(server.on_lane, what="the agent on its lane")
        live = await client.dial(f"echo.default.c1:{port}")
        with pytest.raises(DialError):
            await client.dial(f"other.default.c1:{other_port}")

        exposure.write_text(exposure_yaml(("other", other_port)))  # echo no longer exposed

        async def other_reachable() -> bool:
            try:
                stream = await client.dial(f"other.default.c1:{other_port}")
            except DialError:
                return False
            await stream.close()
            return True

        await eventually(other_reachable, timeout=15, what="the new exposure is advertised")
        with pytest.raises(DialError):
            await client.dial(f"echo.default.c1:{port}")
        await live.write(b"still connected")  # the connection made before the reload
        assert await live.read() == b"still connected"
        await live.close()
        if lane:  # the renewed link is a lane again, and the old one closes once idle
            await eventually(server.on_lane, what="one lane, no gRPC stream")
    await other.stop()


async def test_server_sigterm_stops_new_dials_and_lets_connections_finish(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server("--graceful-shutdown-timeout", "20")
    await start_agent(
        server, "c1", "--expose", f"echo.default:{echo_port(echo)}=127.0.0.1:{echo_port(echo)}"
    )
    address = f"echo.default.c1:{echo_port(echo)}"
    async with client_for(server, pki) as client:
        await eventually(server.ready, what="agent registered")
        live = await client.dial(address)
        assert server.proc.process is not None
        server.proc.process.send_signal(signal.SIGTERM)

        async def not_ready() -> bool:
            return not await server.ready()

        await eventually(not_ready, what="readiness goes false")
        with pytest.raises(DialError, match="shutting down"):
            await client.dial(address)
        await live.write(b"finishing")
        assert await live.read() == b"finishing"
        await live.close()
        async with asyncio.timeout(10):
            assert await server.proc.process.wait() == 0


async def test_agent_sigterm_drains_so_the_server_prefers_another_agent(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    flags = ("--expose", f"echo.default:{echo_port(echo)}=127.0.0.1:{echo_port(echo)}")
    leaving = await start_agent(server, "c1", *flags, "--drain-timeout", "20", name="leaving")
    await eventually(server.ready, what="first agent registered")
    await start_agent(server, "c1", *flags, name="staying")
    async with client_for(server, pki) as client:
        live = await client.dial(f"echo.default.c1:{echo_port(echo)}")  # on the oldest: leaving
        assert leaving.proc.process is not None
        leaving.proc.process.send_signal(signal.SIGTERM)

        async def leaving_not_ready() -> bool:
            return not await leaving.ready()

        await eventually(leaving_not_ready, what="the leaving agent reports draining")
        fresh = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        await fresh.write(b"new")
        assert await fresh.read() == b"new"
        await live.write(b"old")
        assert await live.read() == b"old"  # the draining agent still serves what it has
        await fresh.close()
        await live.close()
        try:
            async with asyncio.timeout(10):
                assert await leaving.proc.process.wait() == 0
        except TimeoutError:
            raise AssertionError(leaving.proc.log()) from None
