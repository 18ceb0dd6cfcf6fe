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

from aiohttp import web
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
from proxy_server.userserver.status import status_response

logger = logging.getLogger(__name__)

KIND_KUBE: Final = "kube"
KIND_SERVICE: Final = "service"


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

    async def _handle(self, request: web.Request, target: routing.Target) -> web.StreamResponse:
        parts = self._parts
        try:
            user = await parts.authenticator.authenticate(_presented(request))
            if user is None:
                return status_response(
                    401,
                    "Unauthorized: present a hub bearer token or a client certificate "
                    "the user-server trusts",
                )
            decision = await parts.authorizer.authorize(user, target.cluster)
        except AuthUnavailableError as exc:
            return status_response(503, f"cannot check the caller on the hub: {exc}")
        if not decision.allowed:
            return status_response(
                403,
                f'user "{user.name}" cannot {proxy_permission(target.cluster)} on the hub'
                + (f": {decision.reason}" if decision.reason else ""),
            )
        if isinstance(target, routing.ServiceTarget):
            return await self._service(request, target)
        return await self._kube(request, target, user)

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
        if not allowed:
            return status_response(
                403,
                f"service {target.namespace}/{target.service} port {target.port} "
                f"({target.scheme}) is not in the exposed-services list; add it to the "
                "cluster-proxy-exposed-services ConfigMap (or --exposed-services-file)",
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


def _presented(request: web.Request) -> Presented:
    certificate = None
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is not None:
        der = ssl_object.getpeercert(binary_form=True)
        if der:
            certificate = x509.load_der_x509_certificate(der)
    return Presented(
        certificate=certificate, token=bearer_token(request.headers.get("Authorization"))
    )


def make_app(parts: UserServerParts) -> web.Application:
    app = web.Application(handler_args={"max_field_size": 32 * 1024})
    app.router.add_route("*", "/{tail:.*}", UserServerHandler(parts))
    return app
