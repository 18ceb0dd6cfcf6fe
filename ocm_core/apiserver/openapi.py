"""OpenAPI documents: server-side field validation for kubectl/helm, schemas for explain. Pure.

Each kind gets one PATCH operation carrying ``x-kubernetes-group-version-kind`` and a
``fieldValidation`` query parameter; with that, kubectl ≥ 1.29 and helm skip client-side
validation (kube-api-surface §1.4). Kinds with a schema (CRD versions, the built-in kinds of
:mod:`ocm_core.apiserver.schemas`) also get it in ``components.schemas``, tagged with their
GVK as kube does, so ``kubectl explain`` (which reads OpenAPI v3) can describe them and
their fields. kubectl 1.27/1.28 read only ``/openapi/v2`` as a gnostic ``openapi_v2.Document``
protobuf, hand-encoded here with the field numbers of §1.5 (no schemas there). The core/v1
document always includes the Namespace path (clients use it as the proxy for CRDs).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Final

from ocm_core.apiserver.discovery import VERSION_INFO
from ocm_core.apiserver.registry import CRD_GROUP, Registry, ResourceInfo
from ocm_core.apiserver.schemas import OBJECT_FIELDS, schema_for

GVK_EXTENSION: Final = "x-kubernetes-group-version-kind"
_BUILTIN_PACKAGE_PREFIX: Final = "io.k8s.api"
_APIEXTENSIONS_PACKAGE: Final = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions"
_QUERY_PARAMS: Final = ("fieldValidation", "dryRun", "fieldManager", "force")
#: Only the generic patch types: listing strategic merge would make kubectl look for schemas.
_PATCH_MEDIA_TYPES: Final = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)


def _gv_path(info: ResourceInfo) -> str:
    return f"api/{info.version}" if not info.group else f"apis/{info.group}/{info.version}"


def _item_path(info: ResourceInfo) -> str:
    if info.namespaced:
        return f"/{_gv_path(info)}/namespaces/{{namespace}}/{info.resource}/{{name}}"
    return f"/{_gv_path(info)}/{info.resource}/{{name}}"


def _gvk(info: ResourceInfo) -> dict[str, str]:
    return {"group": info.group, "version": info.version, "kind": info.kind}


def _patch_operation(info: ResourceInfo) -> dict[str, Any]:
    return {
        GVK_EXTENSION: _gvk(info),
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string"}} for name in _QUERY_PARAMS
        ],
        "requestBody": {
            "content": {media: {"schema": {"type": "object"}} for media in _PATCH_MEDIA_TYPES}
        },
        "responses": {"200": {"description": "OK"}},
    }


def schema_name(info: ResourceInfo) -> str:
    """kube's definition name: for custom resources the reversed group, version and kind
    (``io.open-cluster-management.cluster.v1.ManagedCluster``), for built-in kinds the Go
    package's (``io.k8s.api.core.v1.Pod``, ``io.k8s.api.apps.v1.Deployment``)."""
    if info.crd_name:
        prefix = ".".join(reversed(info.group.split(".")))
    elif info.group == CRD_GROUP:
        prefix = _APIEXTENSIONS_PACKAGE
    else:
        prefix = f"{_BUILTIN_PACKAGE_PREFIX}.{info.group.split('.')[0] or 'core'}"
    return f"{prefix}.{info.version}.{info.kind}"


def published_schema(info: ResourceInfo) -> dict[str, Any] | None:
    """The kind's schema as published: GVK-tagged, apiVersion/kind/metadata always described."""
    schema = schema_for(info)
    if schema is None:
        return None
    properties = {**OBJECT_FIELDS, **(schema.get("properties") or {})}
    return {
        **schema,
        "properties": properties,
        GVK_EXTENSION: [_gvk(info)],
    }


def _by_group_version(registry: Registry) -> dict[str, list[ResourceInfo]]:
    grouped: dict[str, list[ResourceInfo]] = defaultdict(list)
    for info in registry.all():
        grouped[_gv_path(info)].append(info)
    return grouped


def v3_document(registry: Registry, gv_path: str) -> dict[str, Any] | None:
    infos = _by_group_version(registry).get(gv_path)
    if not infos:
        return None
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION_INFO["gitVersion"]},
        "paths": {_item_path(i): {"patch": _patch_operation(i)} for i in infos},
        "components": {"schemas": _schemas(infos)},
    }


def _schemas(infos: list[ResourceInfo]) -> dict[str, Any]:
    schemas = {}
    for info in infos:
        schema = published_schema(info)
        if schema is not None:
            schemas[schema_name(info)] = schema
    return schemas


def document_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:32].upper()


def v3_root(registry: Registry) -> dict[str, Any]:
    paths = {}
    for gv_path in sorted(_by_group_version(registry)):
        document = v3_document(registry, gv_path)
        assert document is not None
        paths[gv_path] = {
            "serverRelativeURL": f"/openapi/v3/{gv_path}?hash={document_hash(document)}"
        }
    return {"paths": paths}


# --- /openapi/v2 as gnostic protobuf ----------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field (wire type 2): every field this document uses."""
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _v2_operation(info: ResourceInfo) -> bytes:
    query = _field(2, "query") + _field(4, "fieldValidation") + _field(6, "string")
    parameter = _field(1, _field(2, _field(3, query)))  # ParametersItem{Parameter{NonBody{Query}}}
    gvk_yaml = f'group: "{info.group}"\nkind: {info.kind}\nversion: {info.version}\n'
    extension = _field(1, "x-kubernetes-group-version-kind") + _field(2, _field(2, gvk_yaml))
    return _field(8, parameter) + _field(13, extension)


def v2_protobuf(registry: Registry) -> bytes:
    info_msg = _field(1, "Kubernetes") + _field(2, VERSION_INFO["gitVersion"])
    paths = b"".join(
        _field(2, _field(1, _item_path(i)) + _field(2, _field(8, _v2_operation(i))))
        for i in registry.all()
    )
    return _field(1, "2.0") + _field(2, info_msg) + _field(8, paths)
