"""Non-resource endpoints: version, discovery, OpenAPI, health and metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ocm_core.apiserver import discovery, errors, openapi
from ocm_core.apiserver.handlers.encoding import dumps, json_response
from ocm_core.apiserver.state import STATE


async def version(request: web.Request) -> web.Response:
    return json_response(discovery.VERSION_INFO)


def _aggregated(request: web.Request, *, core: bool) -> web.Response | None:
    version = discovery.aggregated_version(request.headers.get("Accept", ""))
    if version is None:
        return None
    document = discovery.aggregated(request.app[STATE].registry, core=core, version=version)
    return web.Response(
        body=dumps(document).encode(),
        headers={"Content-Type": discovery.aggregated_content_type(version), "Vary": "Accept"},
    )


async def api(request: web.Request) -> web.Response:
    return _aggregated(request, core=True) or json_response(discovery.api_versions(request.host))


async def apis(request: web.Request) -> web.Response:
    registry = request.app[STATE].registry
    return _aggregated(request, core=False) or json_response(discovery.api_group_list(registry))


async def api_group(request: web.Request) -> web.Response:
    document = discovery.api_group(request.app[STATE].registry, request.match_info["group"])
    if document is None:
        raise errors.no_such_route()
    return json_response(document)


async def core_resources(request: web.Request) -> web.Response:
    return _resource_list(request, "", request.match_info["version"])


async def group_resources(request: web.Request) -> web.Response:
    return _resource_list(request, request.match_info["group"], request.match_info["version"])


def _resource_list(request: web.Request, group: str, version: str) -> web.Response:
    document = discovery.api_resource_list(request.app[STATE].registry, group, version)
    if document is None:
        raise errors.no_such_route()
    return json_response(document)


async def openapi_v3_root(request: web.Request) -> web.Response:
    return json_response(openapi.v3_root(request.app[STATE].registry))


async def openapi_v3_document(request: web.Request) -> web.Response:
    document = openapi.v3_document(request.app[STATE].registry, request.match_info["gv"])
    if document is None:
        raise errors.no_such_route()
    return json_response(document)


async def openapi_v2(request: web.Request) -> web.Response:
    # Not the gnostic media type: Go's mime parser rejects its '@' (kube-api-surface §1.5).
    return web.Response(
        body=openapi.v2_protobuf(request.app[STATE].registry),
        content_type="application/octet-stream",
    )


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def readyz(request: web.Request) -> web.Response:
    if not request.app[STATE].ready:
        return web.Response(text="not ready", status=503)
    return web.Response(text="ok")


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[STATE].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
