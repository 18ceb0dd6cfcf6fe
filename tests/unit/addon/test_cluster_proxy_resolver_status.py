"""ManagedProxyServiceResolver status: usable, or why not (upstream's reasons)."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.addon.cluster_proxy.resolver_status import ResolverStatusController, evaluate
from ocm_core.api import gvr, proxy
from ocm_core.runtime import FakeClock, Manager
from tests.support.fake_kube import FakeKubeApi

APPS_SET = {"metadata": {"name": "apps"}}


def resolver(
    set_name: str = "apps",
    service: dict[str, str] | None = None,
    set_type: str = "ManagedClusterSet",
) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "generation": 2},
        "spec": {
            "managedClusterSelector": {"type": set_type, "managedClusterSet": {"name": set_name}},
            "serviceSelector": {
                "type": "ServiceRef",
                "serviceRef": service or {"namespace": "demo", "name": "web"},
            },
        },
    }


def lookup(*sets: dict[str, Any]) -> Any:
    return lambda name: next((s for s in sets if s["metadata"]["name"] == name), None)


def test_a_resolver_naming_an_existing_set_is_available() -> None:
    verdict = evaluate(resolver(), lookup(APPS_SET))
    assert verdict.available
    assert verdict.reason == proxy.REASON_SERVICE_RESOLVER_AVAILABLE
    assert "demo/web" in verdict.message


@pytest.mark.parametrize(
    ("obj", "sets", "reason", "words"),
    [
        (resolver(set_type="Placement"), (APPS_SET,), "NotLegal", "managedClusterSelector"),
        (resolver(service={"namespace": "demo"}), (APPS_SET,), "NotLegal", "serviceRef.name"),
        (resolver("gone"), (APPS_SET,), "NotExisted", "'gone' does not exist"),
        (
            resolver(),
            ({"metadata": {"name": "apps", "deletionTimestamp": "2026-01-01T00:00:00Z"}},),
            "Deleting",
            "is deleting",
        ),
    ],
)
def test_unusable_resolvers_say_why(
    obj: dict[str, Any], sets: tuple[dict[str, Any], ...], reason: str, words: str
) -> None:
    verdict = evaluate(obj, lookup(*sets))
    assert not verdict.available
    assert verdict.reason.endswith(reason)
    assert words in verdict.message


async def test_the_controller_writes_the_condition_and_follows_the_set() -> None:
    api = FakeKubeApi()
    api.seed(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, resolver())
    manager = Manager(api, clock=FakeClock())
    resolvers = manager.informer(gvr.MANAGED_PROXY_SERVICE_RESOLVERS)
    sets = manager.informer(gvr.MANAGED_CLUSTER_SETS)
    controller = ResolverStatusController(api, resolvers, sets, clock=manager.clock)
    resolvers.cache.upsert(await api.get(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, "web"))

    async def condition() -> dict[str, Any]:
        await controller.reconcile("web")
        stored = await api.get(gvr.MANAGED_PROXY_SERVICE_RESOLVERS, "web")
        resolvers.cache.upsert(stored)
        (found,) = stored["status"]["conditions"]
        assert found["type"] == proxy.CONDITION_SERVICE_RESOLVER_AVAILABLE
        return dict(found)

    missing = await condition()
    assert (missing["status"], missing["reason"]) == ("False", proxy.REASON_CLUSTER_SET_NOT_EXISTED)
    assert missing["observedGeneration"] == 2
    sets.cache.upsert(APPS_SET)
    assert controller.naming_set(APPS_SET) == ["web"]
    assert (await condition())["status"] == "True"
