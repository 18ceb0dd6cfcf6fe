"""`ApiClient`: an asyncio Kubernetes REST client over aiohttp, satisfying `KubeApi`.

It owns one ``aiohttp.ClientSession`` (created lazily inside the running loop, closed by
`close` or ``async with``). Every aiohttp/OSError failure is translated here, at the boundary, into
`ocm_core.kube.errors`; every non-2xx answer becomes an `ApiError` built from the server's Status.

Watches are async generators: iterate them inside ``contextlib.aclosing`` (or run them to the end)
so the HTTP connection is released promptly when the consumer stops early.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

import aiohttp
from multidict import CIMultiDict

from ocm_core.api.gvr import Resource
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import (
    KubeConnectionError,
    KubeError,
    KubeTimeoutError,
    error_from_status,
)
from ocm_core.kube.protocol import (
    Body,
    EventType,
    Object,
    PatchType,
    Preconditions,
    WatchEvent,
    object_name,
    object_namespace,
)

logger = logging.getLogger(__name__)

JSON_CONTENT: Final = "application/json"
DEFAULT_TIMEOUT: Final = 30.0
"""Seconds a non-watch request may take; generous because lists of big kinds can be slow."""
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
"""Seconds to establish TCP+TLS, for watches too (their body has no total deadline)."""
USER_AGENT: Final = "ocm-core/0.1"
IDLE_CONNECTION_SECONDS: Final = 90.0
"""How long an idle connection is kept for reuse (client-go's IdleConnTimeout). Longer than a
lease renewal interval (60-75 s), so a cluster agent renews over the same TLS connection instead
of paying a handshake on both sides every time; shorter than the embedded server's idle limit
(aiohttp's, about an hour), so the client closes idle connections, not the server."""


class ApiClient:
    """Talks to one API server as one identity (a `KubeConfig`)."""

    def __init__(
        self,
        config: KubeConfig,
        *,
        default_timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.config = config
        self._default_timeout = default_timeout
        self._user_agent = user_agent
        self._ssl = config.ssl_context()
        self._tls_stamp = config.tls_files_stamp()
        self._session: aiohttp.ClientSession | None = None
        self.requests_sent = 0
        """Requests issued so far (watches included): for rate measurements."""

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- KubeApi verbs ------------------------------------------------------------------------

    async def get(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        path = resource.path(namespace=namespace, name=name, subresource=subresource)
        return await self.request("GET", path, request_timeout=request_timeout)

    async def list(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        params = _query(
            labelSelector=label_selector,
            fieldSelector=field_selector,
            limit=limit,
            resourceVersion=resource_version,
        )
        if continue_token:
            params["continue"] = continue_token
        path = resource.path(namespace=namespace)
        return await self.request("GET", path, params=params, request_timeout=request_timeout)

    async def watch(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = True,
    ) -> AsyncGenerator[WatchEvent, None]:
        """Stream ``(type, object)`` events; ``ERROR`` events are raised as `ApiError`
        (``ExpiredError`` for 410). The stream ends when the server closes it."""
        params = _query(
            watch="true",
            labelSelector=label_selector,
            fieldSelector=field_selector,
            resourceVersion=resource_version,
            timeoutSeconds=timeout_seconds,
            allowWatchBookmarks="true" if allow_bookmarks else None,
        )
        url = self.config.base_url + resource.path(namespace=namespace)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=DEFAULT_CONNECT_TIMEOUT)
        logger.debug("> WATCH %s %s", url, params)
        with _translated("GET", url):
            async with self._open("GET", url, params=params, timeout=timeout) as response:
                logger.debug("< WATCH %s %d", url, response.status)
                await _raise_for_status(response)
                async for line in _lines(response):
                    yield _decode_event(line)

    async def create(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        namespace = namespace or object_namespace(body)
        path = resource.path(namespace=namespace, name=name, subresource=subresource)
        params = _query(fieldManager=field_manager)
        return await self.request(
            "POST", path, params=params, body=body, request_timeout=request_timeout
        )

    async def replace(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        namespace = namespace or object_namespace(body)
        path = resource.path(namespace=namespace, name=object_name(body), subresource=subresource)
        params = _query(fieldManager=field_manager)
        return await self.request(
            "PUT", path, params=params, body=body, request_timeout=request_timeout
        )

    async def patch(
        self,
        resource: Resource,
        name: str,
        body: Body,
        *,
        namespace: str | None = None,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        if patch_type is PatchType.APPLY and not field_manager:
            raise ValueError("server-side apply needs a field_manager")
        path = resource.path(namespace=namespace, name=name, subresource=subresource)
        params = _query(fieldManager=field_manager, force=_bool(force))
        return await self.request(
            "PATCH",
            path,
            params=params,
            body=body,
            content_type=patch_type,
            request_timeout=request_timeout,
        )

    async def apply(
        self,
        resource: Resource,
        body: Object,
        *,
        field_manager: str,
        force: bool = False,
        subresource: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        """Server-side apply of a full intended object (name and namespace from its metadata)."""
        return await self.patch(
            resource,
            object_name(body),
            body,
            namespace=object_namespace(body),
            patch_type=PatchType.APPLY,
            subresource=subresource,
            field_manager=field_manager,
            force=force,
            request_timeout=request_timeout,
        )

    async def delete(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: str | None = None,
        preconditions: Preconditions | None = None,
        grace_period_seconds: int | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        options: Object = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy is not None:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if preconditions is not None:
            options["preconditions"] = {
                k: v
                for k, v in (
                    ("uid", preconditions.uid),
                    ("resourceVersion", preconditions.resource_version),
                )
                if v is not None
            }
        path = resource.path(namespace=namespace, name=name)
        return await self.request("DELETE", path, body=options, request_timeout=request_timeout)

    # -- raw requests -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Body | None = None,
        content_type: str = JSON_CONTENT,
        request_timeout: float | None = None,
    ) -> Object:
        """One request to ``path`` (appended to the server URL, prefix kept); returns the
        decoded JSON body, ``{}`` when the body is empty."""
        url = self.config.base_url + path
        data = None if body is None else json.dumps(body).encode()
        deadline = aiohttp.ClientTimeout(total=request_timeout or self._default_timeout)
        logger.debug("> %s %s %s", method, url, params or "")
        with _translated(method, url):
            async with self._open(
                method, url, params=params, data=data, content_type=content_type, timeout=deadline
            ) as response:
                logger.debug("< %s %s %d", method, url, response.status)
                await _raise_for_status(response)
                payload = await response.read()
        if not payload:
            return {}
        try:
            decoded = json.loads(payload)
        except ValueError as exc:
            raise KubeError(f"{method} {url}: the server answered with invalid JSON") from exc
        if not isinstance(decoded, dict):
            raise KubeError(f"{method} {url}: expected a JSON object, got {type(decoded).__name__}")
        return decoded

    async def get_text(self, path: str, *, request_timeout: float | None = None) -> str:
        """GET a non-JSON endpoint (``/livez``, ``/healthz``, ``/readyz``) and return its body;
        non-2xx answers raise `ApiError` like every other call."""
        url = self.config.base_url + path
        deadline = aiohttp.ClientTimeout(total=request_timeout or self._default_timeout)
        with _translated("GET", url):
            async with self._open("GET", url, params=None, timeout=deadline) as response:
                await _raise_for_status(response)
                return await response.text()

    def _open(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        timeout: aiohttp.ClientTimeout,
        data: bytes | None = None,
        content_type: str = JSON_CONTENT,
    ) -> aiohttp.client._RequestContextManager:
        headers = self._headers(content_type if data is not None else None)
        self.requests_sent += 1
        return self._ensure_session().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            timeout=timeout,
            ssl=self._current_ssl(),
            proxy=self.config.proxy_url,
            server_hostname=self.config.tls_server_name,
        )

    def _current_ssl(self) -> ssl.SSLContext | bool:
        # A rotated certificate/CA file gets a new context; aiohttp keys pooled connections by
        # it, so new requests use new connections with the new identity.
        stamp = self.config.tls_files_stamp()
        if stamp != self._tls_stamp:
            self._ssl = self.config.ssl_context()
            self._tls_stamp = stamp
            logger.info("TLS files changed; using the new certificates")
        return self._ssl if self._ssl is not None else True

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No pool limit: every open watch pins one connection for minutes, and aiohttp's
            # default cap (100) would let many informers starve ordinary requests.
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=IDLE_CONNECTION_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
        return self._session

    def _headers(self, content_type: str | None) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        headers["Accept"] = JSON_CONTENT
        headers["User-Agent"] = self._user_agent
        if content_type is not None:
            headers["Content-Type"] = content_type
        if self.config.token is not None:
            headers["Authorization"] = f"Bearer {self.config.token.token()}"
        who = self.config.impersonate
        if who is not None:
            headers["Impersonate-User"] = who.user
            for group in who.groups:
                headers.add("Impersonate-Group", group)
            if who.uid:
                headers["Impersonate-Uid"] = who.uid
            for key, values in who.extra.items():
                for value in values:
                    headers.add(f"Impersonate-Extra-{key}", value)
        return headers


@contextmanager
def _translated(method: str, url: str) -> Iterator[None]:
    """Translate transport failures into `TransportError`s, chaining the original."""
    try:
        yield
    except KubeError:
        raise
    except TimeoutError as exc:
        raise KubeTimeoutError(f"{method} {url}: timed out") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise KubeConnectionError(f"{method} {url}: {exc or type(exc).__name__}") from exc


async def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    if response.status < 400:
        return
    body = await response.read()
    raise error_from_status(response.status, body)


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    # Our own line splitting: StreamReader.readline() caps a line at 128 KiB, and one watch
    # event carries a whole object (ManifestWorks and Secrets can be far bigger).
    buffer = bytearray()
    async for chunk in response.content.iter_any():
        buffer += chunk
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:end]).strip()
            del buffer[: end + 1]
            if line:
                yield line
    if buffer.strip():
        yield bytes(buffer).strip()


def _decode_event(line: bytes) -> WatchEvent:
    try:
        raw = json.loads(line)
        kind = EventType(raw["type"])
        obj = raw["object"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KubeError(f"malformed watch event: {line[:200]!r}") from exc
    if not isinstance(obj, dict):
        raise KubeError(f"watch event object is not a JSON object: {line[:200]!r}")
    if kind is EventType.ERROR:
        raise error_from_status(int(obj.get("code") or 500), obj)
    return WatchEvent(kind, obj)


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _query(**values: str | int | None) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}
