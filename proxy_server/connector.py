"""`TunnelConnector`: an aiohttp connector whose connections are tunnel connections.

aiohttp pools and reuses them (keep-alive) per (host, port, TLS settings) as with TCP, so
requests to one cluster share a few long-lived tunnel connections. `route(host, port)` turns
the URL's host and port into `(cluster, tunnel address)`; TLS (`https://` URLs) runs over the
tunnel connection, verified with the request's `ssl=` context and `server_hostname=`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.client_proto import ResponseHandler

from proxy_server.client import DialError
from proxy_server.dialing import Dialer
from proxy_server.streams import connect_protocol

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.tracing import Trace

Route = Callable[[str, int], tuple[str, str]]
"""`(url host, url port) -> (cluster, tunnel address)`."""


class TunnelConnector(aiohttp.BaseConnector):
    def __init__(
        self,
        dialer: Dialer,
        route: Route,
        *,
        limit_per_host: int = 0,
        keepalive_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            limit=0, limit_per_host=limit_per_host, keepalive_timeout=keepalive_timeout
        )
        self._dialer = dialer
        self._route = route

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> ResponseHandler:
        host, port = req.host, req.port or (443 if req.is_ssl() else 80)
        cluster, address = self._route(host, port)
        try:
            connection = await self._dialer.dial(cluster, address)
        except (DialError, ConnectionError) as exc:
            raise aiohttp.ClientConnectorError(req.connection_key, OSError(str(exc))) from exc
        protocol = ResponseHandler(asyncio.get_running_loop())
        tls = _tls_context(req) if req.is_ssl() else None
        try:
            await connect_protocol(
                connection,
                protocol,
                tls=tls,
                server_hostname=req.server_hostname or host,
                peer=f"{cluster}/{address}",
            )
        except OSError as exc:
            raise aiohttp.ClientConnectorError(req.connection_key, exc) from exc
        return protocol


def _tls_context(req: ClientRequest) -> ssl.SSLContext:
    """The request's `ssl=`: a context as given, True verifies with the system CAs, False
    does not verify (fingerprints are not supported over the tunnel)."""
    if isinstance(req.ssl, ssl.SSLContext):
        return req.ssl
    if req.ssl is True:
        return ssl.create_default_context()
    if req.ssl is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    raise aiohttp.ClientConnectorError(
        req.connection_key, OSError("pass ssl=<SSLContext> for tunnelled https, not a fingerprint")
    )
