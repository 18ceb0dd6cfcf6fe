"""A small Kubernetes-wire HTTP server for testing `ocm_core.kube` end to end.

It speaks just enough of the API server's REST dialect to prove request shapes: object and
collection paths (core and named groups, namespaced or not, subresources) under an optional path
prefix, JSON bodies, the four PATCH content types, metav1 Status errors, chunked JSON-lines
watches driven by its own store (with RVs) or by a scripted list of lines, bearer-token and
client-certificate authentication over TLS. Every request is recorded.

Not collected by pytest (no ``test_`` prefix); the tests import it.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import ipaddress
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class KeyPair:
    cert_pem: bytes
    key_pem: bytes


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    attributes += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    return x509.Name(attributes)


def make_ca(common_name: str = "test-ca") -> tuple[KeyPair, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return KeyPair(_pem(cert), _key_pem(key)), key


def issue(
    ca: KeyPair,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    *,
    organizations: tuple[str, ...] = (),
    server: bool = False,
) -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organizations))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return KeyPair(_pem(builder.sign(ca_key, hashes.SHA256())), _key_pem(key))


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, list[str]]
    body: Any
    client_cn: str | None


@dataclass
class _Address:
    prefix: str  # "/api/v1" or "/apis/<g>/<v>"
    namespace: str | None
    plural: str
    name: str | None
    subresource: str | None


def _parse(path: str) -> _Address | None:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        prefix, rest = "/".join(parts[:2]), parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        prefix, rest = "/".join(parts[:3]), parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    return _Address(
        "/" + prefix,
        namespace,
        rest[0],
        rest[1] if len(rest) > 1 else None,
        rest[2] if len(rest) > 2 else None,
    )


@dataclass
class WireServer:
    """Configure, then `start`; `config_fields` gives what a kubeconfig needs."""

    tmp: Path
    prefix: str = ""
    tls: bool = True
    token: str | None = None
    require_auth: bool = True
    requests: list[Recorded] = field(default_factory=list)
    fail_next: list[tuple[int, bytes, str]] = field(default_factory=list)
    watch_script: list[bytes] | None = None
    hang: asyncio.Event = field(default_factory=asyncio.Event)
    hang_paths: set[str] = field(default_factory=set)
    store: dict[tuple[str, str, str | None, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ca, self.ca_key = make_ca()
        self.server_pair = issue(self.ca, self.ca_key, "127.0.0.1", server=True)
        self.client_pair = issue(
            self.ca, self.ca_key, "admin", organizations=("system:masters",), server=False
        )
        self.other_ca, _ = make_ca("untrusted")
        self._rv = 0
        self._watchers: list[tuple[_Address, asyncio.Queue[bytes | None]]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{self.prefix}"

    async def start(self) -> WireServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl_context())
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for _, queue in self._watchers:
            queue.put_nowait(None)
        self.hang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def end_watches(self) -> None:
        for _, queue in self._watchers:
            queue.put_nowait(None)

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        cert, key = self.tmp / "server.crt", self.tmp / "server.key"
        cert.write_bytes(self.server_pair.cert_pem)
        key.write_bytes(self.server_pair.key_pem)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(cadata=self.ca.cert_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL  # token users bring no certificate
        return ctx

    # -- request handling ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        client_cn = self._client_cn(request)
        headers: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            headers.setdefault(key.lower(), []).append(value)
        path = request.path
        self.requests.append(
            Recorded(request.method, path, dict(request.query), headers, body, client_cn)
        )
        if not path.startswith(self.prefix + "/"):
            return self._error(
                status(404, "NotFound", "the server could not find the requested resource")
            )
        path = path[len(self.prefix) :]
        if self.require_auth and not self._authenticated(request, client_cn):
            return self._error(status(401, "Unauthorized", "Unauthorized"))
        if path in self.hang_paths:
            await self.hang.wait()
        if self.fail_next:
            code, payload, content_type = self.fail_next.pop(0)
            return web.Response(status=code, body=payload, content_type=content_type)
        address = _parse(path)
        if address is None:
            return self._error(
                status(404, "NotFound", "the server could not find the requested resource")
            )
        if request.method == "GET" and address.name is None:
            if request.query.get("watch") == "true":
                return await self._watch(request, address)
            return self._json(self._list(address))
        return self._json(*self._write(request, address, body))

    def _authenticated(self, request: web.Request, client_cn: str | None) -> bool:
        if client_cn is not None:
            return True
        return self.token is not None and request.headers.get("Authorization") == (
            f"Bearer {self.token}"
        )

    @staticmethod
    def _client_cn(request: web.Request) -> str | None:
        transport = request.transport
        peer = transport.get_extra_info("peercert") if transport is not None else None
        if not peer:
            return None
        for rdn in peer.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return str(value)
        return None

    @staticmethod
    def _json(payload: dict[str, Any], code: int = 200) -> web.Response:
        return web.json_response(payload, status=code)

    def _error(self, payload: dict[str, Any]) -> web.Response:
        return self._json(payload, payload["code"])

    def _key(self, address: _Address, name: str) -> tuple[str, str, str | None, str]:
        return (address.prefix, address.plural, address.namespace, name)

    def _list(self, address: _Address) -> dict[str, Any]:
        items = [
            copy.deepcopy(obj)
            for (prefix, plural, namespace, _), obj in sorted(
                self.store.items(), key=lambda kv: (kv[0][2] or "", kv[0][3])
            )
            if prefix == address.prefix
            and plural == address.plural
            and (address.namespace is None or namespace == address.namespace)
        ]
        return {
            "kind": "List",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(self._rv)},
            "items": items,
        }

    def _write(
        self, request: web.Request, address: _Address, body: Any
    ) -> tuple[dict[str, Any], int]:
        method = request.method
        if method == "POST":
            name = body["metadata"]["name"]
            key = self._key(address, name)
            if key in self.store:
                return status(
                    409, "AlreadyExists", f'{address.plural} "{name}" already exists'
                ), 409
            body["metadata"]["namespace"] = address.namespace
            return self._commit(address, key, body, "ADDED"), 201
        assert address.name is not None
        key = self._key(address, address.name)
        current = self.store.get(key)
        if current is None:
            return status(404, "NotFound", f'{address.plural} "{address.name}" not found'), 404
        if method == "GET":
            return copy.deepcopy(current), 200
        if method == "PUT":
            expected = body["metadata"].get("resourceVersion")
            if expected is not None and expected != current["metadata"]["resourceVersion"]:
                return status(409, "Conflict", "the object has been modified"), 409
            return self._commit(address, key, body, "MODIFIED"), 200
        if method == "PATCH":
            patched = copy.deepcopy(current)
            if request.content_type == "application/merge-patch+json":
                patched = _merge(patched, body)
            return self._commit(address, key, patched, "MODIFIED"), 200
        if method == "DELETE":
            del self.store[key]
            self._broadcast(address, "DELETED", current)
            return copy.deepcopy(current), 200
        return status(405, "MethodNotAllowed", method), 405

    def _commit(
        self,
        address: _Address,
        key: tuple[str, str, str | None, str],
        obj: dict[str, Any],
        kind: str,
    ) -> dict[str, Any]:
        self._rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self.store[key] = obj
        self._broadcast(address, kind, obj)
        return copy.deepcopy(obj)

    def _broadcast(self, address: _Address, kind: str, obj: dict[str, Any]) -> None:
        line = json.dumps({"type": kind, "object": obj}).encode() + b"\n"
        for watched, queue in self._watchers:
            if (watched.prefix, watched.plural) == (address.prefix, address.plural) and (
                watched.namespace in (None, address.namespace)
            ):
                queue.put_nowait(line)

    async def _watch(self, request: web.Request, address: _Address) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        if self.watch_script is not None:
            for piece in self.watch_script:
                await response.write(piece)
            await response.write_eof()
            return response
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        entry = (address, queue)
        self._watchers.append(entry)
        try:
            while (line := await queue.get()) is not None:
                await response.write(line)
        finally:
            self._watchers.remove(entry)
        await response.write_eof()
        return response


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


async def eventually(predicate: Callable[[], bool], *, within: float = 10.0) -> None:
    """Poll ``predicate`` until it holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.005)


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on 127.0.0.1: records each CONNECT target, then pipes bytes
    both ways (what a corporate proxy between a klusterlet and its hub does)."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            writer.close()
            return
        self.targets.append(target)
        host, port = target.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sink.close()
