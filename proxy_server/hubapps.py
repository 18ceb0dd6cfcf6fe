"""Hub programs calling spoke services through the tunnel, in three lines.

    client = TunnelClient("proxy.hub:8090", credentials=...)
    reader, writer = await hubapps.dial(client, "c2", "api.shop:8080")          # raw bytes
    async with aiohttp.ClientSession(connector=hubapps.tunnel_connector(client, "c2")) as s:
        await s.get("http://api.shop:8080/items")                                # HTTP(S)
    async with hubapps.grpc_channel(client, "c2", "greeter.shop:50051") as channel:
        ...                                                                       # gRPC

`client` is a `TunnelClient` (the proxy-server's gRPC frontend; `hub_tunnel_client` builds one
from the add-on's Secrets) or any `Dialer`, e.g. `ConnectDialer` for an HTTP CONNECT proxy: the
user-server (`ConnectDialer("user-server:9092", tls=..., token=...)`) or a proxy-server in
`--mode http-connect`.

A service is named `<service>.<namespace>` (or its `.svc[.cluster.local]` forms) with a port;
the tunnel address is our readable agent identifier `<service>.<namespace>.<cluster>:<port>`,
which the cluster's agent serves only if it exposes that service.

gRPC runs over a loopback bridge: a listener on 127.0.0.1 (random port) whose every accepted
connection is spliced to a fresh tunnel connection. grpc's C core owns its sockets and cannot be
handed a Python stream, so this is the simplest way in; the bridge lives as long as the
`grpc_channel` context.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from http import HTTPStatus
from typing import Any, Final

import grpc

from ocm_core.api import gvr, proxy
from ocm_core.kube.protocol import KubeApi
from proxy_server.client import DialError, TunnelClient
from proxy_server.connector import TunnelConnector
from proxy_server.dialing import DIAL_TIMEOUT, ClientDialer, Dialer
from proxy_server.streams import STREAM_LIMIT, TunnelConnection, open_streams, splice

logger = logging.getLogger(__name__)

IN_CLUSTER_SUFFIXES: Final = (".svc.cluster.local", ".svc")
LOOPBACK: Final = "127.0.0.1"
TLS_CERT: Final = "tls.crt"
TLS_KEY: Final = "tls.key"


def service_address(cluster: str, host: str, port: int) -> str:
    """`api.shop` (or `api.shop.svc[.cluster.local]`), 8080 in `c2` → `api.shop.c2:8080`."""
    for suffix in IN_CLUSTER_SUFFIXES:
        if host.endswith(suffix):
            host = host[: -len(suffix)]
            break
    name, dot, namespace = host.partition(".")
    if not dot or not name or not namespace or "." in namespace:
        raise ValueError(f"{host!r} is not a service name: expected <service>.<namespace>")
    return f"{name}.{namespace}.{cluster}:{port}"


class ConnectRefusedError(DialError):
    """The HTTP CONNECT proxy answered with an error status; `status` and the message say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.reason = message


class ConnectDialer:
    """Dials through an HTTP CONNECT proxy: one TCP connection per dial.

    Two proxies speak it: the proxy-server's frontend in `--mode http-connect`, and the
    user-server (HTTPS; pass `tls` and the hub `token`, sent as `Proxy-Authorization`). The
    tunnel address (`<service>.<namespace>.<cluster>:<port>`) names the cluster, so `cluster`
    itself is not sent."""

    def __init__(
        self,
        proxy: str,
        *,
        tls: ssl.SSLContext | None = None,
        token: str | None = None,
        timeout: float = DIAL_TIMEOUT,
    ) -> None:
        host, sep, port = proxy.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"proxy {proxy!r}: expected host:port")
        self._host, self._port = host.strip("[]"), int(port)
        self._tls = tls
        self._auth = f"Proxy-Authorization: Bearer {token}\r\n" if token else ""
        self._timeout = timeout

    async def dial(self, cluster: str, address: str) -> TunnelConnection:
        async with asyncio.timeout(self._timeout):
            reader, writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._tls, limit=STREAM_LIMIT
            )
            try:
                head = f"CONNECT {address} HTTP/1.1\r\nHost: {address}\r\n{self._auth}\r\n"
                writer.write(head.encode())
                await _expect_established(reader)
            except BaseException:
                writer.close()
                raise
        return _SocketConnection(reader, writer)

    async def close(self) -> None:
        """Nothing is pooled: each dial owns its socket."""


