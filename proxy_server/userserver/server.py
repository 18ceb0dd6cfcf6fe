"""Run the user-server: HTTPS site, the parts it needs, and the exposed-services reload loop.

`build_parts` wires the default parts (hub reviews, spoke credentials, allow-list source);
`UserServer` takes any `UserServerParts`, so tests and other deployments can plug their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry

from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.tlsfiles import TLSFileSet, reloading_server_context
from proxy_server.dialing import Dialer
from proxy_server.userserver.allowlist import AllowListWatcher, configmap_loader, file_loader
from proxy_server.userserver.app import UserServerMetrics, UserServerParts, make_app
from proxy_server.userserver.authentication import (
    AuthenticatorChain,
    CertificateAuthenticator,
    TokenReviewAuthenticator,
)
from proxy_server.userserver.authorization import SubjectAccessReviewAuthorizer
from proxy_server.userserver.config import UserServerConfig
from proxy_server.userserver.credentials import (
    KubeconfigDirCredentials,
    SpokeCredentials,
    StaticSpokeCredentials,
)
from proxy_server.userserver.forwarding import Forwarder
from proxy_server.userserver.resolvers import ResolverWatcher, hub_loader

logger = logging.getLogger(__name__)

#: Seconds in-flight requests (watches, exec sessions) get to finish at shutdown.
SHUTDOWN_TIMEOUT: Final = 2.0


def serving_context(config: UserServerConfig) -> ssl.SSLContext:
    """Re-reads the certificate files at the next handshake after they change (rotation)."""
    files = TLSFileSet(cert=config.cert, key=config.key, ca=config.client_ca)
    return reloading_server_context(
        files,
        # Optional: token-only clients are fine; a presented certificate must verify.
        client_verify=ssl.CERT_OPTIONAL,
        alpn=["http/1.1"],  # never h2: SPDY and WebSocket upgrades need 1.1
    )


def _spoke_credentials(config: UserServerConfig) -> SpokeCredentials:
    if config.spoke_kubeconfig_dir is not None:
        return KubeconfigDirCredentials(config.spoke_kubeconfig_dir)
    return StaticSpokeCredentials(
        ca_file=config.spoke_ca_cert,
        token_file=config.spoke_token_file,
        server_name=config.spoke_server_name,
    )


def build_parts(
    config: UserServerConfig, dialer: Dialer, registry: CollectorRegistry
) -> tuple[UserServerParts, ApiClient]:
    """The default parts, and the hub client they share (close it on shutdown)."""
    hub = ApiClient(
        KubeConfig.from_kubeconfig(config.hub_kubeconfig)
        if config.hub_kubeconfig is not None
        else KubeConfig.in_cluster()
    )
    ttl = config.token_review_cache_ttl
    if config.exposed_services_file is not None:
        load = file_loader(config.exposed_services_file)
    else:
        load = configmap_loader(
            hub, config.exposed_services_namespace, config.exposed_services_configmap
        )
    service_tls = ssl.create_default_context(
        cafile=str(config.service_ca_cert) if config.service_ca_cert else None
    )
    parts = UserServerParts(
        authenticator=AuthenticatorChain(
            CertificateAuthenticator(), TokenReviewAuthenticator(hub, cache_ttl=ttl)
        ),
        authorizer=SubjectAccessReviewAuthorizer(hub, cache_ttl=ttl),
        credentials=_spoke_credentials(config),
        allowlist=AllowListWatcher(load),
        forwarder=Forwarder(dialer),
        metrics=UserServerMetrics(registry),
        service_tls=service_tls,
        resolvers=ResolverWatcher(hub_loader(hub)),
    )
    return parts, hub


class UserServer:
    def __init__(
        self, config: UserServerConfig, parts: UserServerParts, *, hub: ApiClient | None = None
    ) -> None:
        self.config = config
        self.parts = parts
        self._hub = hub
        self._runner: web.AppRunner | None = None
        self._reload: asyncio.Task[None] | None = None

    def not_ready_reason(self) -> str | None:
        if not self.parts.allowlist.loaded:
            return "the exposed-services list has not been loaded yet"
        return None

    async def start(self) -> int:
        config = self.config
        await self._refresh_exposure()
        self._reload = asyncio.ensure_future(self._reload_allowlist())
        # handler_cancellation: a client that leaves a quiet watch must free its tunnel
        # connection now, not when the spoke next writes.
        self._runner = web.AppRunner(
            make_app(self.parts),
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, config.bind_address, config.port, ssl_context=serving_context(config)
        )
        await site.start()
        port: int = self._runner.addresses[0][1]
        logger.info("user-server listening on %d", port)
        return port

    async def _reload_allowlist(self) -> None:
        while True:
            await asyncio.sleep(self.config.exposed_services_resync)
            await self._refresh_exposure()

    async def _refresh_exposure(self) -> None:
        """The allow list and what resolvers expose: both decide which services pass."""
        await self.parts.allowlist.refresh()
        if self.parts.resolvers is not None:
            await self.parts.resolvers.refresh()

    async def stop(self) -> None:
        if self._reload is not None:
            self._reload.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reload
        if self._runner is not None:
            await self._runner.cleanup()
        await self.parts.forwarder.close()
        if self._hub is not None:
            await self._hub.close()
