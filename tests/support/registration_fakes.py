"""Helpers for registration unit tests: a fake API that honours the CSR ``approval``
subresource, informers whose caches are filled from the fake on demand, and object builders."""

from __future__ import annotations

import base64
import copy
from typing import Any

from ocm_core import pki
from ocm_core.api import gvr
from ocm_core.api.gvr import Resource
from ocm_core.kube.protocol import Object, object_name, object_namespace
from ocm_core.registration import names
from ocm_core.registration.hub.accept import OwnedObjects
from ocm_core.runtime import FakeClock, Informer
from tests.support.fake_kube import FakeKubeApi


class RegistrationFakeApi(FakeKubeApi):
    """`FakeKubeApi` plus the CSR approval subresource (a write of status.conditions only)."""

    async def replace(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object:
        if subresource != "approval":
            return await super().replace(
                resource, body, namespace=namespace, subresource=subresource
            )
        self._record("replace", resource, namespace, object_name(body), body)
        current = self._existing(resource, object_namespace(body), object_name(body))
        new = copy.deepcopy(current)
        new.setdefault("status", {})["conditions"] = (body.get("status") or {}).get("conditions")
        return copy.deepcopy(self._update(resource, current, new))

    def objects_of(self, resource: Resource) -> list[Object]:
        return [copy.deepcopy(o) for (r, _, _), o in self.objects.items() if r == resource]

    def find(self, resource: Resource, name: str, namespace: str | None = None) -> Object | None:
        return self.objects.get((resource, namespace if resource.namespaced else None, name))


class Informers:
    """Informers over a fake API whose caches are refreshed by `sync` (no watch loop needed)."""

    def __init__(self, api: RegistrationFakeApi, clock: FakeClock) -> None:
        self.api = api
        self.clock = clock
        self._informers: dict[Resource, Informer] = {}

    def __getitem__(self, resource: Resource) -> Informer:
        if resource not in self._informers:
            informer = Informer(self.api, resource, clock=self.clock)
            informer.cache.replace(self.api.objects_of(resource))
            self._informers[resource] = informer
        return self._informers[resource]

    def sync(self) -> None:
        for resource, informer in self._informers.items():
            informer.cache.replace(self.api.objects_of(resource))


def owned_objects(informers: Informers) -> OwnedObjects:
    """The accept controller's caches of what it creates, over the fake."""
    return OwnedObjects(
        namespaces=informers[gvr.NAMESPACES],
        cluster_roles=informers[gvr.CLUSTER_ROLES],
        cluster_role_bindings=informers[gvr.CLUSTER_ROLE_BINDINGS],
        role_bindings=informers[gvr.ROLE_BINDINGS],
    )


def managed_cluster(name: str, *, accepted: bool = False, **spec: Any) -> Object:
    return {
        "apiVersion": gvr.MANAGED_CLUSTERS.api_version,
        "kind": gvr.MANAGED_CLUSTERS.kind,
        "metadata": {"name": name},
        "spec": {"hubAcceptsClient": accepted, **spec},
    }


def cluster_csr(
    cluster: str,
    agent: str = "agent1",
    *,
    requester: str = "system:bootstrap:abcdef",
    groups: tuple[str, ...] | None = None,
    label: str | None = None,
    name: str | None = None,
) -> Object:
    key = pki.generate_private_key()
    request = pki.create_csr(
        key,
        user=names.agent_user(cluster, agent),
        groups=groups
        if groups is not None
        else (names.cluster_group(cluster), names.MANAGED_CLUSTERS_GROUP),
    )
    return {
        "apiVersion": gvr.CERTIFICATE_SIGNING_REQUESTS.api_version,
        "kind": gvr.CERTIFICATE_SIGNING_REQUESTS.kind,
        "metadata": {
            "name": name or f"{cluster}-{agent}",
            "labels": {names.CLUSTER_NAME_LABEL: label or cluster},
        },
        "spec": {
            "request": base64.b64encode(request).decode(),
            "signerName": names.KUBE_APISERVER_CLIENT_SIGNER,
            "usages": list(names.CSR_USAGES),
            "username": requester,
        },
    }
