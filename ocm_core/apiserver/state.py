"""What every request handler can reach: the server's shared parts, stored under one AppKey."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from aiohttp import web

from ocm_core.apiserver.authhooks import Authenticator, Authorizer, UserInfo
from ocm_core.apiserver.handlers.encoding import EncodedLines
from ocm_core.apiserver.metrics import ServerMetrics
from ocm_core.apiserver.operations import Operations
from ocm_core.apiserver.registry import Registry, ResourceInfo
from ocm_core.apiserver.requestinfo import RequestInfo
from ocm_core.apiserver.storage import Storage
from ocm_core.apiserver.watch import WatchHub

if TYPE_CHECKING:
    from ocm_core.apiserver.access import Access

#: kube-apiserver's default --max-request-body-bytes is 3 MiB.
DEFAULT_MAX_BODY_BYTES: Final = 3 * 1024 * 1024
#: Watches without timeoutSeconds end after this long (kube: --min-request-timeout 1800 s).
DEFAULT_WATCH_TIMEOUT_SECONDS: Final = 1800.0
DEFAULT_BOOKMARK_INTERVAL_SECONDS: Final = 30.0


@dataclass(frozen=True)
class SubresourceRequest:
    request: web.Request
    resource: ResourceInfo
    namespace: str
    name: str
    user: UserInfo


SubresourceHandler = Callable[[SubresourceRequest], Awaitable[web.StreamResponse]]
"""Serves a subresource the core does not know (``serviceaccounts/token``); plugged in by auth."""


@dataclass
class ServerState:
    registry: Registry
    storage: Storage
    hub: WatchHub
    operations: Operations
    authenticator: Authenticator
    authorizer: Authorizer
    metrics: ServerMetrics
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    watch_timeout_seconds: float = DEFAULT_WATCH_TIMEOUT_SECONDS
    bookmark_interval_seconds: float = DEFAULT_BOOKMARK_INTERVAL_SECONDS
    #: ``(storage key, subresource)`` -> handler, for subresources served outside the core.
    subresource_handlers: dict[tuple[str, str], SubresourceHandler] = field(default_factory=dict)
    watch_lines: EncodedLines = field(default_factory=EncodedLines)
    #: Real authn/RBAC (its cache is loaded and its policy seeded at start-up); None in tests
    #: that plug their own hooks.
    access: Access | None = None
    ready: bool = False


STATE: Final = web.AppKey("state", ServerState)
REQUEST_INFO: Final = web.RequestKey("request_info", RequestInfo)
USER: Final = web.RequestKey("user", UserInfo)


def request_info(request: web.Request) -> RequestInfo:
    return request[REQUEST_INFO]


def request_user(request: web.Request) -> UserInfo:
    return request[USER]
