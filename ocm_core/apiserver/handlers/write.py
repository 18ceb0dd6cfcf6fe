"""POST, PUT, PATCH, DELETE and DELETE-collection of any served kind (and its subresources)."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from ocm_core.apiserver import errors
from ocm_core.apiserver.handlers import encoding, params
from ocm_core.apiserver.operations import PatchType, scale_view
from ocm_core.apiserver.registry import SCALE, ResourceInfo
from ocm_core.apiserver.state import ServerState, request_user

_PATCH_TYPES: Final = {p.value: p for p in PatchType}
#: metadata fields a client may send; anything else is an unknown field under Strict validation.
_KNOWN_METADATA: Final = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


def _check_fields(request: web.Request, body: Any) -> None:
    """``fieldValidation=Strict``: reject unknown metadata fields (no schemas for the rest)."""
    if params.field_validation(request.query) != "Strict" or not isinstance(body, dict):
        return
    unknown = sorted(set(body.get("metadata") or {}) - _KNOWN_METADATA)
    if unknown:
        raise errors.bad_request(f'strict decoding error: unknown field "metadata.{unknown[0]}"')


async def _object_body(request: web.Request, state: ServerState) -> dict[str, Any]:
    body = await encoding.read_body(request, state.max_body_bytes)
    obj = encoding.decode_object(body, request.headers.get("Content-Type", ""))
    _check_fields(request, obj)
    return obj


async def create(
    request: web.Request, state: ServerState, info: ResourceInfo, namespace: str
) -> web.Response:
    obj = await _object_body(request, state)
    options = params.write_options(request.query, request_user(request))
    created = await state.operations.create(info, namespace, obj, options)
    return encoding.json_response(created, 201)


async def update(
    request: web.Request,
    state: ServerState,
    info: ResourceInfo,
    namespace: str,
    name: str,
    sub: str,
) -> web.Response:
    obj = await _object_body(request, state)
    updated = await state.operations.update(
        info, namespace, name, obj, subresource=sub, options=params.write_options(request.query)
    )
    return encoding.json_response(scale_view(info, updated) if sub == SCALE else updated)


def _patch_type(request: web.Request) -> PatchType:
    media = encoding.media_type(request.headers.get("Content-Type"))
    patch_type = _PATCH_TYPES.get(media)
    if patch_type is None:
        raise errors.unsupported_media_type()
    return patch_type


async def patch(
    request: web.Request,
    state: ServerState,
    info: ResourceInfo,
    namespace: str,
    name: str,
    sub: str,
) -> web.Response:
    patch_type = _patch_type(request)
    raw = await encoding.read_body(request, state.max_body_bytes)
    body = encoding.decode_yaml(raw) if patch_type is PatchType.APPLY else encoding.decode_json(raw)
    _check_fields(request, body)
    result = await state.operations.patch(
        info,
        namespace,
        name,
        patch_type,
        body,
        subresource=sub,
        options=params.write_options(request.query, request_user(request)),
    )
    obj = scale_view(info, result.object) if sub == SCALE else result.object
    return encoding.json_response(obj, 201 if result.created else 200)


async def _delete_body(request: web.Request, state: ServerState) -> dict[str, Any] | None:
    raw = await encoding.read_body(request, state.max_body_bytes)
    if not raw.strip():
        return None
    if encoding.media_type(request.headers.get("Content-Type")) == encoding.PROTOBUF_MEDIA:
        return None  # helm's protobuf DeleteOptions carry nothing we act on
    body = encoding.decode_json(raw)
    if not isinstance(body, dict):
        raise errors.bad_request("DeleteOptions must be a JSON object")
    return body


async def delete(
    request: web.Request, state: ServerState, info: ResourceInfo, namespace: str, name: str
) -> web.Response:
    options = params.delete_options(request.query, await _delete_body(request, state))
    result = await state.operations.delete(info, namespace, name, options)
    return encoding.json_response(result.object, 200 if result.removed else 202)


async def delete_collection(
    request: web.Request, state: ServerState, info: ResourceInfo, namespace: str | None
) -> web.Response:
    options = params.delete_options(request.query, await _delete_body(request, state))
    deleted = await state.operations.delete_collection(
        info, namespace, params.selector(request.query), options
    )
    return encoding.json_response(
        {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": {}, "items": deleted}
    )
