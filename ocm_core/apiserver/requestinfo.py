"""Parse a request path + method into the attributes authorization and dispatch use. Pure.

Mirrors kube-apiserver's RequestInfo: ``/api/v1/namespaces/ns/configmaps/x`` →
(group "", version v1, namespace ns, resource configmaps, name x, verb get). Paths outside
``/api`` and ``/apis`` are non-resource requests (``/healthz``, ``/version``, ``/openapi/v3``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

#: Subresources of a Namespace that follow its name directly (``/namespaces/x/status``).
_NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})
_ITEM_VERBS: Final = {
    "GET": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
    "POST": "create",
}
_COLLECTION_VERBS: Final = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}


_NAME_FIELD: Final = "metadata.name"


def authorized_name(info: RequestInfo, query: Mapping[str, str]) -> str:
    """The object name authorization sees: a list/watch narrowed to one object by
    ``fieldSelector=metadata.name=<x>`` counts as a request for ``<x>``, as in kube (so RBAC
    rules with resourceNames allow an informer on a single object)."""
    if info.name or info.verb not in ("list", "watch"):
        return info.name
    selector = query.get("fieldSelector", "")
    if not selector or "," in selector:
        return ""
    field, op, value = selector.partition("==") if "==" in selector else selector.partition("=")
    if not op or field.strip() != _NAME_FIELD or value.startswith("="):
        return ""
    return value.strip()


@dataclass(frozen=True)
class RequestInfo:
    path: str
    verb: str
    resource_request: bool = False
    api_prefix: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""


def parse(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    parts = [p for p in path.strip("/").split("/") if p]
    non_resource = RequestInfo(path=path, verb=method.lower())
    if not parts or parts[0] not in ("api", "apis"):
        return non_resource
    prefix = parts[0]
    if prefix == "api":
        if len(parts) < 3:
            return RequestInfo(
                path=path,
                verb=method.lower(),
                api_prefix=prefix,
                api_version=parts[1] if len(parts) > 1 else "",
            )
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return RequestInfo(
                path=path,
                verb=method.lower(),
                api_prefix=prefix,
                api_group=parts[1] if len(parts) > 1 else "",
                api_version=parts[2] if len(parts) > 2 else "",
            )
        group, version, rest = parts[1], parts[2], parts[3:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3:
        return non_resource
    if name:
        verb = _ITEM_VERBS.get(method, method.lower())
    else:
        verb = _COLLECTION_VERBS.get(method, method.lower())
        if verb == "list" and query.get("watch") in ("true", "1"):
            verb = "watch"
    if name and verb == "get" and not subresource and query.get("watch") in ("true", "1"):
        verb = "watch"
    return RequestInfo(
        path=path,
        verb=verb,
        resource_request=True,
        api_prefix=prefix,
        api_group=group,
        api_version=version,
        namespace=namespace,
        resource=resource,
        name=name,
        subresource=subresource,
    )
