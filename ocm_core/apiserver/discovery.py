"""Discovery documents (``/api``, ``/apis``, ``/api/v1``, ``/apis/g/v``) from the registry. Pure.

Legacy shapes for every client, and the aggregated ``APIGroupDiscoveryList`` (v2 and v2beta1)
when the Accept header asks for it: client-go then needs two requests instead of one per
group-version. Clients decide by the response Content-Type (kube-api-surface §1.2). Built
from the registry on each request, so a CRD is discoverable the moment it is stored.
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


AGGREGATED_GROUP: Final = "apidiscovery.k8s.io"
AGGREGATED_VERSIONS: Final = ("v2", "v2beta1")


def aggregated_version(accept: str) -> str | None:
    """The first aggregated-discovery version the Accept header lists, if any."""
    for candidate in accept.split(","):
        params = dict(p.strip().split("=", 1) for p in candidate.split(";")[1:] if "=" in p)
        if (
            params.get("g") == AGGREGATED_GROUP
            and params.get("as") == "APIGroupDiscoveryList"
            and params.get("v") in AGGREGATED_VERSIONS
        ):
            return params["v"]
    return None


def aggregated_content_type(version: str) -> str:
    return f"application/json;g={AGGREGATED_GROUP};v={version};as=APIGroupDiscoveryList"


def _kind(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(info: ResourceInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": info.resource,
        "singularResource": info.singular,
        "responseKind": _kind(info.group, info.version, info.kind),
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    subresources = []
    for sub in sorted(info.subresources):
        kind = (
            _kind("autoscaling", "v1", "Scale")
            if sub == SCALE
            else _kind(info.group, info.version, info.kind)
        )
        subresources.append(
            {
                "subresource": sub,
                "responseKind": kind,
                "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
        )
    if subresources:
        entry["subresources"] = subresources
    return entry


def _aggregated_group(
    registry: Registry, name: str, versions: tuple[str, ...], preferred: str
) -> dict[str, Any]:
    ordered = [preferred, *(v for v in versions if v != preferred)]
    return {
        "metadata": {"name": name},
        "versions": [
            {
                "version": version,
                "freshness": "Current",
                "resources": [
                    _aggregated_resource(i) for i in registry.resources_in(name, version)
                ],
            }
            for version in ordered
        ],
    }


def aggregated(registry: Registry, *, core: bool, version: str) -> dict[str, Any]:
    """The APIGroupDiscoveryList for ``/api`` (core) or ``/apis`` (every other group)."""
    if core:
        items = [_aggregated_group(registry, "", ("v1",), "v1")]
    else:
        items = [
            _aggregated_group(registry, g.name, g.versions, g.preferred) for g in registry.groups()
        ]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"{AGGREGATED_GROUP}/{version}",
        "metadata": {},
        "items": items,
    }


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
