"""Benchmark the user-server path against a direct connection, in the same run.

Processes: a proxy-server with the in-process user-server, one agent exposing an HTTP service
(an aiohttp app in this process), and the standalone `user-server` (TunnelClient, one gRPC
stream per connection). The hub reviews come from the in-process FakeHub (cached after the
first request). Measures, per path: sequential small GETs (p50/p99 latency), concurrent small
GETs (requests/s), a large download (MB/s), and the CPU seconds the proxy processes (proxy-server,
agent, standalone user-server) spent on it all: the machine is shared, so CPU per run is the
steadier number.

    .venv/bin/python bench/userserver.py --requests 300 --concurrency 16 --size-mib 16
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

from proxy_server.identity import agent_subject
from tests.support.certs import TestCA
from tests.support.procs import Proc
from tests.support.userserver_fakes import FakeHub
from tests.support.wait import eventually

TOKEN = "bench-token"
ALLOW = "apps: '- {namespace: apps, service: web}'\n"


async def spoke(size: int) -> tuple[web.AppRunner, int]:
    big = b"x" * size

    async def small(_: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "status": "Success", "code": 200})

    async def large(_: web.Request) -> web.Response:
        return web.Response(body=big)

    app = web.Application()
    app.router.add_get("/small", small)
    app.router.add_get("/big", large)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


def cpu_seconds(procs: list[Proc]) -> float:
    """User + system CPU of the processes so far (Linux /proc), to compare work per request."""
    total = 0.0
    for proc in procs:
        assert proc.process is not None
        fields = Path(f"/proc/{proc.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def measure(
    name: str,
    base: str,
    tls: ssl.SSLContext | None,
    args: argparse.Namespace,
    procs: list[Proc],
) -> None:
    cpu_before = cpu_seconds(procs)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(ssl=tls if tls is not None else False, limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def get(path: str) -> int:
            async with session.get(base + path) as response:
                assert response.status == 200, await response.text()
                return len(await response.read())

        await get("/small")  # warm up: connections, review caches
        latencies = []
        for _ in range(args.requests):
            start = time.perf_counter()
            await get("/small")
            latencies.append(time.perf_counter() - start)
        queue = list(range(args.requests * 2))

        async def worker() -> None:
            while queue:
                queue.pop()
                await get("/small")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        rate = args.requests * 2 / (time.perf_counter() - start)
        start = time.perf_counter()
        total = sum([await get("/big") for _ in range(3)])
        mbps = total / (time.perf_counter() - start) / 1e6
    cpu = cpu_seconds(procs) - cpu_before
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{name:<24} p50 {statistics.median(latencies) * 1000:6.2f} ms   "
        f"p99 {p99 * 1000:6.2f} ms   {rate:7.0f} req/s (c={args.concurrency})   "
        f"{mbps:7.1f} MB/s   proxy CPU {cpu:5.2f} s"
    )


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-userserver-"))
    ca = TestCA(workdir)
    server = ca.issue("server", "proxy-server", server=True)
    client = ca.issue("client", "hub-app")
    (workdir / "spokes").mkdir()
    (workdir / "exposed.yaml").write_text(ALLOW)
    hub = FakeHub(tokens={TOKEN: ("bench", ())}, grants={("bench", "c1")})
    await hub.start()
    hub_kubeconfig = hub.kubeconfig(workdir / "hub.kubeconfig")
    runner, port = await spoke(args.size_mib * 1024 * 1024)
    common = [
        "--hub-kubeconfig", str(hub_kubeconfig),
        "--spoke-kubeconfig-dir", str(workdir / "spokes"),
        "--exposed-services-file", str(workdir / "exposed.yaml"),
    ]  # fmt: skip
    proxy = Proc(
        "proxy-server",
        [
            "-m", "proxy_server", "--bind-address", "127.0.0.1",
            "--server-port", "0", "--agent-port", "0", "--health-port", "0",
            "--proxy-strategies", "destHost",
            "--cluster-cert", str(server.cert), "--cluster-key", str(server.key),
            "--cluster-ca-cert", str(ca.path),
            "--server-cert", str(server.cert), "--server-key", str(server.key),
            "--server-ca-cert", str(ca.path), "--graceful-shutdown-timeout", "1",
            "--user-server-port", "0",
            "--user-server-cert", str(server.cert), "--user-server-key", str(server.key),
            *common,
        ],
        workdir,
    )  # fmt: skip
    procs = [proxy]
    try:
        ports = await proxy.start()
        cn, org = agent_subject("c1")
        pair = ca.issue("agent-c1", cn, orgs=(org,))
        agent = Proc(
            "agent",
            [
                "-m", "proxy_agent", "--proxy-server-host", "127.0.0.1",
                "--proxy-server-port", str(ports["agent"]), "--ca-cert", str(ca.path),
                "--agent-cert", str(pair.cert), "--agent-key", str(pair.key),
                "--server-name", "localhost", "--cluster-name", "c1",
                "--health-bind-address", "127.0.0.1", "--health-server-port", "0",
                "--expose", f"web.apps:{port}=127.0.0.1:{port}",
            ],
            workdir,
        )  # fmt: skip
        standalone = Proc(
            "user-server",
            [
                "-m", "proxy_server.userserver", "--host", "127.0.0.1",
                "--port", str(ports["frontend"]), "--proxy-ca-cert", str(ca.path),
                "--proxy-cert", str(client.cert), "--proxy-key", str(client.key),
                "--proxy-server-name", "localhost", "--bind-address", "127.0.0.1",
                "--server-port", "0", "--health-port", "0",
                "--server-cert", str(server.cert), "--server-key", str(server.key),
                *common,
            ],
            workdir,
        )  # fmt: skip
        procs += [agent, standalone]
        await agent.start()
        standalone_ports = await standalone.start()
        tls = ssl.create_default_context(cafile=str(ca.path))
        service = f"/c1/api/v1/namespaces/apps/services/http:web:{port}/proxy-service"
        in_process = f"https://127.0.0.1:{ports['user_server']}{service}"

        async def ready() -> bool:
            async with (
                aiohttp.ClientSession() as s,
                s.get(
                    f"{in_process}/small", headers={"Authorization": f"Bearer {TOKEN}"}, ssl=tls
                ) as r,
            ):
                return r.status == 200

        await eventually(ready, timeout=20, what="the agent")
        print(
            f"{args.requests} sequential, {args.requests * 2} concurrent, 3 x {args.size_mib} MiB"
        )
        await measure("direct (plain HTTP)", f"http://127.0.0.1:{port}", None, args, procs)
        await measure("user-server in-process", in_process, tls, args, procs)
        standalone_url = f"https://127.0.0.1:{standalone_ports['user_server']}{service}"
        await measure("user-server standalone", standalone_url, tls, args, procs)
    finally:
        for proc in reversed(procs):
            await proc.stop(timeout=5)
        await runner.cleanup()
        await hub.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size-mib", type=int, default=16)
    asyncio.run(main(parser.parse_args()))
