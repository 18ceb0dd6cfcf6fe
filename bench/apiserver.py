"""Benchmark the embedded API server (SQLite storage) over HTTPS on 127.0.0.1.

Starts ``ocm apiserver`` as a subprocess and measures, from an aiohttp client:
creates/s and gets/s (ConfigMaps, ``--concurrency`` requests in flight) with the server's CPU
milliseconds per request (user + system, from /proc: steadier than rates on a shared machine),
the time to LIST ``--list-size`` ConfigMaps in one request, and the delay from a write's
response to its event arriving at each of ``--watchers`` concurrent watch streams (p50/p99).

    .venv/bin/python bench/apiserver.py --creates 2000 --list-size 10000 --watchers 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

NS_PATH = "/api/v1/namespaces/{ns}/configmaps"
#: Fields 14 and 15 of /proc/<pid>/stat (after the command name): utime and stime in ticks.
_UTIME_FIELD = 11
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Client:
    def __init__(self, base: str, token: str, ca: Path) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            connector=aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=str(ca)), limit=0),
        )

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, self.base + path, json=body) as response:
            payload = await response.read()
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
            return json.loads(payload)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[_UTIME_FIELD]) + int(fields[_UTIME_FIELD + 1])) / _CLOCK_TICKS


async def run_concurrently(
    count: int, concurrency: int, job: Callable[[int], Awaitable[Any]]
) -> float:
    """Seconds to run job(0..count-1) with ``concurrency`` in flight."""
    numbers = iter(range(count))

    async def worker() -> None:
        for n in numbers:
            await job(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"payload": "x" * 64, **data}}


async def bench_creates_and_gets(
    client: Client, count: int, concurrency: int, server_pid: int
) -> dict[str, float]:
    await client.request("POST", "/api/v1/namespaces", {"metadata": {"name": "crud"}})
    path = NS_PATH.format(ns="crud")
    cpu_before = cpu_seconds(server_pid)
    created = await run_concurrently(
        count, concurrency, lambda n: client.request("POST", path, configmap(f"cm-{n}"))
    )
    cpu_created = cpu_seconds(server_pid)
    fetched = await run_concurrently(
        count, concurrency, lambda n: client.request("GET", f"{path}/cm-{n}")
    )
    cpu_fetched = cpu_seconds(server_pid)
    return {
        "creates/s": count / created,
        "server CPU ms per create": (cpu_created - cpu_before) * 1000 / count,
        "gets/s": count / fetched,
        "server CPU ms per get": (cpu_fetched - cpu_created) * 1000 / count,
    }


async def bench_list(client: Client, size: int, concurrency: int) -> dict[str, float]:
    await client.request("POST", "/api/v1/namespaces", {"metadata": {"name": "big"}})
    path = NS_PATH.format(ns="big")
    await run_concurrently(
        size, concurrency, lambda n: client.request("POST", path, configmap(f"cm-{n:05d}"))
    )
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        listing = await client.request("GET", path)
        timings.append(time.perf_counter() - started)
        assert len(listing["items"]) == size
    return {f"list {size} ConfigMaps ms (best of 3)": min(timings) * 1000}


async def _watch(
    client: Client,
    path: str,
    rv: str,
    expected: int,
    delays: list[float],
    opened: asyncio.Semaphore,
) -> None:
    url = f"{client.base}{path}?watch=true&resourceVersion={rv}&timeoutSeconds=120"
    async with client.session.get(url) as response:
        opened.release()
        seen = 0
        async for line in response.content:
            event = json.loads(line)
            sent = float(event["object"]["data"]["sent"])
            delays.append(time.perf_counter() - sent)
            seen += 1
            if seen == expected:
                return


async def bench_watch(client: Client, watchers: int, events: int) -> dict[str, float]:
    await client.request("POST", "/api/v1/namespaces", {"metadata": {"name": "watched"}})
    path = NS_PATH.format(ns="watched")
    rv = (await client.request("GET", path))["metadata"]["resourceVersion"]
    delays: list[float] = []
    opened = asyncio.Semaphore(0)
    tasks = [
        asyncio.create_task(_watch(client, path, rv, events, delays, opened))
        for _ in range(watchers)
    ]
    for _ in range(watchers):
        await opened.acquire()  # every stream is open before the first write
    for n in range(events):
        # "sent" is taken just before the write; each event's delay is receive - sent.
        await client.request("POST", path, configmap(f"ev-{n}", sent=repr(time.perf_counter())))
        await asyncio.sleep(0.005)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    quantiles = statistics.quantiles(delays, n=100)
    return {
        f"watch delivery p50 ms ({watchers} watchers)": quantiles[49] * 1000,
        f"watch delivery p99 ms ({watchers} watchers)": quantiles[98] * 1000,
    }


def read_port(port_file: Path) -> str:
    return port_file.read_text() if port_file.exists() else ""


async def wait_for_port(port_file: Path) -> str:
    """Poll the port file the server writes once it listens (a file offers no event)."""
    async with asyncio.timeout(30):
        while not (port := await asyncio.to_thread(read_port, port_file)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return port


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ocm_core.cli", "apiserver", "--data-dir", str(data),
            "--port", "0", "--port-file", str(data / "port"), "--storage", args.storage,
        )  # fmt: skip
        try:
            port = await wait_for_port(data / "port")
            base = f"https://127.0.0.1:{port}"
            token = await asyncio.to_thread((data / "admin.token").read_text)
            client = Client(base, token.strip(), data / "ca.crt")
            results: dict[str, float] = {}
            try:
                results |= await bench_creates_and_gets(
                    client, args.creates, args.concurrency, server.pid
                )
                results |= await bench_list(client, args.list_size, args.concurrency)
                results |= await bench_watch(client, args.watchers, args.events)
            finally:
                await client.session.close()
        finally:
            server.terminate()
            await server.wait()
    print(f"{'metric':<45} {'value':>12}")
    print("-" * 58)
    for name, value in results.items():
        print(f"{name:<45} {value:>12.{3 if value < 1 else 1}f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--list-size", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    args = parser.parse_args()
    uvloop.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
