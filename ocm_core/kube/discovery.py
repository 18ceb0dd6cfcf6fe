"""`Discovery`: find the `Resource` (URL plural, scope) of an ``apiVersion`` + ``kind``.

Needed to apply arbitrary manifests (ManifestWork payloads, add-on charts) whose kinds are not in
`ocm_core.api.gvr`. Each group version's resource list is fetched once and cached; a kind that is
missing from the cache triggers one refetch of its group version (a CRD may have been installed
since), and ``/api`` + ``/apis`` are walked only to look a kind up without a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ocm_core.api.gvr import Resource
from ocm_core.kube.errors import NotFoundError
from ocm_core.kube.protocol import Object


class RawApi(Protocol):
    """The one call discovery needs (`ApiClient.request` fits)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Object | list[Any] | None = None,
        content_type: str = ...,
        request_timeout: float | None = None,
    ) -> Object: ...


class Discovery:
    """A cache of served resources, keyed by group version."""

    def __init__(self, api: RawApi) -> None:
        self._api = api
        self._by_group_version: dict[str, dict[str, Resource]] = {}
        self._preferred: dict[str, str] | None = None

    def invalidate(self) -> None:
        """Forget everything (e.g. after CRDs were installed or removed)."""
        self._by_group_version.clear()
        self._preferred = None

    async def resource_for(self, api_version: str, kind: str) -> Resource:
        """The resource serving ``kind`` in ``api_version``; `NotFoundError` if none does."""
        cached = self._by_group_version.get(api_version, {}).get(kind)
        if cached is not None:
            return cached
        resources = await self._fetch(api_version)
        if kind not in resources:
            raise NotFoundError(
                404,
                "NotFound",
                f"the server does not serve kind {kind!r} in {api_version!r}; "
                "is its CustomResourceDefinition installed?",
            )
        return resources[kind]

    async def resource_for_kind(self, kind: str, *, group: str | None = None) -> Resource:
        """Look ``kind`` up in every group's preferred version (optionally one ``group``)."""
        for group_name, version in (await self._preferred_versions()).items():
            if group is not None and group_name != group:
                continue
            api_version = f"{group_name}/{version}" if group_name else version
            resources = self._by_group_version.get(api_version) or await self._fetch(api_version)
            if kind in resources:
                return resources[kind]
        raise NotFoundError(404, "NotFound", f"no served resource has kind {kind!r}")

    async def _fetch(self, api_version: str) -> dict[str, Resource]:
        group, _, version = api_version.rpartition("/")
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = await self._api.request("GET", path)
        except NotFoundError:
            listing = {}
        resources: dict[str, Resource] = {}
        for entry in listing.get("resources") or []:
            name = str(entry.get("name", ""))
            if not name or "/" in name:  # subresources such as pods/status
                continue
            kind = str(entry.get("kind", ""))
            resources.setdefault(
                kind, Resource(group, version, name, bool(entry.get("namespaced")), kind)
            )
        self._by_group_version[api_version] = resources
        return resources

    async def _preferred_versions(self) -> dict[str, str]:
        if self._preferred is None:
            preferred: dict[str, str] = {}
            core = await self._api.request("GET", "/api")
            if core.get("versions"):
                preferred[""] = str(core["versions"][0])
            groups = await self._api.request("GET", "/apis")
            for group in groups.get("groups") or []:
                version = (group.get("preferredVersion") or {}).get("version")
                if version is None and group.get("versions"):
                    version = group["versions"][0].get("version")
                if version:
                    preferred[str(group["name"])] = str(version)
            self._preferred = preferred
        return self._preferred
