"""Carrying one request to the spoke and its answer back, streamed both ways.

Ordinary requests go through a per-cluster aiohttp session over `TunnelConnector`: pooled
keep-alive HTTP/1.1 connections (never HTTP/2, so upgrades keep working), bodies streamed
without buffering (watches, `logs -f`), compressed bodies passed through untouched.

Upgrade requests (SPDY/3.1 or WebSocket: exec, attach, port-forward) get a fresh tunnel
connection: we write the request head ourselves and read the answer's head. On 101 the client's
socket is taken from aiohttp (its protocol swapped for a stream protocol *before* the 101 is
written, so no early client byte reaches aiohttp's HTTP parser) and raw bytes are spliced both
ways until either side ends. Any other answer is relayed as a normal response.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from typing import Final

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from proxy_server.client import DialError
from proxy_server.connector import TunnelConnector
from proxy_server.dialing import Dialer
from proxy_server.streams import open_streams, splice
from proxy_server.userserver.impersonation import HOP_BY_HOP
from proxy_server.userserver.status import status_response

logger = logging.getLogger(__name__)

MAX_HEAD: Final = 64 * 1024
HEAD_TIMEOUT: Final = 60.0
CONNECT_TIMEOUT: Final = 30.0
NO_AGENT: Final = "No agent available"
CONNECT_ESTABLISHED: Final = b"HTTP/1.1 200 Connection Established\r\n\r\n"
#: Response headers aiohttp's server computes itself (or that describe our hop only).
RESPONSE_HOP_BY_HOP: Final = HOP_BY_HOP - {"content-length"}


@dataclass(frozen=True)
class Upstream:
    """Where one request goes and how."""

    cluster: str
    #: Tunnel address, `host:port`.
    address: str
    scheme: str
    #: Path and query, still encoded.
    path_qs: str
    headers: CIMultiDict[str]
    tls: ssl.SSLContext | None
    server_name: str | None

    @property
    def url(self) -> URL:
        return URL(f"{self.scheme}://{self.address}{self.path_qs}", encoded=True)


class Forwarder:
    def __init__(self, dialer: Dialer, *, keepalive_timeout: float = 30.0) -> None:
        self._dialer = dialer
        self._keepalive = keepalive_timeout
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._upgrades: set[asyncio.Task[None]] = set()

    def _session(self, cluster: str) -> aiohttp.ClientSession:
        session = self._sessions.get(cluster)
        if session is None:
            connector = TunnelConnector(
                self._dialer,
                lambda host, port: (cluster, f"{host}:{port}"),
                keepalive_timeout=self._keepalive,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT),
            )
            self._sessions[cluster] = session
        return session

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()
        for task in list(self._upgrades):
            task.cancel()
        await asyncio.gather(*self._upgrades, return_exceptions=True)

    # -- ordinary requests ---------------------------------------------------------------------
    async def forward(self, request: web.Request, upstream: Upstream) -> web.StreamResponse:
        body = await _request_body(request)
        try:
            async with self._session(upstream.cluster).request(
                request.method,
                upstream.url,
                headers=upstream.headers,
                data=body,
                ssl=upstream.tls if upstream.tls is not None else False,
                server_hostname=upstream.server_name,
                allow_redirects=False,
            ) as answer:
                return await _relay_answer(request, answer)
        except aiohttp.ClientConnectorError as exc:
            return _unreachable(upstream, str(exc.os_error))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return status_response(502, f"cluster {upstream.cluster!r}: upstream failed: {exc}")

    # -- upgrades ------------------------------------------------------------------------------
    async def upgrade(self, request: web.Request, upstream: Upstream) -> web.StreamResponse:
        try:
            connection = await self._dialer.dial(upstream.cluster, upstream.address)
            reader, writer = await open_streams(
                connection, tls=upstream.tls, server_hostname=upstream.server_name
            )
        except (DialError, ConnectionError) as exc:
            return _unreachable(upstream, str(exc))
        except OSError as exc:  # TLS failures
            return status_response(502, f"cluster {upstream.cluster!r}: TLS failed: {exc}")
        try:
            return await self._exchange(request, upstream, reader, writer)
        except BaseException:
            writer.close()  # cancelled (the client left) or failed before the splice
            raise

    # -- CONNECT -------------------------------------------------------------------------------
    async def tunnel(self, request: web.Request, cluster: str, address: str) -> web.StreamResponse:
        """Answer a CONNECT: dial `address`, say 200, then splice the client's raw bytes."""
        try:
            connection = await self._dialer.dial(cluster, address)
            upstream = await open_streams(connection, peer=f"{cluster}/{address}")
        except (DialError, ConnectionError) as exc:
            if NO_AGENT in str(exc):
                return status_response(
                    503,
                    f"no agent of cluster {cluster!r} serves {address}: the cluster is not "
                    f"connected, or its agent does not expose the service (yet) ({exc})",
                )
            return status_response(502, f"cluster {cluster!r}: cannot reach {address}: {exc}")
        await self._switch(request, CONNECT_ESTABLISHED, upstream)
        response = web.Response(status=200)
        response.force_close()
        return response

    async def _exchange(
        self,
        request: web.Request,
        upstream: Upstream,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> web.StreamResponse:
        where = f"cluster {upstream.cluster!r}"
        try:
            body = await _request_body(request)
            writer.write(_request_head(request.method, upstream, len(body or b"")) + (body or b""))
            async with asyncio.timeout(HEAD_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            status, headers = _parse_head(head)
            if status != 101:
                payload = await _response_body(reader, headers)
                writer.close()
                return _plain_response(status, headers, payload)
        except asyncio.LimitOverrunError:
            writer.close()
            return status_response(502, f"{where}: the upstream answer head is too large")
        except (ConnectionError, OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            writer.close()
            return status_response(502, f"{where}: no complete answer to the upgrade: {exc}")
        await self._switch(request, head, (reader, writer))
        response = web.Response(status=101)
        response.force_close()
        return response

    async def _switch(
        self,
        request: web.Request,
        head: bytes,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        transport = request.transport
        if transport is None or transport.is_closing():
            upstream[1].close()
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        transport.resume_reading()
        transport.write(head)
        client = (reader, asyncio.StreamWriter(transport, protocol, reader, loop))
        task = asyncio.current_task()
        assert task is not None
        self._upgrades.add(task)
        try:
            await splice(client, upstream)
        finally:
            self._upgrades.discard(task)


def _unreachable(upstream: Upstream, reason: str) -> web.Response:
    if NO_AGENT in reason:
        return status_response(
            503, f"cluster {upstream.cluster!r} is not connected to the proxy ({reason})"
        )
    return status_response(502, f"cluster {upstream.cluster!r}: {upstream.address}: {reason}")


async def _request_body(request: web.Request) -> bytes | None:
    if not request.body_exists:
        return None
    # Kube objects are small (the API caps bodies at 3 MiB): reading them keeps Content-Length.
    return await request.content.read()


async def _relay_answer(request: web.Request, answer: aiohttp.ClientResponse) -> web.StreamResponse:
    response = web.StreamResponse(status=answer.status, reason=answer.reason)
    for name, value in answer.headers.items():
        if name.lower() not in RESPONSE_HOP_BY_HOP:
            response.headers.add(name, value)
    if "Content-Length" not in answer.headers:
        response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        async for chunk in answer.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:
        # The client left (a watch or `logs -f` ended): leaving the `async with` releases the
        # upstream connection unfinished, which closes it (never back to the pool).
        logger.debug("client went away during the response", extra={"path": request.path})
    return response


def _request_head(method: str, upstream: Upstream, body_length: int) -> bytes:
    lines = [f"{method} {upstream.path_qs} HTTP/1.1", f"Host: {upstream.address}"]
    lines += [f"{name}: {value}" for name, value in upstream.headers.items()]
    if body_length:
        lines.append(f"Content-Length: {body_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(head: bytes) -> tuple[int, CIMultiDict[str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 502
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.add(name.strip(), value.strip())
    return status, headers


async def _response_body(reader: asyncio.StreamReader, headers: CIMultiDict[str]) -> bytes:
    """The body of a non-101 answer to an upgrade request (usually a small Status)."""
    async with asyncio.timeout(HEAD_TIMEOUT):
        length = headers.get("Content-Length")
        if length is not None and length.isdigit():
            return await reader.readexactly(int(length))
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            return await _dechunk(reader)
        return await reader.read()


async def _dechunk(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _plain_response(status: int, headers: CIMultiDict[str], payload: bytes) -> web.Response:
    response = web.Response(status=status, body=payload)
    for name, value in headers.items():
        if name.lower() not in HOP_BY_HOP:
            response.headers.add(name, value)
    return response
