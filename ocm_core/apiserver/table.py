"""Server-side ``Table`` rendering (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``). Pure.

Columns: Name, the kind's printer columns (CRD ``additionalPrinterColumns``), then Age for
built-ins and for CRDs that declare no columns (kube's default). Every row carries ``object``
(PartialObjectMetadata by default, the full object with ``includeObject=Object``), which
kubectl needs for ``-A`` and ``--show-labels``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from ocm_core.apiserver import jsonpath
from ocm_core.apiserver.registry import PrinterColumn, ResourceInfo

_NAME_COLUMN: Final = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE_COLUMN: Final = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is the time the object was created.",
    "priority": 0,
}


class IncludeObject(StrEnum):
    NONE = "None"
    METADATA = "Metadata"
    OBJECT = "Object"


def human_duration(seconds: float) -> str:
    """kubectl's short age format: 45s, 12m, 5h, 3d, 2y."""
    seconds = max(0, int(seconds))
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit in "ydh" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _age(timestamp: Any, now: datetime) -> str:
    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        created = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    return human_duration((now - created).total_seconds())


def _show_age(info: ResourceInfo) -> bool:
    return not info.crd_name or not info.printer_columns


def column_definitions(info: ResourceInfo) -> list[dict[str, Any]]:
    columns = [dict(_NAME_COLUMN)]
    columns += [
        {
            "name": c.name,
            "type": c.type,
            "format": c.format,
            "description": c.description,
            "priority": c.priority,
        }
        for c in info.printer_columns
    ]
    if _show_age(info):
        columns.append(dict(_AGE_COLUMN))
    return columns


def _cell(obj: dict[str, Any], column: PrinterColumn, now: datetime) -> Any:
    try:
        values = jsonpath.evaluate(obj, column.json_path)
    except jsonpath.JSONPathError:
        return None
    if not values:
        return None
    value = values[0]
    if column.type == "date":
        return _age(value, now)
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def _row_object(obj: dict[str, Any], include: IncludeObject) -> dict[str, Any] | None:
    if include is IncludeObject.OBJECT:
        return obj
    if include is IncludeObject.METADATA:
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {}),
        }
    return None


def to_row(
    info: ResourceInfo, obj: dict[str, Any], include: IncludeObject, now: datetime
) -> dict[str, Any]:
    meta = obj.get("metadata", {})
    cells: list[Any] = [meta.get("name", "")]
    cells += [_cell(obj, c, now) for c in info.printer_columns]
    if _show_age(info):
        cells.append(_age(meta.get("creationTimestamp"), now))
    row: dict[str, Any] = {"cells": cells}
    row_object = _row_object(obj, include)
    if row_object is not None:
        row["object"] = row_object
    return row


def to_table(
    info: ResourceInfo,
    objects: list[dict[str, Any]],
    *,
    include: IncludeObject,
    now: datetime,
    resource_version: str = "",
    continue_token: str | None = None,
    with_columns: bool = True,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    table: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions(info) if with_columns else [],
        "rows": [to_row(info, o, include, now) for o in objects],
    }
    return table
