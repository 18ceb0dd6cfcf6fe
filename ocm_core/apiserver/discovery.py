"""Discovery documents (``/api``, ``/apis``, ``/api/v1``, ``/apis/g/v``) from the registry. Pure.

Only the legacy shapes are served: client-go looks at the response Content-Type, sees plain
``application/json`` and falls back to per-group-version requests, which every traced client
handles (kube-api-surface §1.3). Built from the registry on each request, so a CRD is
discoverable the moment it is stored.
"""

from __future__ import annotations

from typing import Any, Final

from ocm_core.apiserver.registry import APPROVAL, FINALIZE, SCALE, STATUS, Registry, ResourceInfo

#: The kube version we claim; semver, and within kubectl 1.27-1.33's skew window.
VERSION_INFO: Final = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-ocm",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_SUBRESOURCE_VERBS: Final = {
    STATUS: ["get", "patch", "update"],
    SCALE: ["get", "patch", "update"],
    APPROVAL: ["get", "patch", "update"],
    FINALIZE: ["update"],
}


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_doc(name: str, versions: tuple[str, ...], preferred: str) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {
        "name": name,
        "versions": entries,
        "preferredVersion": {"groupVersion": f"{name}/{preferred}", "version": preferred},
    }


def api_group_list(registry: Registry) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(g.name, g.versions, g.preferred) for g in registry.groups()],
    }


def api_group(registry: Registry, group: str) -> dict[str, Any] | None:
    for found in registry.groups():
        if found.name == group:
            return {
                "kind": "APIGroup",
                "apiVersion": "v1",
                **_group_doc(found.name, found.versions, found.preferred),
            }
    return None


def _resource_entries(info: ResourceInfo) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": info.resource,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    entries = [main]
    for sub in sorted(info.subresources):
        entry: dict[str, Any] = {
            "name": f"{info.resource}/{sub}",
            "singularName": "",
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
        }
        if sub == SCALE:
            entry.update(group="autoscaling", version="v1", kind="Scale")
        entries.append(entry)
    return entries


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = registry.resources_in(group, version)
    if not infos:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for info in infos for entry in _resource_entries(info)],
    }
