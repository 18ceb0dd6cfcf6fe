"""Fixtures: real proxy-server and proxy-agent processes on 127.0.0.1, with mTLS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from tests.support.certs import Pair, TestCA
from tests.support.echo import EchoServer
from tests.support.procs import Proc
from tests.support.tunnel_procs import PKI, Running


@pytest.fixture
def pki(tmp_path: Path) -> PKI:
    ca = TestCA(tmp_path)
    return PKI(
        ca=ca,
        server=ca.issue("server", "proxy-server", server=True),
        client=ca.issue("client", "hub-client"),
    )


StartServer = Callable[..., Coroutine[Any, Any, Running]]
StartAgent = Callable[..., Coroutine[Any, Any, Running]]


@pytest.fixture
async def procs(tmp_path: Path) -> AsyncIterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        await proc.stop(timeout=5)


@pytest.fixture
def start_server(pki: PKI, tmp_path: Path, procs: list[Proc]) -> StartServer:
    async def start(
        *extra: str,
        mode: str = "grpc",
        name: str = "server",
        agent_port: int = 0,
        frontend_tls: bool = True,
    ) -> Running:
        frontend = (
            [
                "--server-cert",
                str(pki.server.cert),
                "--server-key",
                str(pki.server.key),
                "--server-ca-cert",
                str(pki.ca.path),
            ]
            if frontend_tls
            else ["--insecure-frontend-port"]
        )
        args = [
            "-m",
            "proxy_server",
            "--bind-address",
            "127.0.0.1",
            "--server-port",
            "0",
            "--agent-port",
            str(agent_port),
            "--health-port",
            "0",
            "--mode",
            mode,
            "--proxy-strategies",
            "destHost",
            "--cluster-cert",
            str(pki.server.cert),
            "--cluster-key",
            str(pki.server.key),
            "--cluster-ca-cert",
            str(pki.ca.path),
            *frontend,
            "--graceful-shutdown-timeout",
            "1",
            *extra,
        ]
        proc = Proc(name, args, tmp_path)
        procs.append(proc)
        return Running(proc, await proc.start())

    return start


@pytest.fixture
def start_agent(pki: PKI, tmp_path: Path, procs: list[Proc]) -> StartAgent:
    async def start(
        server: Running, cluster: str, *extra: str, name: str = "", cert: Pair | None = None
    ) -> Running:
        pair = cert or pki.agent(cluster)
        args = [
            "-m",
            "proxy_agent",
            "--proxy-server-host",
            "127.0.0.1",
            "--proxy-server-port",
            str(server.ports["agent"]),
            "--ca-cert",
            str(pki.ca.path),
            "--agent-cert",
            str(pair.cert),
            "--agent-key",
            str(pair.key),
            "--server-name",
            "localhost",
            "--cluster-name",
            cluster,
            "--health-bind-address",
            "127.0.0.1",
            "--health-server-port",
            "0",
            "--sync-interval",
            "0.2",
            "--sync-interval-cap",
            "1",
            "--drain-timeout",
            "1",
            *extra,
        ]
        proc = Proc(name or f"agent-{cluster}", args, tmp_path)
        procs.append(proc)
        return Running(proc, await proc.start())

    return start


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    server = EchoServer()
    await server.start()
    yield server
    await server.stop()
