"""POST, PUT, PATCH, DELETE and DELETE-collection of any served kind (and its subresources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from ocm_core.apiserver import errors, fieldvalidation
from ocm_core.apiserver.handlers import encoding, params
from ocm_core.apiserver.operations import PatchedCheck, PatchType, scale_view
from ocm_core.apiserver.registry import SCALE, STATUS, ResourceInfo
from ocm_core.apiserver.schemas import schema_for
from ocm_core.apiserver.state import ServerState, request_user

_PATCH_TYPES: Final = {p.value: p for p in PatchType}
WARNING_HEADER: Final = "Warning"
#: kube prefixes the problems of a JSON patch's own body (its operations) with this.
_JSON_PATCH_PREFIX: Final = "json patch "
#: Subresources whose body is not the kind itself (``scale`` is a Scale): not schema-checked.
_SCHEMA_CHECKED_SUBRESOURCES: Final = ("", STATUS)


@dataclass(frozen=True)
class _Target:
    """What a write addresses, for field validation's messages."""

    info: ResourceInfo
    namespace: str
    name: str
    subresource: str = ""


def _validated(
    request: web.Request,
    target: _Target,
    decoded: fieldvalidation.Decoded,
    patch_type: PatchType | None = None,
) -> tuple[Any, list[str]]:
    """The body to write (unknown fields pruned) and the warnings to send; raises under Strict."""
    mode = fieldvalidation.mode_of(params.field_validation(request.query))
    body = decoded.value
    if target.subresource not in _SCHEMA_CHECKED_SUBRESOURCES or not isinstance(body, dict):
        return body, []
    schema = schema_for(target.info)
    is_patch = patch_type is not None
    unknown = fieldvalidation.unknown_fields(schema, body, patch=is_patch)
    if unknown:
        body = fieldvalidation.prune_unknown(schema, body, patch=is_patch)
    found = fieldvalidation.problems(decoded.duplicates, unknown)
    if not found or mode is fieldvalidation.Mode.IGNORE:
        return body, []
    if mode is fieldvalidation.Mode.STRICT:
        raise _strict_error(target, decoded.value, found, unknown, patch_type)
    return body, found


def _patched_object_check(
    request: web.Request, target: _Target, decoded: fieldvalidation.Decoded, warnings: list[str]
) -> PatchedCheck | None:
    """Field validation of a JSON patch, whose body is operations, not fields: as kube does,
    the patched object is checked (for the unknown fields the patch introduces) and pruned.
    ``warnings`` receives the problems to send under Warn (reset on every call: a conflict
    retries the patch)."""
    if target.subresource not in _SCHEMA_CHECKED_SUBRESOURCES:
        return None
    mode = fieldvalidation.mode_of(params.field_validation(request.query))
    schema = schema_for(target.info)
    duplicates = [f"{_JSON_PATCH_PREFIX}{text}" for text in decoded.duplicates]

    def check(before: dict[str, Any], patched: dict[str, Any]) -> dict[str, Any]:
        unknown = fieldvalidation.introduced_unknown_fields(schema, before, patched)
        found = fieldvalidation.problems(duplicates, unknown)
        warnings[:] = found if mode is fieldvalidation.Mode.WARN else []
        if found and mode is fieldvalidation.Mode.STRICT:
            detail = fieldvalidation.strict_decoding_error(found)
            raise errors.invalid_patched_object(patched, detail)
        pruned: dict[str, Any] = fieldvalidation.prune_unknown(schema, patched)
        return pruned

    return check


def _strict_error(
    target: _Target,
    body: Any,
    found: list[str],
    unknown: list[str],
    patch_type: PatchType | None,
) -> errors.ApiError:
    info = target.info
    if patch_type is PatchType.APPLY and unknown:
        message = fieldvalidation.typed_patch_message(
            target.namespace, target.name, info.api_version, info.kind, unknown[0]
        )
        return errors.ApiError(500, "InternalError", message)
    if patch_type is None or patch_type is PatchType.APPLY:
        return errors.bad_request(
            fieldvalidation.strict_decoding_message(info.kind, info.version, found)
        )
    return errors.invalid_patch(body, fieldvalidation.strict_decoding_error(found))


def validated_create(
    request: web.Request, info: ResourceInfo, namespace: str, decoded: fieldvalidation.Decoded
) -> tuple[Any, list[str]]:
    """Field validation of a create body (also of kinds served by their own handlers, such as
    the reviews): the body to use and the warnings to send; raises under Strict."""
    return _validated(request, _Target(info, namespace, ""), decoded)


def with_warnings(response: web.Response, warnings: list[str]) -> web.Response:
    """``response`` with one ``Warning`` header per field-validation problem."""
    for text in warnings:
        response.headers.add(WARNING_HEADER, fieldvalidation.warning_header(text))
    return response


async def _object_body(
    request: web.Request, state: ServerState, target: _Target
) -> tuple[dict[str, Any], list[str]]:
    raw = await encoding.read_body(request, state.max_body_bytes)
    decoded = encoding.decode_object_checked(raw, request.headers.get("Content-Type", ""))
    body, warnings = _validated(request, target, decoded)
    return body, warnings


async def create(
    request: web.Request, state: ServerState, info: ResourceInfo, namespace: str
) -> web.Response:
    obj, warnings = await _object_body(request, state, _Target(info, namespace, ""))
    options = params.write_options(request.query, request_user(request))
    created = await state.operations.create(info, namespace, obj, options)
    return with_warnings(encoding.json_response(created, 201), warnings)


async def update(
    request: web.Request,
    state: ServerState,
    info: ResourceInfo,
    namespace: str,
    name: str,
    sub: str,
) -> web.Response:
    obj, warnings = await _object_body(request, state, _Target(info, namespace, name, sub))
    updated = await state.operations.update(
        info, namespace, name, obj, subresource=sub, options=params.write_options(request.query)
    )
    response = encoding.json_response(scale_view(info, updated) if sub == SCALE else updated)
    return with_warnings(response, warnings)


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
    if patch_type is PatchType.APPLY:
        decoded = encoding.decode_yaml_checked(raw)
    else:
        decoded = encoding.decode_json_checked(raw)
    target = _Target(info, namespace, name, sub)
    check_patched = None
    if patch_type is PatchType.JSON:
        body, warnings = decoded.value, list[str]()
        check_patched = _patched_object_check(request, target, decoded, warnings)
    else:
        body, warnings = _validated(request, target, decoded, patch_type)
    result = await state.operations.patch(
        info,
        namespace,
        name,
        patch_type,
        body,
        subresource=sub,
        options=params.write_options(request.query, request_user(request)),
        check_patched=check_patched,
    )
    obj = scale_view(info, result.object) if sub == SCALE else result.object
    return with_warnings(encoding.json_response(obj, 201 if result.created else 200), warnings)


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
