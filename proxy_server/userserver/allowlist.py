"""Which services the user-server may reach: upstream's exposed-services list (deny by default).

Format (the ConfigMap `cluster-proxy-exposed-services`): every data key holds a YAML list of
`{namespace, service, port?, protocol?}`; a missing port or protocol matches any. Parsing is
strict (unknown fields, wrong types are errors). A file holds the same as a ConfigMap manifest
or as its bare `data` mapping.

`AllowListWatcher` reloads from its source; a parse error keeps the last good list (and is
logged), a ConfigMap that is gone denies everything (upstream parity). Kube API requests are
not filtered here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.kube import errors as kube_errors
from ocm_core.kube.client import ApiClient

logger = logging.getLogger(__name__)

FIELDS: Final = frozenset({"namespace", "service", "port", "protocol"})
PROTOCOLS: Final = ("http", "https")
DEFAULT_CONFIGMAP: Final = "cluster-proxy-exposed-services"


class AllowListError(ValueError):
    """The exposed-services list is malformed; the message says where."""


@dataclass(frozen=True)
class ExposedService:
    namespace: str
    service: str
    port: int | None = None
    protocol: str | None = None

    def matches(self, namespace: str, service: str, port: int, protocol: str) -> bool:
        return (
            self.namespace == namespace
            and self.service == service
            and self.port in (None, port)
            and self.protocol in (None, protocol)
        )


@dataclass(frozen=True)
class AllowList:
    entries: tuple[ExposedService, ...] = ()

    def allows(self, namespace: str, service: str, port: int, protocol: str) -> bool:
        return any(e.matches(namespace, service, port, protocol) for e in self.entries)

    def allows_connection(self, namespace: str, service: str, port: int) -> bool:
        """A raw (CONNECT) connection carries whatever the client speaks: any protocol."""
        return any(e.matches(namespace, service, port, e.protocol or "") for e in self.entries)


def parse_data(data: Mapping[str, Any], *, source: str) -> AllowList:
    """A ConfigMap's `data`: each value a YAML list of entries."""
    entries: list[ExposedService] = []
    for key in sorted(data):
        value = data[key]
        where = f"{source}: data[{key!r}]"
        try:
            items = yaml.safe_load(value) if isinstance(value, str) else value
        except yaml.YAMLError as exc:
            raise AllowListError(f"{where}: invalid YAML: {exc}") from exc
        if items is None:
            continue
        if not isinstance(items, list):
            raise AllowListError(f"{where}: expected a list of {{namespace, service, ...}}")
        entries += [_entry(item, f"{where}[{i}]") for i, item in enumerate(items)]
    return AllowList(tuple(entries))


def _entry(item: Any, where: str) -> ExposedService:
    if not isinstance(item, dict):
        raise AllowListError(f"{where}: expected a mapping with namespace and service")
    unknown = set(item) - FIELDS
    if unknown:
        raise AllowListError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    namespace, service = item.get("namespace"), item.get("service")
    if not isinstance(namespace, str) or not namespace:
        raise AllowListError(f"{where}: 'namespace' must be a non-empty string")
    if not isinstance(service, str) or not service:
        raise AllowListError(f"{where}: 'service' must be a non-empty string")
    port = item.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise AllowListError(f"{where}: 'port' must be a number")
    if port is not None and not 0 < port < 65536:
        raise AllowListError(f"{where}: 'port' must be 1-65535")
    protocol = item.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        raise AllowListError(f"{where}: 'protocol' must be http or https")
    return ExposedService(namespace, service, port, protocol)


def parse_text(text: str, *, source: str) -> AllowList:
    """A file: a ConfigMap manifest, or its bare `data` mapping."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AllowListError(f"{source}: invalid YAML: {exc}") from exc
    if document is None:
        return AllowList()
    if not isinstance(document, dict):
        raise AllowListError(f"{source}: expected a ConfigMap or a mapping of lists")
    if document.get("kind") == "ConfigMap":
        data = document.get("data") or {}
        if not isinstance(data, dict):
            raise AllowListError(f"{source}: ConfigMap data must be a mapping")
        return parse_data(data, source=source)
    return parse_data(document, source=source)


Load = Callable[[], Awaitable[AllowList]]


def file_loader(path: Path) -> Load:
    async def load() -> AllowList:
        try:
            text = await asyncio.to_thread(path.read_text)
        except FileNotFoundError:
            return AllowList()
        return parse_text(text, source=str(path))

    return load


def configmap_loader(api: ApiClient, namespace: str, name: str) -> Load:
    async def load() -> AllowList:
        try:
            body = await api.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        except kube_errors.NotFoundError:
            return AllowList()  # deleted: deny everything
        return parse_data(body.get("data") or {}, source=f"configmap {namespace}/{name}")

    return load


class AllowListWatcher:
    """The current list; `refresh()` reloads it and keeps the last good one on errors."""

    def __init__(self, load: Load) -> None:
        self._load = load
        self.current = AllowList()
        self.loaded = False

    async def refresh(self) -> None:
        try:
            self.current = await self._load()
            self.loaded = True
        except AllowListError as exc:
            logger.warning("exposed-services list not updated: %s", exc)
        except (kube_errors.KubeError, OSError) as exc:
            logger.warning("cannot read the exposed-services list: %s", exc)
