"""What one agent-link message costs: grpc.aio against a plain asyncio TLS stream.

The tunnel's rows 3 and 5 are bounded by what a message on the agent link costs
(docs/performance.md §9). This measures that floor directly, with nothing of the tunnel in
between: an echo peer runs in a child process over each transport, both with mTLS, uvloop
and konnectivity `Packet` messages (parsed and serialised on both sides), and this process
measures

- **ping-pong**: sequential round trips of one 100-byte DATA packet: p50/p99, and the echo
  process's CPU per round trip;
- **message rate**: 100-byte packets streamed (a window in flight), echoed back: packets
  per second, and the echo process's CPU per packet;
- **bulk**: 1 MiB DATA packets streamed and echoed back: MB/s each way, CPU per MB.

The baseline is grpc.aio with the product's channel options, as the agent link uses it; the
other column frames the same packets with a 4-byte length prefix on an asyncio TLS stream.

    .venv/bin/python bench/transport_floor.py            # --quick for a smaller run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import grpc
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tunnelbench import pki
from tunnelbench.processes import cpu_seconds

from protos._gen import client_pb2, client_pb2_grpc

LOOPBACK: Final = "127.0.0.1"
PROXY_METHOD: Final = "/ProxyService/Proxy"
SMALL: Final = 100
BULK: Final = 1 << 20
WINDOW: Final = 64
"""Packets in flight in the rate and bulk runs: enough to keep both sides busy."""
MAX_MESSAGE: Final = 8 << 20
LENGTH: Final = struct.Struct(">I")
STREAM_BUFFER: Final = 4 << 20
"""StreamReader pauses reading above twice this: room for a few 1 MiB frames."""
GRPC_OPTIONS: Final = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.ssl_target_name_override", pki.SERVER_NAME),
]
TRANSPORTS: Final = ("grpc", "tls-stream")


def data_packet(size: int) -> client_pb2.Packet:
    return client_pb2.Packet(
        type=client_pb2.DATA, data=client_pb2.Data(connectID=1, data=b"x" * size)
    )


# --- the echo peer (child process) -------------------------------------------------------


class _EchoService(client_pb2_grpc.ProxyServiceServicer):
    async def Proxy(
        self, request_iterator: AsyncIterator[client_pb2.Packet], context: object
    ) -> AsyncIterator[client_pb2.Packet]:
        async for packet in request_iterator:
            yield packet


async def _serve_grpc(certs: pki.Bundle) -> tuple[int, object]:
    server = grpc.aio.server(options=GRPC_OPTIONS[:2])
    client_pb2_grpc.add_ProxyServiceServicer_to_server(_EchoService(), server)
    credentials = grpc.ssl_server_credentials(
        [(certs.server.key.read_bytes(), certs.server.cert.read_bytes())],
        root_certificates=certs.ca.read_bytes(),
        require_client_auth=True,
    )
    port = server.add_secure_port(f"{LOOPBACK}:0", credentials)
    await server.start()
    return port, server


async def _echo_frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            (length,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
            packet = client_pb2.Packet.FromString(await reader.readexactly(length))
            body = packet.SerializeToString()
            writer.write(LENGTH.pack(len(body)) + body)
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def _serve_tls_stream(certs: pki.Bundle) -> tuple[int, object]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.server.cert, certs.server.key)
    context.load_verify_locations(certs.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server = await asyncio.start_server(_echo_frames, LOOPBACK, 0, ssl=context, limit=STREAM_BUFFER)
    port: int = server.sockets[0].getsockname()[1]
    return port, server


async def serve(transport: str, certs: pki.Bundle) -> None:
    """Print the port, then echo until stdin closes (the parent ends)."""
    start = _serve_grpc if transport == "grpc" else _serve_tls_stream
    port, server = await start(certs)  # the server stops if it is not referenced
    print(port, flush=True)
    await asyncio.to_thread(sys.stdin.read)
    del server


# --- the measuring side --------------------------------------------------------------------


class Link(Protocol):
    async def send(self, packet: client_pb2.Packet) -> None: ...
    async def receive(self) -> client_pb2.Packet: ...
    async def close(self) -> None: ...


class GrpcLink:
    def __init__(self, port: int, certs: pki.Bundle) -> None:
        credentials = grpc.ssl_channel_credentials(
            certs.ca.read_bytes(), certs.client.key.read_bytes(), certs.client.cert.read_bytes()
        )
        self._channel = grpc.aio.secure_channel(f"{LOOPBACK}:{port}", credentials, GRPC_OPTIONS)
        proxy: grpc.aio.StreamStreamMultiCallable[client_pb2.Packet, client_pb2.Packet] = (
            self._channel.stream_stream(
                PROXY_METHOD,
                request_serializer=client_pb2.Packet.SerializeToString,
                response_deserializer=client_pb2.Packet.FromString,
            )
        )
        self._call = proxy(None)

    async def send(self, packet: client_pb2.Packet) -> None:
        await self._call.write(packet)

    async def receive(self) -> client_pb2.Packet:
        packet = await self._call.read()
        assert isinstance(packet, client_pb2.Packet), "the echo peer ended the stream"
        return packet

    async def close(self) -> None:
        await self._channel.close(None)


class StreamLink:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int, certs: pki.Bundle) -> StreamLink:
        context = ssl.create_default_context(cafile=certs.ca)
        context.load_cert_chain(certs.client.cert, certs.client.key)
        reader, writer = await asyncio.open_connection(
            LOOPBACK, port, ssl=context, server_hostname=pki.SERVER_NAME, limit=STREAM_BUFFER
        )
        return cls(reader, writer)

    async def send(self, packet: client_pb2.Packet) -> None:
        body = packet.SerializeToString()
        self._writer.write(LENGTH.pack(len(body)) + body)
        await self._writer.drain()

    async def receive(self) -> client_pb2.Packet:
        (length,) = LENGTH.unpack(await self._reader.readexactly(LENGTH.size))
        return client_pb2.Packet.FromString(await self._reader.readexactly(length))

    async def close(self) -> None:
        self._writer.close()


@dataclass
class Figures:
    p50_us: float
    p99_us: float
    rtt_cpu_us: float
    rate_per_s: float
    msg_cpu_us: float
    bulk_mbps: float
    bulk_cpu_us_per_mb: float


@dataclass(frozen=True)
class Sizes:
    round_trips: int
    messages: int
    bulk_messages: int


FULL: Final = Sizes(round_trips=2000, messages=20_000, bulk_messages=512)
QUICK: Final = Sizes(round_trips=300, messages=3000, bulk_messages=64)


async def _cpu_of(pid: int, work: Callable[[], Awaitable[None]]) -> float:
    before = cpu_seconds(pid)
    await work()
    return cpu_seconds(pid) - before


async def _ping_pong(link: Link, count: int) -> list[float]:
    packet = data_packet(SMALL)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await link.send(packet)
        await link.receive()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def _stream(link: Link, packet: client_pb2.Packet, count: int) -> float:
    """Send `count` packets with up to WINDOW unanswered; the seconds until all came back."""
    window = asyncio.Semaphore(WINDOW)

    async def sender() -> None:
        for _ in range(count):
            await window.acquire()
            await link.send(packet)

    started = time.perf_counter()
    sending = asyncio.create_task(sender())
    for _ in range(count):
        await link.receive()
        window.release()
    await sending
    return time.perf_counter() - started


async def measure(link: Link, pid: int, sizes: Sizes) -> Figures:
    await _ping_pong(link, 100)  # warm-up
    samples: list[float] = []

    async def ping_pong() -> None:
        samples.extend(await _ping_pong(link, sizes.round_trips))

    rtt_cpu = await _cpu_of(pid, ping_pong)
    elapsed: list[float] = []

    async def small() -> None:
        elapsed.append(await _stream(link, data_packet(SMALL), sizes.messages))

    msg_cpu = await _cpu_of(pid, small)

    async def bulk() -> None:
        elapsed.append(await _stream(link, data_packet(BULK), sizes.bulk_messages))

    bulk_cpu = await _cpu_of(pid, bulk)
    megabytes = sizes.bulk_messages * BULK / 1e6
    quantiles = statistics.quantiles(samples, n=100)
    return Figures(
        p50_us=statistics.median(samples),
        p99_us=quantiles[98],
        rtt_cpu_us=rtt_cpu * 1e6 / sizes.round_trips,
        rate_per_s=sizes.messages / elapsed[0],
        msg_cpu_us=msg_cpu * 1e6 / sizes.messages,
        bulk_mbps=megabytes / elapsed[1],
        bulk_cpu_us_per_mb=bulk_cpu * 1e6 / megabytes,
    )


async def run_transport(
    transport: str, certs_dir: Path, certs: pki.Bundle, sizes: Sizes
) -> Figures:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", transport, "--certs", str(certs_dir),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        port = int(await asyncio.wait_for(child.stdout.readline(), timeout=30))
        link: Link = (
            GrpcLink(port, certs) if transport == "grpc" else await StreamLink.open(port, certs)
        )
        try:
            return await measure(link, child.pid, sizes)
        finally:
            await link.close()
    finally:
        child.stdin.close()
        await asyncio.wait_for(child.wait(), timeout=10)


ROWS: Final = (
    ("ping-pong p50", "us", "p50_us"),
    ("ping-pong p99", "us", "p99_us"),
    ("echo CPU per round trip", "us", "rtt_cpu_us"),
    ("100 B packets echoed", "pkt/s", "rate_per_s"),
    ("echo CPU per packet", "us", "msg_cpu_us"),
    ("1 MiB packets echoed", "MB/s", "bulk_mbps"),
    ("echo CPU per MB", "us", "bulk_cpu_us_per_mb"),
)


def render(results: dict[str, Figures]) -> str:
    base, other = (results[name] for name in TRANSPORTS)
    lines = [f"{'metric':<26}{'unit':<7}{'grpc':>12}{'tls-stream':>12}{'ratio':>8}"]
    for label, unit, key in ROWS:
        first, second = getattr(base, key), getattr(other, key)
        ratio = f"{second / first:.2f}x" if first else "n/a"
        lines.append(f"{label:<26}{unit:<7}{first:>12,.1f}{second:>12,.1f}{ratio:>8}")
    return "\n".join(lines)


async def main(sizes: Sizes) -> None:
    with tempfile.TemporaryDirectory(prefix="transport-floor-") as tmp:
        certs_dir = Path(tmp)
        certs = await asyncio.to_thread(pki.write_bundle, certs_dir)
        print(f"load average {os.getloadavg()[0]:.2f}; {sizes}", flush=True)
        results = {}
        for transport in TRANSPORTS:
            print(f"measuring {transport} ...", flush=True)
            results[transport] = await run_transport(transport, certs_dir, certs, sizes)
        print(render(results))


def _bundle(directory: Path) -> pki.Bundle:
    def pair(role: str) -> pki.CertPair:
        return pki.CertPair(directory / f"{role}.crt", directory / f"{role}.key")

    return pki.Bundle(
        ca=directory / "ca.crt", server=pair("server"), agent=pair("agent"),
        client=pair("client"), fleet=pair("fleet"),
    )  # fmt: skip


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (~10 s)")
    parser.add_argument("--serve", choices=TRANSPORTS, help=argparse.SUPPRESS)
    parser.add_argument("--certs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        uvloop.run(serve(args.serve, _bundle(args.certs)))
    else:
        uvloop.run(main(QUICK if args.quick else FULL))


if __name__ == "__main__":
    cli()
