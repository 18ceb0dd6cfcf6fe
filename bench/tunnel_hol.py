"""Tunnel flow-control measurements on 127.0.0.1: throughput, small-echo latency, and the
head-of-line row (a neighbour's throughput while another connection's reader is stalled).

Starts a proxy-server and a proxy-agent (mTLS on both ports) from `--tree` (default: this
checkout; point it at another worktree to measure that code with the same client), targets in
this process, and prints one table per frontend (gRPC ProxyService via TunnelClient, and
HTTP CONNECT). Run from the repository root:

    .venv/bin/python -m bench.tunnel_hol [--tree /work/main] [--mib 256] [--json out.json]

Not a test: numbers depend on the machine and on what else runs (2 shared cores here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from proxy_server.client import TunnelClient
from tests.support.certs import TestCA
from tests.support.echo import EchoServer, SinkServer, SourceServer
from tests.support.tunnel_procs import PKI

MiB = 1024 * 1024
ECHO_ROUNDS = 2000
STALL_WAIT = 15.0


class Process:
    """One program of `tree` run as `python -m module`, its ports read from a file."""

    def __init__(self, tree: Path, workdir: Path, name: str, args: list[str]) -> None:
        self.tree, self.workdir, self.name, self.args = tree, workdir, name, args
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> dict[str, int]:
        ports_file = self.workdir / f"{self.name}.ports.json"
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            "--ports-file",
            str(ports_file),
            cwd=self.tree,
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONPATH": str(self.tree)},
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ports_file.exists() and ports_file.stat().st_size:
                ports: dict[str, int] = json.loads(ports_file.read_text())
                return ports
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start; see {self.workdir / self.name}.log")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(10):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


class Frontend:
    """Dial through the server's frontend; returns (read, write, close) callables."""

    def __init__(self, mode: str, port: int, pki: PKI) -> None:
        self.mode, self.port, self.pki = mode, port, pki
        self.client: TunnelClient | None = None
        if mode == "grpc":
            self.client = TunnelClient(
                f"127.0.0.1:{port}",
                credentials=pki.client_credentials(),
                options=[("grpc.ssl_target_name_override", "localhost")],
            )

    async def dial(
        self, address: str
    ) -> tuple[
        Callable[[], Awaitable[bytes]],
        Callable[[bytes], Awaitable[None]],
        Callable[[], Awaitable[None]],
    ]:
        if self.client is not None:
            stream = await self.client.dial(address)
            return stream.read, stream.write, stream.close
        context = ssl.create_default_context(cafile=str(self.pki.ca.path))
        context.load_cert_chain(self.pki.client.cert, self.pki.client.key)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", self.port, ssl=context, server_hostname="localhost", limit=1 << 20
        )
        writer.write(f"CONNECT {address} HTTP/1.1\r\nHost: {address}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"CONNECT {address}: {head!r}")

        async def write(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        async def close() -> None:
            writer.close()

        return (lambda: reader.read(1 << 20)), write, close

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()


async def download(frontend: Frontend, address: str, size: int, limit: float = 120.0) -> float:
    """MB/s reading `size` bytes from a source; bytes/elapsed if it stops within `limit`."""
    read, _, close = await frontend.dial(address)
    got = 0
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            while got < size:
                data = await read()
                if not data:
                    break
                got += len(data)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - started
    await close()
    return got / elapsed / 1e6


async def upload(frontend: Frontend, address: str, size: int) -> float:
    read, write, close = await frontend.dial(address)
    block = b"u" * MiB
    started = time.perf_counter()
    for _ in range(size // MiB):
        await write(block)
    await read()  # the sink's digest: everything arrived
    elapsed = time.perf_counter() - started
    await close()
    return size / elapsed / 1e6


async def echo_latency(frontend: Frontend, address: str) -> dict[str, float]:
    read, write, close = await frontend.dial(address)
    message = b"e" * 100
    samples: list[float] = []
    for round_trip in range(ECHO_ROUNDS + 50):
        started = time.perf_counter()
        await write(message)
        got = 0
        while got < len(message):
            got += len(await read())
        if round_trip >= 50:  # warm-up excluded
            samples.append(time.perf_counter() - started)
    await close()
    samples.sort()
    return {
        "p50_us": samples[len(samples) // 2] * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "max_us": samples[-1] * 1e6,
    }


async def concurrent_echo(frontend: Frontend, address: str, conns: int, seconds: float) -> float:
    """Round trips/s of `conns` connections each echoing 100 B in a loop (the keep-alive
    HTTP pattern: many small messages share the agent stream)."""
    streams = [await frontend.dial(address) for _ in range(conns)]
    message = b"k" * 100
    done = 0
    stop_at = time.perf_counter() + seconds

    async def loop(
        read: Callable[[], Awaitable[bytes]], write: Callable[[bytes], Awaitable[None]]
    ) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await write(message)
            got = 0
            while got < len(message):
                got += len(await read())
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(read, write) for read, write, _ in streams))
    elapsed = time.perf_counter() - started
    for _, _, close in streams:
        await close()
    return done / elapsed


async def stalled_neighbour(frontend: Frontend, address: str, size: int) -> float:
    """The neighbour's MB/s while another connection to the same agent never reads."""
    _, _, close_stalled = await frontend.dial(address)
    try:
        return await download(frontend, address, size, limit=STALL_WAIT)
    finally:
        await close_stalled()


async def run_mode(
    mode: str, tree: Path, workdir: Path, pki: PKI, mib: int, features: str | None
) -> dict[str, Any]:
    feature_args = ["--tunnel-features", features] if features is not None else []
    echo, source = EchoServer(), SourceServer(chunk=256 * 1024)
    sink = SinkServer(mib * MiB)
    ports = {"echo": await echo.start(), "src": await source.start(), "sink": await sink.start()}
    server = Process(
        tree,
        workdir,
        f"server-{mode}",
        [
            "-m", "proxy_server", "--bind-address", "127.0.0.1", "--server-port", "0",
            "--agent-port", "0", "--health-port", "0", "--mode", mode,
            "--proxy-strategies", "destHost",
            "--cluster-cert", str(pki.server.cert), "--cluster-key", str(pki.server.key),
            "--cluster-ca-cert", str(pki.ca.path),
            "--server-cert", str(pki.server.cert), "--server-key", str(pki.server.key),
            "--server-ca-cert", str(pki.ca.path), "--graceful-shutdown-timeout", "1",
            *feature_args,
        ],
    )  # fmt: skip
    agent_pair = pki.agent("c1")
    server_ports = await server.start()
    agent = Process(
        tree,
        workdir,
        f"agent-{mode}",
        [
            "-m", "proxy_agent", "--proxy-server-host", "127.0.0.1",
            "--proxy-server-port", str(server_ports["agent"]), "--ca-cert", str(pki.ca.path),
            "--agent-cert", str(agent_pair.cert), "--agent-key", str(agent_pair.key),
            "--server-name", "localhost", "--cluster-name", "c1",
            "--health-bind-address", "127.0.0.1", "--health-server-port", "0",
            *(a for name, port in ports.items()
              for a in ("--expose", f"{name}.default:{port}=127.0.0.1:{port}")),
            *feature_args,
        ],
    )  # fmt: skip
    frontend = Frontend(mode, server_ports["frontend"], pki)
    try:
        await agent.start()
        await _wait_for_agent(frontend, f"echo.default.c1:{ports['echo']}")
        src = f"src.default.c1:{ports['src']}"
        size = mib * MiB
        await download(frontend, src, size // 4)  # warm-up
        results: dict[str, Any] = {
            "download_MBps": await download(frontend, src, size),
            "upload_MBps": await upload(frontend, f"sink.default.c1:{ports['sink']}", size),
            "echo_100B": await echo_latency(frontend, f"echo.default.c1:{ports['echo']}"),
            "echo_50_conns_per_s": await concurrent_echo(
                frontend, f"echo.default.c1:{ports['echo']}", 50, 5.0
            ),
        }
        # Alone and beside a stalled reader back to back, so the load around them matches.
        results["neighbour_alone_MBps"] = await download(frontend, src, size // 2)
        results["neighbour_with_stalled_MBps"] = await stalled_neighbour(frontend, src, size // 2)
        return results
    finally:
        await frontend.aclose()
        await agent.stop()
        await server.stop()
        for target in (echo, source, sink):
            await target.stop()


async def _wait_for_agent(frontend: Frontend, address: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            _, _, close = await frontend.dial(address)
            await close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"{'row':38} " + " ".join(f"{mode:>14}" for mode in results))
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("download, 1 connection (MB/s)", lambda r: f"{r['download_MBps']:.0f}"),
        ("upload, 1 connection (MB/s)", lambda r: f"{r['upload_MBps']:.0f}"),
        ("100 B echo p50 (us)", lambda r: f"{r['echo_100B']['p50_us']:.0f}"),
        ("100 B echo p99 (us)", lambda r: f"{r['echo_100B']['p99_us']:.0f}"),
        ("50 conns x 100 B echo (round trips/s)", lambda r: f"{r['echo_50_conns_per_s']:.0f}"),
        ("neighbour alone (MB/s)", lambda r: f"{r['neighbour_alone_MBps']:.0f}"),
        ("neighbour beside stalled (MB/s)", lambda r: f"{r['neighbour_with_stalled_MBps']:.0f}"),
        (
            "  kept",
            lambda r: f"{100 * r['neighbour_with_stalled_MBps'] / r['neighbour_alone_MBps']:.0f}%",
        ),
    ]
    for name, cell in rows:
        print(f"{name:38} " + " ".join(f"{cell(r):>14}" for r in results.values()))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=Path.cwd(), help="source tree to run")
    parser.add_argument("--mib", type=int, default=256, help="MiB per throughput transfer")
    parser.add_argument("--modes", default="grpc,http-connect")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--features", help="--tunnel-features for server and agent (trees that have the flag)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tunnel-hol-") as tmp:
        workdir = Path(tmp)
        ca = TestCA(workdir)
        pki = PKI(
            ca=ca,
            server=ca.issue("server", "proxy-server", server=True),
            client=ca.issue("client", "hub-client"),
        )
        results = {
            mode: await run_mode(mode, args.tree.resolve(), workdir, pki, args.mib, args.features)
            for mode in args.modes.split(",")
        }
    features = args.features if args.features is not None else "default"
    print(f"tree: {args.tree.resolve()}, features: {features} (127.0.0.1, mTLS)")
    print_table(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    uvloop.run(main())
