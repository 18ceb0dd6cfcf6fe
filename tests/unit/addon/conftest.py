"""Fixtures for the add-on framework unit tests: a fake API, a fake clock, and a harness that
feeds informer caches from the fake's objects so reconcilers run one step at a time."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from ocm_core import pki
from ocm_core.addon.agent import (
    HealthCheck,
    KubeClientRegistration,
    Registration,
    RenderContext,
)
from ocm_core.addon.manager import build_addon_controllers
from ocm_core.api import gvr
from ocm_core.api.gvr import Resource
from ocm_core.runtime import FakeClock, Manager, Reconciler
from tests.support.fake_kube import FakeKubeApi

Object = dict[str, Any]


@dataclass
class HelloAddon:
    """A minimal add-on: one Deployment reading a customized variable."""

    registration_list: Sequence[Registration] = (KubeClientRegistration(),)
    health: HealthCheck = HealthCheck.LEASE
    ca: pki.CertificateAuthority | None = None
    rendered: list[RenderContext] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "hello"

    @property
    def supported_configs(self) -> Sequence[Resource]:
        return (gvr.ADDON_DEPLOYMENT_CONFIGS,)

    @property
    def health_check(self) -> HealthCheck:
        return self.health

    @property
    def default_install_namespace(self) -> str:
        return "hello-agent"

    def registrations(self, context: RenderContext) -> Sequence[Registration]:
        return self.registration_list

    def manifests(self, context: RenderContext) -> list[Object]:
        self.rendered.append(context)
        adc = context.configs.first(gvr.ADDON_DEPLOYMENT_CONFIGS) or {}
        variables = {
            v["name"]: v["value"] for v in (adc.get("spec") or {}).get("customizedVariables") or ()
        }
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "hello-agent", "namespace": context.install_namespace},
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "agent",
                                    "image": "quay.io/ocm/hello:v1",
                                    "args": [f"--greeting={variables.get('greeting', 'hi')}"],
                                }
                            ]
                        }
                    }
                },
            }
        ]

    def signer_ca(self, signer_name: str) -> pki.CertificateAuthority | None:
        return self.ca


class Harness:
    """Reconcilers of one manager over a fake API, with explicit cache syncs."""

    def __init__(self, api: FakeKubeApi, clock: FakeClock, manager: Manager) -> None:
        self.api = api
        self.clock = clock
        self.manager = manager

    def reconciler(self, name: str) -> Reconciler:
        return next(c.reconciler for c in self.manager.controllers if c.name == name)

    def put(self, resource: Resource, body: Object) -> Object:
        """Create `body`, or replace the whole object if it exists (keeping uid)."""
        namespace = body["metadata"].get("namespace") if resource.namespaced else None
        current = self.get(resource, body["metadata"]["name"], namespace)
        if current is None:
            stored = self.api.seed(resource, copy.deepcopy(body))
        else:
            stored = copy.deepcopy(body)
            stored["metadata"] = {**current["metadata"], **body["metadata"]}
            stored["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            self.api.objects[(resource, namespace, body["metadata"]["name"])] = stored
        self.sync()
        return stored

    def get(self, resource: Resource, name: str, namespace: str | None = None) -> Object | None:
        return self.api.objects.get((resource, namespace if resource.namespaced else None, name))

    def sync(self) -> None:
        """Make every informer cache hold exactly the fake's objects (a caught-up watch)."""
        for informer in self.manager.informers:
            objects = [
                copy.deepcopy(obj)
                for (resource, namespace, _), obj in self.api.objects.items()
                if resource == informer.resource
                and (informer.namespace is None or namespace == informer.namespace)
            ]
            informer.cache.replace(objects)

    async def run(self, controller: str, key: str, *, rounds: int = 1) -> Any:
        result = None
        for _ in range(rounds):
            result = await self.reconciler(controller).reconcile(key)
            self.sync()
        return result

    def replace_spec(
        self, resource: Resource, name: str, namespace: str | None, **fields: Any
    ) -> None:
        current = self.get(resource, name, namespace)
        assert current is not None
        new = copy.deepcopy(current)
        new.update(fields)
        self.api.objects[(resource, namespace if resource.namespaced else None, name)] = new
        new["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        self.sync()


@pytest.fixture
def hello() -> HelloAddon:
    return HelloAddon()


@pytest.fixture
def harness(hello: HelloAddon) -> Harness:
    api, clock = FakeKubeApi(), FakeClock()
    manager = Manager(api, clock=clock)
    build_addon_controllers(manager, [hello])
    return Harness(api, clock, manager)


def cluster(name: str, *, accepted: bool = True, clusterset: str | None = None) -> Object:
    labels = {"cluster.open-cluster-management.io/clusterset": clusterset} if clusterset else {}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"hubAcceptsClient": accepted},
    }


def decision(placement: str, namespace: str, clusters: Sequence[str]) -> Object:
    return {
        "metadata": {
            "name": f"{placement}-decision-1",
            "namespace": namespace,
            "labels": {"cluster.open-cluster-management.io/placement": placement},
        },
        "status": {"decisions": [{"clusterName": c, "reason": ""} for c in clusters]},
    }


def cma(name: str, **spec: Any) -> Object:
    return {"metadata": {"name": name}, "spec": spec}


def mca(name: str, cluster_name: str, **spec: Any) -> Object:
    return {"metadata": {"name": name, "namespace": cluster_name}, "spec": spec}


def adc(name: str, namespace: str, **spec: Any) -> Object:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
