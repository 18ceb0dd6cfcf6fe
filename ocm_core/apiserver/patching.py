"""The four PATCH flavours kube-apiserver accepts, over plain JSON values. Pure.

* :func:`json_merge_patch`: RFC 7386 (``null`` deletes, lists are replaced).
* :func:`json_patch`: RFC 6902 (add, remove, replace, move, copy, test).
* :func:`strategic_merge_patch`: the subset of Kubernetes strategic merge patch that kubectl
  emits for built-in kinds (keyed list merge, ``$patch``, ``$retainKeys``,
  ``$setElementOrder``, ``$deleteFromPrimitiveList``).
* :func:`server_side_apply`: create-or-merge with per-manager field ownership kept in
  ``metadata.managedFields`` (FieldsV1), so fields a manager stops applying are removed.

Every function returns a new value and never mutates its inputs. Bad patches raise
:class:`PatchError` with a message that says what is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Final

JSON = Any

PATCH_DIRECTIVE: Final = "$patch"
RETAIN_KEYS: Final = "$retainKeys"
SET_ELEMENT_ORDER: Final = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList/"

#: patchMergeKey of the keyed lists kubectl's strategic patches touch (k8s.io/api tags).
_MERGE_KEYS: Final = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "secrets": "name",
    "topologySpreadConstraints": "topologyKey",
}
#: Lists of scalars with patchStrategy=merge: a patch adds to them instead of replacing.
_PRIMITIVE_MERGE_LISTS: Final = frozenset({"finalizers"})
_CONTAINER_LISTS: Final = frozenset({"containers", "initContainers", "ephemeralContainers"})


class PatchError(ValueError):
    """The patch cannot be applied; the message names the operation or path."""


class ApplyConflictError(PatchError):
    """An apply would change fields another applier owns (and ``force`` was not set)."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        self.conflicts = conflicts  # (manager, ".dotted.path")
        count = len(conflicts)
        listed = "; ".join(f'conflict with "{m}": {p}' for m, p in conflicts)
        super().__init__(f"Apply failed with {count} conflict{'s' if count > 1 else ''}: {listed}")


# --- RFC 7386 -------------------------------------------------------------------------------


def json_merge_patch(target: JSON, patch: JSON) -> JSON:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# --- RFC 6902 -------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}: must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise PatchError(f"invalid array index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError(f"array index {index} out of range")
    return index


def _parent(doc: JSON, tokens: list[str], path: str) -> JSON:
    current = doc
    for token in tokens[:-1]:
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list):
            current = current[_index(current, token, allow_end=False)]
        else:
            raise PatchError(f"path {path!r} does not exist")
    return current


def _get(doc: JSON, path: str) -> JSON:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, allow_end=False)]
    raise PatchError(f"path {path!r} does not exist")


def _add(doc: JSON, path: str, value: JSON) -> JSON:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], allow_end=True), value)
    else:
        raise PatchError(f"cannot add at {path!r}: parent is not an object or array")
    return doc


def _remove(doc: JSON, path: str) -> JSON:
    tokens = _pointer(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    if isinstance(parent, dict) and tokens[-1] in parent:
        del parent[tokens[-1]]
    elif isinstance(parent, list):
        del parent[_index(parent, tokens[-1], allow_end=False)]
    else:
        raise PatchError(f"cannot remove {path!r}: it does not exist")
    return doc


def json_patch(target: JSON, operations: JSON) -> JSON:
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be an array of operations")
    doc = copy.deepcopy(target)
    for number, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"operation {number} needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {number} ({kind}) needs 'value'")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            doc = (
                _add(_remove(doc, path), path, copy.deepcopy(op["value"])) if path else op["value"]
            )
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise PatchError(f"operation {number} ({kind}) needs 'from'")
            value = copy.deepcopy(_get(doc, op["from"]))
            if kind == "move":
                doc = _remove(doc, op["from"])
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError(f"test operation at {path!r} failed")
        else:
            raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc


# --- strategic merge patch ------------------------------------------------------------------


def _merge_key(field: str, parents: tuple[str, ...]) -> str | None:
    if field == "ports":
        # Container ports merge on containerPort, Service ports on port.
        return "containerPort" if parents and parents[-1] in _CONTAINER_LISTS else "port"
    return _MERGE_KEYS.get(field)


def strategic_merge_patch(target: JSON, patch: JSON) -> JSON:
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    return _smp_map(target if isinstance(target, dict) else {}, patch, ())


