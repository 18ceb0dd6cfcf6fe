"""Request bodies in, JSON (or Table) out: media types, size limit, decoding errors as Status."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

import yaml
from aiohttp import web
from aiohttp.hdrs import CONTENT_ENCODING

from ocm_core.apiserver import errors, fieldvalidation, protobuf

JSON_MEDIA: Final = "application/json"
YAML_MEDIA: Final = "application/yaml"
PROTOBUF_MEDIA: Final = "application/vnd.kubernetes.protobuf"


def media_type(header: str | None) -> str:
    """The bare media type of a Content-Type header ("" when absent)."""
    return (header or "").split(";")[0].strip().lower()


def wants_table(request: web.Request) -> bool:
    """kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` first when it can."""
    for candidate in request.headers.get("Accept", "").split(","):
        params = {p.strip() for p in candidate.split(";")[1:]}
        if "as=Table" in params and "g=meta.k8s.io" in params:
            return True
    return False


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class EncodedLines:
    """Watch lines shared by every watcher of the same event: one ``json.dumps`` per event and
    served version instead of one per watcher (bounded; oldest entries are dropped)."""

    def __init__(self, size: int = 4096) -> None:
        self._lines: OrderedDict[tuple[int, str, str], bytes] = OrderedDict()
        self._size = size

    def get(self, key: tuple[int, str, str], encode: Callable[[], bytes]) -> bytes:
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = encode()
            if len(self._lines) > self._size:
                self._lines.popitem(last=False)
        return line


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(obj), status=status, content_type=JSON_MEDIA)


def status_response(error: errors.ApiError) -> web.Response:
    return json_response(error.to_status(), error.code)


async def read_body(request: web.Request, limit: int) -> bytes:
    length = request.content_length
    if length is not None and length > limit:
        raise errors.request_entity_too_large(limit)
    if length is not None and CONTENT_ENCODING not in request.headers:
        # The body is exactly Content-Length bytes: one read instead of a chunk loop.
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # the client went away mid-body; decoding reports it
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise errors.request_entity_too_large(limit)
    return bytes(body)


def decode_json(body: bytes) -> Any:
    return decode_json_checked(body).value


def decode_json_checked(body: bytes) -> fieldvalidation.Decoded:
    """The JSON value and its duplicate fields."""
    try:
        return fieldvalidation.decode_json(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"the request body is not valid JSON: {exc}") from None


def decode_yaml_checked(body: bytes) -> fieldvalidation.Decoded:
    """The YAML value and its duplicate keys."""
    try:
        return fieldvalidation.decode_yaml(body)
    except yaml.YAMLError as exc:
        raise errors.bad_request(f"the request body is not valid YAML: {exc}") from None


def decode_object(body: bytes, content_type: str) -> dict[str, Any]:
    """A create/update body: JSON (also when no Content-Type, as the Python client sends),
    YAML or Kubernetes protobuf."""
    value: dict[str, Any] = decode_object_checked(body, content_type).value
    return value


def decode_object_checked(body: bytes, content_type: str) -> fieldvalidation.Decoded:
    """:func:`decode_object` with the duplicate fields of JSON and YAML bodies."""
    media = media_type(content_type)
    if media in ("", JSON_MEDIA, "*/*"):
        decoded = decode_json_checked(body)
    elif media in (YAML_MEDIA, "application/x-yaml", "text/yaml"):
        decoded = decode_yaml_checked(body)
    elif media == PROTOBUF_MEDIA:
        try:
            decoded = fieldvalidation.Decoded(protobuf.decode_object(body))
        except protobuf.ProtobufError as exc:
            raise errors.unsupported_media_type(str(exc)) from None
    else:
        raise errors.unsupported_media_type(
            f"the body of the request was in an unknown format ({media}) - accepted media types "
            f"include: {JSON_MEDIA}, {YAML_MEDIA}, {PROTOBUF_MEDIA}"
        )
    if not isinstance(decoded.value, dict):
        raise errors.bad_request("the request body must be a JSON object")
    return decoded
