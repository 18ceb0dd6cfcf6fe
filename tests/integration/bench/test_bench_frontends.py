"""The benchmark's tunnel clients (HTTP CONNECT over mTLS and the konnectivity gRPC client)
against one-hop stand-ins for the proxy server, so the plug-in is proven before the real
tunnel exists. The stand-ins dial the target themselves (no agent) and speak only as much
of each frontend as the benchmark uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from grpc import aio
from tunnelbench import ourtunnel, pki
from tunnelbench.config import QUICK, Workload
from tunnelbench.konnectivity import DialError
from tunnelbench.paths import BenchPath
from tunnelbench.rows.context import RowContext
from tunnelbench.rows.head_of_line import stalled_neighbour
from tunnelbench.rows.latency import dial_setup, echo_round_trips
from tunnelbench.rows.throughput import single_connection
from tunnelbench.services import SERVICES

from protos._gen import client_pb2_grpc
from tests.support.bench_standins import (
    OneHopProxyService,
    connect_proxy,
    grpc_server_credentials,
    server_tls_context,
)

SMALL = Workload(
    **{
        **QUICK.__dict__,
        "single_bytes": 2 << 20,
        "echo_round_trips": 50,
        "dials": 5,
        "hol_bytes": 1 << 20,
        "hol_timeout_s": 5.0,
    }
)
REFUSED_PORT_SERVICE = "refused"


@pytest.fixture
def certs(tmp_path: Path) -> pki.Bundle:
    return pki.write_bundle(tmp_path / "pki")


@pytest.fixture
async def targets() -> AsyncIterator[dict[str, int]]:
    loop = asyncio.get_running_loop()
    servers = [
        (name, await loop.create_server(factory, "127.0.0.1", 0))
        for name, factory in SERVICES.items()
    ]
    # A port with no listener, for dial failures.
    probe = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    refused = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    yield {name: s.sockets[0].getsockname()[1] for name, s in servers} | {
        REFUSED_PORT_SERVICE: refused
    }
    for _, server in servers:
        server.close()


@contextlib.asynccontextmanager
async def serve_http_connect(
    certs: pki.Bundle, targets: dict[str, int]
) -> AsyncIterator[BenchPath]:
    context = server_tls_context(cert=certs.server.cert, key=certs.server.key, ca=certs.ca)
    server = await asyncio.start_server(connect_proxy, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    dialer = ourtunnel.http_connect_dialer(
        server_port=port, tls=ourtunnel.client_tls_context(certs)
    )
    opener = ourtunnel.service_opener(dialer, targets)
    yield BenchPath("tunnel-http-connect", open=opener)
    server.close()


@contextlib.asynccontextmanager
async def serve_grpc(certs: pki.Bundle, targets: dict[str, int]) -> AsyncIterator[BenchPath]:
    server = aio.server()
    client_pb2_grpc.add_ProxyServiceServicer_to_server(OneHopProxyService(), server)
    credentials = grpc_server_credentials(cert=certs.server.cert, key=certs.server.key, ca=certs.ca)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    dialer = ourtunnel.grpc_dialer(server_port=port, certs=certs)
    opener = ourtunnel.service_opener(dialer, targets)
    yield BenchPath("tunnel-grpc", open=opener)
    await server.stop(None)


@pytest.fixture
async def http_connect_path(certs: pki.Bundle, targets: dict[str, int]) -> AsyncIterator[BenchPath]:
    async with serve_http_connect(certs, targets) as path:
        yield path


@pytest.fixture
async def grpc_path(certs: pki.Bundle, targets: dict[str, int]) -> AsyncIterator[BenchPath]:
    async with serve_grpc(certs, targets) as path:
        yield path


@pytest.fixture(params=["http-connect", "grpc"])
async def frontend_path(
    request: pytest.FixtureRequest, certs: pki.Bundle, targets: dict[str, int]
) -> AsyncIterator[BenchPath]:
    serve = serve_http_connect if request.param == "http-connect" else serve_grpc
    async with serve(certs, targets) as path:
        yield path


def _positive(values: dict[str, float | None], key: str) -> bool:
    value = values.get(key)
    return value is not None and value > 0


def _context() -> RowContext:
    return RowContext(workload=SMALL, wrk=None, started=0.0)


async def test_rows_measure_through_the_frontend(frontend_path: BenchPath) -> None:
    path = frontend_path
    throughput = await single_connection(path, _context())
    assert _positive(throughput.values, "up_mbps")
    assert _positive(throughput.values, "down_mbps")
    echo = await echo_round_trips(path, _context())
    assert _positive(echo.values, "p50_us")
    dials = await dial_setup(path, _context())
    assert _positive(dials.values, "p50_ms")


async def test_head_of_line_row_finishes_beside_a_stalled_reader(grpc_path: BenchPath) -> None:
    result = await stalled_neighbour(grpc_path, _context())
    assert _positive(result.values, "alone_mbps")
    assert result.values["kept_pct"] is not None


async def test_http_connect_refusal_is_reported_with_the_status_line(
    http_connect_path: BenchPath,
) -> None:
    with pytest.raises(ConnectionError, match="502 Bad Gateway"):
        await http_connect_path.open(REFUSED_PORT_SERVICE)


async def test_grpc_dial_failure_carries_the_servers_error(grpc_path: BenchPath) -> None:
    with pytest.raises(DialError):
        await grpc_path.open(REFUSED_PORT_SERVICE)
