"""Row 5: HTTP/1.1 keep-alive load over 50 connections through a path.

The asyncio generator runs on every path (it only needs a Stream, so it also drives the
gRPC frontend), which keeps the ratios between paths fair. Where wrk is installed and the
path has a plain port, wrk figures are reported beside it, since a Python client saturates
before a C one does.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from tunnelbench import wrk
from tunnelbench.paths import BenchPath
from tunnelbench.report import PathResult
from tunnelbench.rows.context import RowContext
from tunnelbench.stats import percentile
from tunnelbench.streams import Stream

REQUEST: Final = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
HEAD_END: Final = b"\r\n\r\n"
CONTENT_LENGTH: Final = b"content-length:"
READ_SIZE: Final = 65536


class ResponseReader:
    """Splits a keep-alive byte stream into responses using Content-Length."""

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self._buffer = bytearray()

    async def read_response(self) -> None:
        while (end := self._buffer.find(HEAD_END)) < 0:
            await self._fill()
        head = bytes(self._buffer[:end]).lower()
        start = head.find(CONTENT_LENGTH)
        if start < 0:
            raise RuntimeError("response without Content-Length")
        length = int(head[start + len(CONTENT_LENGTH) :].split(b"\r\n", 1)[0])
        total = end + len(HEAD_END) + length
        while len(self._buffer) < total:
            await self._fill()
        del self._buffer[:total]

    async def _fill(self) -> None:
        chunk = await self._stream.receive(READ_SIZE)
        if not chunk:
            raise EOFError("server closed a keep-alive connection")
        self._buffer += chunk


async def _worker(stream: Stream, deadline: float, latencies: list[float]) -> None:
    reader = ResponseReader(stream)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await stream.send(REQUEST)
        await reader.read_response()
        latencies.append((time.perf_counter() - started) * 1e3)


async def asyncio_load(
    path: BenchPath, *, connections: int, seconds: float
) -> tuple[int, float, float]:
    """(requests, requests per second, p99 ms) from the asyncio generator."""
    streams = await asyncio.gather(*(path.open("http") for _ in range(connections)))
    latencies: list[float] = []
    try:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_worker(s, deadline, latencies) for s in streams))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)
    return len(latencies), len(latencies) / elapsed, percentile(latencies, 0.99)


async def keep_alive_load(path: BenchPath, ctx: RowContext) -> PathResult:
    requests, rate, p99 = await asyncio_load(
        path, connections=ctx.workload.http_connections, seconds=ctx.workload.http_seconds
    )
    values: dict[str, float | None] = {"req_per_s": rate, "p99_ms": p99}
    work = float(requests)
    port = path.plain_ports.get("http")
    if ctx.wrk is not None and port is not None:
        report = await wrk.run(
            ctx.wrk,
            port=port,
            connections=ctx.workload.http_connections,
            seconds=ctx.workload.http_seconds,
        )
        values |= {"wrk_req_per_s": report.requests_per_second, "wrk_p99_ms": report.p99_ms}
        # wrk's requests cross the same processes inside the CPU window.
        work += report.requests_per_second * ctx.workload.http_seconds
    return PathResult(path.name, values, work=work)
