"""The user-server's one handler: route, authenticate, authorize, filter, impersonate, forward.

Order matters: nothing about a cluster (not even whether it exists) is revealed before the
caller is authenticated and authorized for it. Every refusal is a kube `Status` body that says
what is wrong and how to fix it.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from typing import Final

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from cryptography import x509
from prometheus_client import CollectorRegistry, Counter

from ocm_core.apiserver.auth import bearer_token
from ocm_core.apiserver.auth.user import UserInfo
from proxy_server.userserver import routing
from proxy_server.userserver.allowlist import AllowListWatcher
from proxy_server.userserver.authentication import Authenticator, AuthUnavailableError, Presented
from proxy_server.userserver.authorization import Authorizer, proxy_permission
from proxy_server.userserver.credentials import SpokeCredentials, UnknownClusterError
from proxy_server.userserver.forwarding import Forwarder, Upstream
from proxy_server.userserver.impersonation import forwarded_headers, impersonate, is_upgrade
from proxy_server.userserver.resolvers import ResolverWatcher
from proxy_server.userserver.status import status_response

logger = logging.getLogger(__name__)

KIND_KUBE: Final = "kube"
KIND_SERVICE: Final = "service"
KIND_CONNECT: Final = "connect"
#: HTTP proxies authenticate with this header; `Authorization` is accepted too.
PROXY_AUTHORIZATION: Final = "Proxy-Authorization"
HOW_TO_EXPOSE: Final = (
    "expose it with a ManagedProxyServiceResolver for a cluster set of the cluster, or add it "
    "to the cluster-proxy-exposed-services ConfigMap (or --exposed-services-file)"
)


class UserServerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "user_server_requests",
            "Requests handled by the user-server, by target kind and status code.",
            ("kind", "code"),
            registry=registry,
        )


@dataclass
class UserServerParts:
    authenticator: Authenticator
    authorizer: Authorizer
    credentials: SpokeCredentials
    allowlist: AllowListWatcher
    forwarder: Forwarder
    metrics: UserServerMetrics
    #: What ManagedProxyServiceResolvers expose (None: only the allow list counts).
    resolvers: ResolverWatcher | None = None
    #: Verifies https services' certificates (the system CAs unless a CA file is given).
    service_tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)


class UserServerHandler:
    def __init__(self, parts: UserServerParts) -> None:
        self._parts = parts

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        kind = KIND_KUBE
        try:
            target = routing.parse(request.rel_url.raw_path)
            kind = KIND_SERVICE if isinstance(target, routing.ServiceTarget) else KIND_KUBE
            response = await self._handle(request, target)
        except routing.RouteError as exc:
            response = status_response(404, f"{exc}")
        self._parts.metrics.requests.labels(kind, str(response.status)).inc()
        return response

    async def connect(self, request: web.Request) -> web.StreamResponse:
        """`CONNECT <svc>.<ns>.<cluster>:<port>`: a raw connection to an exposed service."""
        try:
            target = routing.parse_connect(f"{request.url.raw_host}:{request.url.port}")
            response = await self._connect(request, target)
        except routing.RouteError as exc:
            response = status_response(400, f"{exc}")
        self._parts.metrics.requests.labels(KIND_CONNECT, str(response.status)).inc()
        return response

    async def _connect(
        self, request: web.Request, target: routing.ConnectTarget
    ) -> web.StreamResponse:
        check = await self._check_caller(request, target.cluster, proxy_auth=True)
        if isinstance(check, web.Response):
            return check
        allowed = self._parts.allowlist.current.allows_connection(
            target.namespace, target.service, target.port
        )
        if not allowed and not self._resolved(target.cluster, target.namespace, target.service):
            return status_response(
                403,
                f"service {target.namespace}/{target.service} port {target.port} of cluster "
                f"{target.cluster!r} is not exposed; {HOW_TO_EXPOSE}",
            )
        return await self._parts.forwarder.tunnel(request, target.cluster, target.address)

    async def _handle(self, request: web.Request, target: routing.Target) -> web.StreamResponse:
        check = await self._check_caller(request, target.cluster)
        if isinstance(check, web.Response):
            return check
        if isinstance(target, routing.ServiceTarget):
            return await self._service(request, target)
        return await self._kube(request, target, check)

    async def _check_caller(
        self, request: web.Request, cluster: str, *, proxy_auth: bool = False
    ) -> UserInfo | web.Response:
        """The authenticated user allowed into `cluster`, or the refusal to answer with."""
        parts = self._parts
        try:
            user = await parts.authenticator.authenticate(_presented(request, proxy_auth))
            if user is None:
                return status_response(
                    401,
                    "Unauthorized: present a hub bearer token or a client certificate "
                    "the user-server trusts",
                )
            decision = await parts.authorizer.authorize(user, cluster)
        except AuthUnavailableError as exc:
            return status_response(503, f"cannot check the caller on the hub: {exc}")
        if not decision.allowed:
            return status_response(
                403,
                f'user "{user.name}" cannot {proxy_permission(cluster)} on the hub'
                + (f": {decision.reason}" if decision.reason else ""),
            )
        return user

    async def _kube(
        self, request: web.Request, target: routing.KubeTarget, user: UserInfo
    ) -> web.StreamResponse:
        try:
            credential = self._parts.credentials.for_cluster(target.cluster)
        except UnknownClusterError as exc:
            return status_response(503, str(exc))
        upgrade = is_upgrade(request.headers)
        headers = forwarded_headers(request.headers, upgrade=upgrade)
        impersonate(headers, user, credential.bearer())
        upstream = Upstream(
            cluster=target.cluster,
            address=target.address,
            scheme="https",
            path_qs=_with_query(target.path, request),
            headers=headers,
            tls=credential.tls,
            server_name=credential.server_name,
        )
        return await self._send(request, upstream, upgrade)

    async def _service(
        self, request: web.Request, target: routing.ServiceTarget
    ) -> web.StreamResponse:
        allowed = self._parts.allowlist.current.allows(
            target.namespace, target.service, target.port, target.scheme
        )
        if not allowed and not self._resolved(target.cluster, target.namespace, target.service):
            return status_response(
                403,
                f"service {target.namespace}/{target.service} port {target.port} "
                f"({target.scheme}) is not in the exposed-services list nor resolved on cluster "
                f"{target.cluster!r}; {HOW_TO_EXPOSE}",
            )
        upgrade = is_upgrade(request.headers)
        tls = self._parts.service_tls if target.scheme == "https" else None
        upstream = Upstream(
            cluster=target.cluster,
            address=target.address,
            scheme=target.scheme,
            path_qs=_with_query(target.path, request),
            headers=forwarded_headers(request.headers, upgrade=upgrade),
            tls=tls,
            server_name=target.server_name,
        )
        return await self._send(request, upstream, upgrade)

    def _resolved(self, cluster: str, namespace: str, service: str) -> bool:
        resolvers = self._parts.resolvers
        return resolvers is not None and resolvers.current.exposes(cluster, namespace, service)

    async def _send(
        self, request: web.Request, upstream: Upstream, upgrade: bool
    ) -> web.StreamResponse:
        forwarder = self._parts.forwarder
        if upgrade:
            return await forwarder.upgrade(request, upstream)
        return await forwarder.forward(request, upstream)


def _with_query(path: str, request: web.Request) -> str:
    query = request.rel_url.raw_query_string
    return f"{path}?{query}" if query else path


def _presented(request: web.Request, proxy_auth: bool = False) -> Presented:
    """What the caller presents; a proxy client's token is in `Proxy-Authorization`."""
    certificate = None
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is not None:
        der = ssl_object.getpeercert(binary_form=True)
        if der:
            certificate = x509.load_der_x509_certificate(der)
    header = request.headers.get("Authorization")
    if proxy_auth:
        header = request.headers.get(PROXY_AUTHORIZATION, header)
    return Presented(certificate=certificate, token=bearer_token(header))


def make_app(parts: UserServerParts) -> web.Application:
    user_server = UserServerHandler(parts)

    @web.middleware
    async def connect(request: web.Request, handler: Handler) -> web.StreamResponse:
        # A CONNECT target is an authority, not a path: no route matches it.
        if request.method == hdrs.METH_CONNECT:
            return await user_server.connect(request)
        return await handler(request)

    app = web.Application(handler_args={"max_field_size": 32 * 1024}, middlewares=[connect])
    app.router.add_route("*", "/{tail:.*}", user_server)
    return app
