"""GET, LIST (pagination, Table) and WATCH (chunked JSON lines) of any served kind."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ocm_core.apiserver import errors, table
from ocm_core.apiserver.handlers import encoding, params
from ocm_core.apiserver.operations import Operations, scale_view
from ocm_core.apiserver.registry import SCALE, ResourceInfo
from ocm_core.apiserver.state import ServerState
from ocm_core.apiserver.storage import ExpiredError, StoredEvent
from ocm_core.apiserver.watch import Watcher

INITIAL_EVENTS_END: Final = "k8s.io/initial-events-end"


def _now() -> datetime:
    return datetime.now(UTC)


async def get_object(
    request: web.Request,
    state: ServerState,
    info: ResourceInfo,
    namespace: str,
    name: str,
    sub: str,
) -> web.Response:
    obj = await state.operations.get(info, namespace, name)
    if sub == SCALE:
        obj = scale_view(info, obj)
    if encoding.wants_table(request) and not sub:
        query = params.list_params(request.query)
        return encoding.json_response(
            table.to_table(
                info,
                [obj],
                include=query.include,
                now=_now(),
                resource_version=obj["metadata"].get("resourceVersion", ""),
            )
        )
    return encoding.json_response(obj)


async def list_objects(
    request: web.Request, state: ServerState, info: ResourceInfo, namespace: str | None
) -> web.Response:
    query = params.list_params(request.query)
    result = await state.operations.list(
        info,
        namespace,
        selector=query.selector,
        limit=query.limit,
        continue_token=query.continue_token,
    )
    rv = str(result.resource_version)
    if encoding.wants_table(request):
        return encoding.json_response(
            table.to_table(
                info,
                result.items,
                include=query.include,
                now=_now(),
                resource_version=rv,
                continue_token=result.continue_token,
            )
        )
    metadata: dict[str, Any] = {"resourceVersion": rv}
    if result.continue_token:
        metadata["continue"] = result.continue_token
        if result.remaining is not None:
            metadata["remainingItemCount"] = result.remaining
    return encoding.json_response(
        {
            "kind": info.list_kind,
            "apiVersion": info.api_version,
            "metadata": metadata,
            "items": result.items,
        }
    )


class _WatchStream:
    """Writes watch events as JSON lines, rendering Tables when the client asked for them."""

    def __init__(
        self,
        response: web.StreamResponse,
        ops: Operations,
        info: ResourceInfo,
        as_table: bool,
        include: table.IncludeObject,
    ) -> None:
        self._response = response
        self._ops = ops
        self._info = info
        self._as_table = as_table
        self._include = include
        self._sent_columns = False

    def _render(self, obj: dict[str, Any]) -> dict[str, Any]:
        if not self._as_table:
            return obj
        rendered = table.to_table(
            self._info,
            [obj],
            include=self._include,
            now=_now(),
            with_columns=not self._sent_columns,
        )
        self._sent_columns = True
        return rendered

    async def send(self, event_type: str, obj: dict[str, Any]) -> None:
        line = encoding.dumps({"type": event_type, "object": obj}) + "\n"
        await self._response.write(line.encode())

    async def send_object(self, event_type: str, obj: dict[str, Any]) -> None:
        await self.send(event_type, self._render(self._ops.to_served(self._info, obj)))

    async def send_event(self, event: StoredEvent) -> None:
        await self.send_object(event.type.value, event.object)

    async def send_bookmark(self, resource_version: int, *, initial_end: bool = False) -> None:
        metadata: dict[str, Any] = {"resourceVersion": str(resource_version)}
        if initial_end:
            metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
        await self.send(
            "BOOKMARK",
            {"kind": self._info.kind, "apiVersion": self._info.api_version, "metadata": metadata},
        )


async def watch_objects(
    request: web.Request,
    state: ServerState,
    info: ResourceInfo,
    namespace: str | None,
    name: str = "",
) -> web.StreamResponse:
    query = params.watch_params(request.query)
    selector = query.selector
    if name:
        selector = params.selector({"fieldSelector": f"metadata.name={name}"})
    initial: list[dict[str, Any]] = []
    since = query.since
    if since is None:
        listing = await state.operations.list(info, namespace, selector=selector)
        initial, since = listing.items, listing.resource_version
    as_table = encoding.wants_table(request)
    response = web.StreamResponse(headers={"Content-Type": encoding.JSON_MEDIA})
    response.enable_chunked_encoding()
    try:
        watcher = state.hub.watch(
            info.storage_key, since=since, namespace=namespace, selector=selector
        )
    except ExpiredError as exc:
        # Clients (client-go, the Python client) expect the 410 as an ERROR event.
        await response.prepare(request)
        stream = _WatchStream(response, state.operations, info, as_table, query.include)
        await stream.send("ERROR", errors.expired(str(exc)).to_status())
        return response
    state.metrics.watchers.inc()
    try:
        await response.prepare(request)
        stream = _WatchStream(response, state.operations, info, as_table, query.include)
        for obj in initial:
            await stream.send_object("ADDED", obj)
        if query.send_initial_events:
            await stream.send_bookmark(since, initial_end=True)
        await _pump(stream, watcher, state, query)
    except ConnectionResetError:
        pass  # the client went away
    finally:
        watcher.close()
        state.metrics.watchers.dec()
    return response


async def _pump(
    stream: _WatchStream, watcher: Watcher, state: ServerState, query: params.WatchParams
) -> None:
    timeout = query.timeout_seconds or state.watch_timeout_seconds
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        wait = min(remaining, state.bookmark_interval_seconds) if query.bookmarks else remaining
        event = await watcher.next(wait)
        if event is not None:
            await stream.send_event(event)
            continue
        if watcher.closed:
            return
        if query.bookmarks and watcher.idle and time.monotonic() < deadline:
            with contextlib.suppress(ConnectionResetError):
                await stream.send_bookmark(state.hub.last_resource_version)