def _smp_map(target: dict[str, Any], patch: dict[str, Any], parents: tuple[str, ...]) -> Any:
    directive = patch.get(PATCH_DIRECTIVE)
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != PATCH_DIRECTIVE}
    if directive == "delete":
        return None
    if directive is not None:
        raise PatchError(f"unknown $patch directive {directive!r}")
    result = copy.deepcopy(target)
    for key, value in patch.items():
        if key in (PATCH_DIRECTIVE, RETAIN_KEYS) or key.startswith(SET_ELEMENT_ORDER):
            continue
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            field = key[len(DELETE_FROM_PRIMITIVE_LIST) :]
            result[field] = [v for v in result.get(field) or [] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            existing = result.get(key)
            merged = _smp_map(
                existing if isinstance(existing, dict) else {}, value, (*parents, key)
            )
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(result.get(key), value, key, parents)
        else:
            result[key] = copy.deepcopy(value)
    retain = patch.get(RETAIN_KEYS)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(current: Any, patch: list[Any], field: str, parents: tuple[str, ...]) -> list[Any]:
    if any(isinstance(i, dict) and i.get(PATCH_DIRECTIVE) == "replace" for i in patch):
        return [
            copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and PATCH_DIRECTIVE in i)
        ]
    existing = list(current) if isinstance(current, list) else []
    if field in _PRIMITIVE_MERGE_LISTS:
        return copy.deepcopy(existing) + [copy.deepcopy(v) for v in patch if v not in existing]
    key = _merge_key(field, parents)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return copy.deepcopy(patch)
    result = copy.deepcopy(existing)
    for item in patch:
        if key not in item:
            raise PatchError(f"an item of {field} has no merge key {key!r}")
        position = next(
            (
                n
                for n, old in enumerate(result)
                if isinstance(old, dict) and old.get(key) == item[key]
            ),
            None,
        )
        if item.get(PATCH_DIRECTIVE) == "delete":
            if position is not None:
                del result[position]
        elif position is None:
            result.append({k: copy.deepcopy(v) for k, v in item.items() if k != PATCH_DIRECTIVE})
        else:
            result[position] = _smp_map(result[position], item, (*parents, field))
    return result


# --- server-side apply ----------------------------------------------------------------------

#: Fields that identify the object rather than being owned by a manager.
_IDENTITY_PATHS: Final = frozenset(
    {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
)
_SERVER_OWNED_META: Final = frozenset(
    {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"}
)

Path = tuple[str, ...]


def leaf_paths(value: JSON, prefix: Path = ()) -> set[Path]:
    """Every leaf of a JSON object; lists are atomic leaves (no associative-list tracking)."""
    if isinstance(value, dict) and value:
        paths: set[Path] = set()
        for key, child in value.items():
            if prefix == ("metadata",) and key in _SERVER_OWNED_META:
                continue
            paths |= leaf_paths(child, (*prefix, key))
        return paths
    return {prefix} if prefix else set()


def encode_fields(paths: Iterable[Path]) -> dict[str, Any]:
    """Paths as FieldsV1 (``{"f:metadata":{"f:labels":{"f:app":{}}}}``)."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return root


def decode_fields(fields: Any, prefix: Path = ()) -> set[Path]:
    if not isinstance(fields, dict) or not fields:
        return {prefix} if prefix else set()
    paths: set[Path] = set()
    for key, child in fields.items():
        if key.startswith("f:"):
            paths |= decode_fields(child, (*prefix, key[2:]))
    return paths


_MISSING: Final = object()


def _value_at(obj: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def _delete_path(obj: dict[str, Any], path: Path) -> None:
    node: Any = obj
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _apply_merge(live: JSON, applied: JSON) -> JSON:
    if isinstance(live, dict) and isinstance(applied, dict):
        result = copy.deepcopy(live)
        for key, value in applied.items():
            result[key] = _apply_merge(result.get(key), value)
        return result
    return copy.deepcopy(applied)


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    manager: str,
    timestamp: str,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """The object after ``manager`` applies ``applied`` over ``live`` (None: create).

    Fields another *applier* owns with a different value conflict (ApplyConflictError) unless
    ``force``, which moves their ownership to ``manager``. Fields ``manager`` applied before
    and omits now are removed unless another applier still owns them.
    """
    if not isinstance(applied, dict):
        raise PatchError("an apply patch must be a single object")
    owned_now = leaf_paths(applied) - _IDENTITY_PATHS
    entries = list((live or {}).get("metadata", {}).get("managedFields") or [])
    previously: set[Path] = set()
    others: dict[str, set[Path]] = {}
    kept_entries = []
    for entry in entries:
        paths = decode_fields(entry.get("fieldsV1"))
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            previously = paths
            continue
        others[entry.get("manager", "")] = paths
        kept_entries.append(entry)
    conflicts = [
        (other, path)
        for other, paths in others.items()
        for path in sorted(owned_now & paths)
        if _value_at(live, path) != _value_at(applied, path)
    ]
    if conflicts and not force:
        raise ApplyConflictError([(m, "." + ".".join(p)) for m, p in conflicts])
    if conflicts:
        taken = {p for _, p in conflicts}
        for entry in kept_entries:
            remaining = decode_fields(entry.get("fieldsV1")) - taken
            entry["fieldsV1"] = encode_fields(sorted(remaining))
            others[entry.get("manager", "")] = remaining
    owned_by_others = set().union(*others.values()) if others else set()
    result = _apply_merge(copy.deepcopy(live) if live else {}, applied)
    for path in previously - owned_now - owned_by_others:
        _delete_path(result, path)
    kept_entries.append(
        {
            "manager": manager,
            "operation": "Apply",
            "apiVersion": applied.get("apiVersion", ""),
            "time": timestamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": encode_fields(sorted(owned_now)),
        }
    )
    result.setdefault("metadata", {})["managedFields"] = kept_entries
    return dict(result)
