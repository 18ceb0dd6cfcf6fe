"""Run a proxy-agent: the connector, exposure and certificate reloading, and the health port.

A rotated certificate, key or CA bundle (the files change) renews the streams: new streams
with the new files first, then the old ones drain and close once their connections end, so
the agent is on the new certificate before the old one stops being trusted and no open
connection is cut."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from ocm_core.health import health_app, start_health
from ocm_core.tlsfiles import TLSFileSet
from proxy_agent import servicemap
from proxy_agent.config import AgentConfig
from proxy_agent.connector import Connector, tls_files
from proxy_agent.exposure import Exposure, ExposureError, load_file
from proxy_agent.metrics import AgentMetrics
from proxy_agent.servicemap import ServiceMap

logger = logging.getLogger(__name__)
#: How often the exposure and certificate files are checked for changes.
RELOAD_INTERVAL = 1.0


class ProxyAgent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.exposure = config.exposure
        self.service_map = ServiceMap()
        self.metrics = AgentMetrics()
        self.tls = tls_files(config)
        self.connector = Connector(
            config,
            lambda: self.exposure,
            self.metrics,
            service_map=lambda: self.service_map,
            tls=self.tls,
        )
        self.metrics.open_endpoint_connections.set_function(self.connector.open_connections)
        self.metrics.held_bytes.set_function(self.connector.held_bytes)
        self._health: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def not_ready_reason(self) -> str | None:
        if self.connector.draining:
            return "draining"
        return None if self.connector.ready else "no stream to any proxy-server"

    async def start(self) -> int:
        config = self.config
        self._health, port = await start_health(
            health_app(self.metrics.registry, self.not_ready_reason),
            config.health_bind_address,
            config.health_server_port,
        )
        if config.ports_file is not None:
            config.ports_file.write_text(json.dumps({"health": port}))
        self._tasks.append(asyncio.ensure_future(self.connector.run()))
        if config.exposure_file is not None:
            watch = self._watch(config.exposure_file, self._load_exposure)
            self._tasks.append(asyncio.ensure_future(watch))
        if config.service_map_file is not None:
            self._load_service_map(config.service_map_file)
            watch = self._watch(config.service_map_file, self._load_service_map)
            self._tasks.append(asyncio.ensure_future(watch))
        if self.tls is not None:
            self._tasks.append(asyncio.ensure_future(self._watch_certificates(self.tls)))
        logger.info(
            "proxy-agent %s for cluster %r: health on %d, advertising %s",
            config.agent_id,
            self.exposure.cluster,
            port,
            self.exposure.identifiers().encode(),
        )
        return port

    @staticmethod
    async def _watch(path: Path, changed: Callable[[Path], None]) -> None:
        """Call `changed(path)` whenever the file's modification time moves."""
        seen = _mtime(path)
        while True:
            await asyncio.sleep(RELOAD_INTERVAL)
            current = _mtime(path)
            if current != seen:
                seen = current
                changed(path)

    def _load_exposure(self, path: Path) -> None:
        try:
            loaded = load_file(path)
        except ExposureError as exc:
            logger.error("keeping the previous exposure list: %s", exc)
            return
        self._apply(loaded)

    def _load_service_map(self, path: Path) -> None:
        try:
            self.service_map = servicemap.load_file(path)
        except servicemap.ServiceMapError as exc:
            logger.error("keeping the previous service map: %s", exc)
            return
        logger.info(
            "service map: %d service ports", len(self.service_map.services), extra={"file": path}
        )

    async def _watch_certificates(self, tls: TLSFileSet) -> None:
        while True:
            await asyncio.sleep(RELOAD_INTERVAL)
            # Off the loop: a changed set is parsed and checked, which takes a moment.
            if await asyncio.to_thread(tls.refresh) is not None:
                logger.info("certificate files changed; renewing streams to present them")
                self.connector.renew()

    def _apply(self, loaded: Exposure) -> None:
        old = self.exposure
        self.exposure = Exposure(
            cluster=loaded.cluster,
            kube_apiserver=loaded.kube_apiserver,
            services=loaded.services,
            extra_identifiers=old.extra_identifiers,
        )
        if self.exposure.identifiers() != old.identifiers():
            logger.info(
                "exposure changed; renewing streams to advertise %s",
                self.exposure.identifiers().encode(),
            )
            self.connector.renew()

    async def stop(self) -> None:
        await self.connector.shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._health is not None:
            await self._health.cleanup()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0
