"""Stand-ins for user-server tests: a hub answering TokenReview/SubjectAccessReview, and a spoke
"kube-apiserver" that records the headers it receives and echoes upgraded connections.

The embedded API server does not serve the review APIs nor honour impersonation yet, so these
fakes are what lets the tests assert the user-server's side of the contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web


@dataclass
class FakeHub:
    """tokens: token -> (user, groups); grants: (user, cluster) pairs allowed to proxy."""

    tokens: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    grants: set[tuple[str, str]] = field(default_factory=set)
    token_reviews: int = 0
    access_reviews: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> int:
        app = web.Application()
        app.router.add_post("/apis/authentication.k8s.io/v1/tokenreviews", self._token_review)
        app.router.add_post(
            "/apis/authorization.k8s.io/v1/subjectaccessreviews", self._access_review
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "hub", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}
                    ],
                    "users": [{"name": "us", "user": {"token": "user-server-hub-token"}}],
                    "contexts": [{"name": "hub", "context": {"cluster": "hub", "user": "us"}}],
                    "current-context": "hub",
                }
            )
        )
        return path

    async def _token_review(self, request: web.Request) -> web.Response:
        self.token_reviews += 1
        body = await request.json()
        found = self.tokens.get(body["spec"]["token"])
        status: dict[str, Any] = {"authenticated": False}
        if found is not None:
            name, groups = found
            status = {
                "authenticated": True,
                "user": {"username": name, "groups": [*groups, "system:authenticated"]},
            }
        return web.json_response({**body, "status": status})

    async def _access_review(self, request: web.Request) -> web.Response:
        body = await request.json()
        spec = body["spec"]
        self.access_reviews.append(spec)
        cluster = spec["resourceAttributes"]["name"]
        allowed = (spec["user"], cluster) in self.grants
        reason = "granted by the test" if allowed else ""
        return web.json_response({**body, "status": {"allowed": allowed, "reason": reason}})


class RecordingSpoke:
    """A TLS HTTP/1.1 server: answers every request with the headers it got (JSON),
    `/stream` with a chunked body released step by step, upgrades with 101 + echo (or 403
    under `/refuse`)."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        self._tls = tls
        self.seen: list[dict[str, list[str]]] = []
        self.release = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, headers = _parse(head)
                length = int(_first(headers, "content-length") or 0)
                if length:
                    await reader.readexactly(length)
                self.seen.append(headers)
                path = request_line.split(" ")[1]
                if _first(headers, "upgrade") and path.startswith("/refuse"):
                    body = b'{"kind":"Status","code":403,"message":"no exec for you"}'
                    writer.write(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    continue
                if _first(headers, "upgrade"):
                    await self._echo_upgraded(reader, writer)
                    return
                if path.startswith("/stream"):
                    await self._stream(writer)
                    continue
                body = json.dumps({"request": request_line, "headers": headers}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        writer.close()

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(_chunk(b"first\n"))
        await writer.drain()
        await self.release.wait()  # only the test, after reading "first", lets us go on
        writer.write(_chunk(b"second\n") + b"0\r\n\r\n")
        await writer.drain()

    async def _echo_upgraded(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
            b"Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"
        )
        await writer.drain()
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _parse(head: bytes) -> tuple[str, dict[str, list[str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None