async def _expect_established(reader: asyncio.StreamReader) -> None:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, _, header_block = head.partition("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise DialError(f"the proxy answered {status_line!r}, not an HTTP status")
    status = int(parts[1])
    if status == HTTPStatus.OK:
        return
    length = 0
    for line in header_block.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    body = (await reader.readexactly(length)).decode(errors="replace").strip() if length else ""
    raise ConnectRefusedError(status, _message(body) or (parts[2] if len(parts) > 2 else ""))


def _message(body: str) -> str:
    """The text of a refusal: a kube `Status` body's message (the user-server), else as is."""
    try:
        status = json.loads(body)
    except ValueError:
        return body
    return str(status.get("message") or body) if isinstance(status, dict) else body


class _SocketConnection:
    """An established CONNECT socket as a `TunnelConnection`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self) -> bytes:
        try:
            return await self._reader.read(STREAM_LIMIT)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()


async def hub_tunnel_client(
    hub: KubeApi,
    address: str,
    *,
    namespace: str = proxy.PROXY_SERVER_NAMESPACE_DEFAULT,
    server_name: str | None = None,
) -> TunnelClient:
    """A `TunnelClient` for the proxy-server at `address` with the add-on's hub credentials.

    Reads, from `namespace` on the hub, the Secrets `proxy-client` (the frontend client
    certificate) and `proxy-server-ca` (the CA of the proxy-server's certificate), as
    upstream's konnectivity TLS helper does. `server_name` overrides the name verified in the
    server's certificate (default: the host of `address`)."""
    client_secret = await hub.get(gvr.SECRETS, proxy.PROXY_CLIENT_SECRET, namespace=namespace)
    ca_secret = await hub.get(gvr.SECRETS, proxy.PROXY_SERVER_CA_SECRET, namespace=namespace)
    credentials = grpc.ssl_channel_credentials(
        _secret_bytes(ca_secret, proxy.CA_CERT_KEY),
        _secret_bytes(client_secret, TLS_KEY),
        _secret_bytes(client_secret, TLS_CERT),
    )
    options: list[tuple[str, int | str]] = []
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return TunnelClient(address, credentials=credentials, options=options)


def _secret_bytes(secret: Mapping[str, Any], key: str) -> bytes:
    value = (secret.get("data") or {}).get(key)
    if not value:
        name = (secret.get("metadata") or {}).get("name")
        raise ValueError(f"Secret {name!r} has no {key!r}: is the cluster-proxy add-on installed?")
    return base64.b64decode(value)


def _split_target(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{target!r}: expected <service>.<namespace>:<port>")
    return host, int(port)


def _dialer(client: TunnelClient | Dialer) -> Dialer:
    return ClientDialer(client) if isinstance(client, TunnelClient) else client


async def dial(
    client: TunnelClient | Dialer, cluster: str, target: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio streams to `<service>.<namespace>:<port>` in `cluster`."""
    host, port = _split_target(target)
    address = service_address(cluster, host, port)
    connection = await _dialer(client).dial(cluster, address)
    return await open_streams(connection, peer=f"{cluster}/{address}")


def tunnel_connector(client: TunnelClient | Dialer, cluster: str) -> TunnelConnector:
    """An aiohttp connector reaching `http(s)://<service>.<namespace>:<port>/` in `cluster`."""
    return TunnelConnector(
        _dialer(client), lambda host, port: (cluster, service_address(cluster, host, port))
    )


@contextlib.asynccontextmanager
async def grpc_channel(
    client: TunnelClient | Dialer,
    cluster: str,
    target: str,
    *,
    credentials: grpc.ChannelCredentials | None = None,
    options: list[tuple[str, str | int]] | None = None,
) -> AsyncIterator[grpc.aio.Channel]:
    """A grpc.aio channel to `<service>.<namespace>:<port>` in `cluster` (see module doc).

    With `credentials` the channel speaks TLS end to end; the certificate is checked against
    the service name (override with the `grpc.ssl_target_name_override` option)."""
    async with loopback_bridge(client, cluster, target) as port:
        opts = list(options or [])
        if credentials is not None:
            host = target.rpartition(":")[0]
            if not any(key == "grpc.ssl_target_name_override" for key, _ in opts):
                opts.append(("grpc.ssl_target_name_override", host))
            channel = grpc.aio.secure_channel(f"{LOOPBACK}:{port}", credentials, options=opts)
        else:
            channel = grpc.aio.insecure_channel(f"{LOOPBACK}:{port}", options=opts)
        try:
            yield channel
        finally:
            await channel.close(None)


@contextlib.asynccontextmanager
async def loopback_bridge(
    client: TunnelClient | Dialer, cluster: str, target: str
) -> AsyncIterator[int]:
    """A 127.0.0.1 listener (its port is yielded) splicing each connection to `target`."""
    dialer = _dialer(client)
    host, port = _split_target(target)
    address = service_address(cluster, host, port)
    sessions: set[asyncio.Task[None]] = set()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            connection = await dialer.dial(cluster, address)
            far = await open_streams(connection, peer=f"{cluster}/{address}")
            await splice((reader, writer), far)
        except (ConnectionError, OSError) as exc:
            logger.warning("bridge to %s failed: %s", address, exc, extra={"cluster": cluster})
        finally:
            writer.close()  # whatever ended the session, the local client sees the end

    async def bridge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The splice runs in a task of our own, so closing the bridge cancels our task and not
        # asyncio's handler task (Python 3.11 logs a cancelled handler task as an error).
        task = asyncio.create_task(session(reader, writer))
        sessions.add(task)
        task.add_done_callback(session_ended)

    def session_ended(task: asyncio.Task[None]) -> None:
        sessions.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("bridge to %s ended: %r", address, exc, extra={"cluster": cluster})

    server = await asyncio.start_server(bridge, LOOPBACK, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in list(sessions):
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
