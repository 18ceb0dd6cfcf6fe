"""Route ``/api/...`` and ``/apis/...`` resource requests to the verb handlers."""

from __future__ import annotations

from aiohttp import web

from ocm_core.apiserver import errors
from ocm_core.apiserver.handlers import read, write
from ocm_core.apiserver.registry import ResourceInfo
from ocm_core.apiserver.requestinfo import RequestInfo
from ocm_core.apiserver.state import (
    STATE,
    ServerState,
    SubresourceRequest,
    request_info,
    request_user,
)


def _resource(state: ServerState, req: RequestInfo) -> ResourceInfo:
    info = state.registry.lookup(req.api_group, req.api_version, req.resource)
    if info is None:
        raise errors.no_such_route()
    known = req.subresource in info.subresources
    plugged = (info.storage_key, req.subresource) in state.subresource_handlers
    if req.subresource and not known and not plugged:
        raise errors.no_such_route()
    return info


def _namespace(info: ResourceInfo, req: RequestInfo) -> str:
    if not info.namespaced:
        return ""
    if not req.namespace and req.name:
        raise errors.no_such_route()
    return req.namespace


async def handle(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    req = request_info(request)
    if not req.resource_request:
        raise errors.no_such_route()
    info = _resource(state, req)
    if req.verb not in info.verbs and req.verb not in ("watch", "deletecollection"):
        raise errors.method_not_allowed(req.verb, info.resource)
    namespace = _namespace(info, req)
    custom = state.subresource_handlers.get((info.storage_key, req.subresource))
    if custom is not None:
        return await custom(
            SubresourceRequest(request, info, namespace, req.name, request_user(request))
        )
    collection_ns = (namespace or None) if info.namespaced else None
    sub = req.subresource
    match req.verb:
        case "get":
            return await read.get_object(request, state, info, namespace, req.name, sub)
        case "list":
            return await read.list_objects(request, state, info, collection_ns)
        case "watch":
            return await read.watch_objects(request, state, info, collection_ns, req.name)
        case "create" if not req.name:
            return await write.create(request, state, info, namespace)
        case "update":
            return await write.update(request, state, info, namespace, req.name, sub)
        case "patch":
            return await write.patch(request, state, info, namespace, req.name, sub)
        case "delete" if not sub:
            return await write.delete(request, state, info, namespace, req.name)
        case "deletecollection":
            return await write.delete_collection(request, state, info, collection_ns)
    raise errors.method_not_allowed(request.method, info.resource)
