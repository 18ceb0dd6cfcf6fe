"""The placement controller on the fake API: decisions and status follow the hub's objects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ocm_core.api import gvr
from ocm_core.api.cluster import CLUSTER_SET_LABEL
from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    PLACEMENT_LABEL,
    SCHEDULING_DISABLE_ANNOTATION,
)
from ocm_core.placement import controller as placement_controller
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.manager import Manager
from tests.support.fake_kube import FakeKubeApi, eventually
from tests.support.placement_builders import (
    NAMESPACE,
    addon_score,
    binding,
    cluster,
    label_set,
    placement,
)

WRITES = ("create", "patch", "replace", "delete")


class Hub:
    def __init__(self, api: FakeKubeApi, clock: FakeClock, manager: Manager) -> None:
        self.api, self.clock, self.manager = api, clock, manager

    def decisions(self, placement_name: str = "p") -> dict[str, list[str]]:
        return {
            name: [d["clusterName"] for d in (obj.get("status") or {}).get("decisions") or []]
            for (resource, namespace, name), obj in self.api.objects.items()
            if resource == gvr.PLACEMENT_DECISIONS
            and obj["metadata"]["labels"].get(PLACEMENT_LABEL) == placement_name
        }

    def placement(self, name: str = "p") -> dict[str, Any]:
        return self.api.objects[(gvr.PLACEMENTS, NAMESPACE, name)]

    def writes(self) -> list[str]:
        return [
            f"{c.verb} {c.resource.plural}/{c.name}" for c in self.api.calls if c.verb in WRITES
        ]

    async def settle(self) -> None:
        """Wait until every controller queue is empty and idle."""
        await eventually(
            lambda: all(
                len(c.queue) == 0 and not c.queue.is_processing(f"{NAMESPACE}/p")
                for c in self.manager.controllers
            )
        )

    async def relabel(self, name: str, labels: dict[str, str]) -> None:
        await self.api.patch(gvr.MANAGED_CLUSTERS, name, {"metadata": {"labels": labels}})


@asynccontextmanager
async def running_hub(*objects: tuple[gvr.Resource, dict[str, Any]]) -> AsyncIterator[Hub]:
    api, clock = FakeKubeApi(), FakeClock()
    for resource, body in objects:
        api.seed(resource, body)
    manager = Manager(api, clock=clock)
    for built in placement_controller.build(manager):
        manager.add(built)
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(manager.wait_ready(), 5)
    try:
        yield Hub(api, clock, manager)
    finally:
        manager.stop()
        await asyncio.wait_for(task, 5)


def default_hub(
    *clusters: dict[str, Any], **spec: Any
) -> list[tuple[gvr.Resource, dict[str, Any]]]:
    return [
        (gvr.MANAGED_CLUSTER_SETS, label_set("default")),
        (gvr.MANAGED_CLUSTER_SET_BINDINGS, binding("default")),
        (gvr.PLACEMENTS, placement(**spec)),
        *((gvr.MANAGED_CLUSTERS, c) for c in clusters),
    ]


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


async def test_decisions_are_written_as_upstream_names_and_labels_them() -> None:
    async with running_hub(*default_hub(cluster("c1"), cluster("c2"))) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1", "c2"]})
        decision = hub.api.objects[(gvr.PLACEMENT_DECISIONS, NAMESPACE, "p-decision-1")]
        assert decision["metadata"]["labels"][DECISION_GROUP_INDEX_LABEL] == "0"
        owner = decision["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"], owner["controller"]) == ("Placement", "p", True)
        await eventually(lambda: "status" in hub.placement() and bool(hub.placement()["status"]))
        status = hub.placement()["status"]
        assert status["numberOfSelectedClusters"] == 2
        assert condition(hub.placement(), "PlacementSatisfied")["reason"] == "AllDecisionsScheduled"


async def test_a_relabelled_cluster_moves_in_and_out_of_the_decisions() -> None:
    objects = default_hub(
        cluster("c1", {"env": "prod"}),
        cluster("c2", {"env": "dev"}),
        predicates=[
            {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"env": "prod"}}}}
        ],
    )
    async with running_hub(*objects) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1"]})
        await hub.relabel("c2", {"env": "prod"})
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1", "c2"]})
        await hub.relabel("c1", {"env": "dev"})
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c2"]})


async def test_leaving_the_cluster_set_or_losing_the_binding_empties_the_decisions() -> None:
    async with running_hub(*default_hub(cluster("c1"), cluster("c2"))) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1", "c2"]})
        await hub.relabel("c1", {CLUSTER_SET_LABEL: "other"})
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c2"]})
        await hub.api.delete(gvr.MANAGED_CLUSTER_SET_BINDINGS, "default", namespace=NAMESPACE)
        await eventually(lambda: hub.decisions() == {"p-decision-1": []})
        await eventually(
            lambda: (
                condition(hub.placement(), "PlacementSatisfied")["reason"]
                == "NoManagedClusterSetBindings"
            )
        )


async def test_a_new_set_and_binding_bring_their_clusters_in() -> None:
    objects = [
        (gvr.PLACEMENTS, placement()),
        (gvr.MANAGED_CLUSTERS, cluster("c1", clusterset="blue")),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": []})
        await hub.api.create(gvr.MANAGED_CLUSTER_SET_BINDINGS, binding("blue"))
        await hub.api.create(gvr.MANAGED_CLUSTER_SETS, label_set("blue"))
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1"]})


async def test_extra_decisions_are_deleted_and_a_deleted_one_is_recreated() -> None:
    clusters = [cluster(f"c{i:03d}") for i in range(150)]
    async with running_hub(*default_hub(*clusters)) as hub:
        await eventually(lambda: sorted(hub.decisions()) == ["p-decision-1", "p-decision-2"])
        await hub.api.delete(gvr.PLACEMENT_DECISIONS, "p-decision-2", namespace=NAMESPACE)
        await eventually(lambda: len(hub.decisions().get("p-decision-2", [])) == 50)
        await hub.api.patch(
            gvr.PLACEMENTS, "p", {"spec": {"numberOfClusters": 10}}, namespace=NAMESPACE
        )
        await eventually(lambda: list(hub.decisions()) == ["p-decision-1"])
        assert len(hub.decisions()["p-decision-1"]) == 10


async def test_nothing_is_written_when_nothing_changed() -> None:
    async with running_hub(*default_hub(cluster("c1"), cluster("c2"))) as hub:
        await eventually(lambda: bool((hub.placement().get("status") or {}).get("conditions")))
        await hub.settle()
        before = hub.writes()
        (controller,) = hub.manager.controllers
        controller.enqueue(f"{NAMESPACE}/p")
        await hub.api.patch(
            gvr.MANAGED_CLUSTERS,
            "c1",
            {"status": {"conditions": [{"type": "ManagedClusterConditionAvailable"}]}},
            subresource="status",
        )
        (clusters,) = [i.cache for i in hub.manager.informers if i.resource == gvr.MANAGED_CLUSTERS]
        await eventually(lambda: "conditions" in (clusters.get_named("c1") or {})["status"])
        await hub.settle()
        assert hub.writes() == [*before, "patch managedclusters/c1"]


async def test_a_toleration_that_expires_drops_the_cluster_at_the_expiry() -> None:
    taint = {
        "key": "maintenance",
        "effect": "NoSelect",
        "timeAdded": "2026-01-01T00:00:00Z",
    }
    toleration = {"key": "maintenance", "operator": "Exists", "tolerationSeconds": 60}
    objects = default_hub(cluster("c1", taints=[taint]), cluster("c2"), tolerations=[toleration])
    async with running_hub(*objects) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1", "c2"]})
        await hub.settle()
        await hub.clock.advance(30)
        assert hub.decisions() == {"p-decision-1": ["c1", "c2"]}
        await hub.clock.advance(31)
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c2"]})


async def test_a_placement_with_scheduling_disabled_is_left_alone() -> None:
    disabled = placement()
    disabled["metadata"]["annotations"] = {SCHEDULING_DISABLE_ANNOTATION: "true"}
    objects = [
        (gvr.MANAGED_CLUSTER_SETS, label_set("default")),
        (gvr.MANAGED_CLUSTER_SET_BINDINGS, binding("default")),
        (gvr.PLACEMENTS, disabled),
        (gvr.MANAGED_CLUSTERS, cluster("c1")),
    ]
    async with running_hub(*objects) as hub:
        await hub.settle()
        assert hub.writes() == []


async def test_a_misconfigured_placement_selects_nothing_and_says_why() -> None:
    bad_selector = {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}
    predicates = [{"requiredClusterSelector": {"labelSelector": bad_selector}}]
    async with running_hub(*default_hub(cluster("c1"), predicates=predicates)) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": []})
        await eventually(lambda: bool((hub.placement().get("status") or {}).get("conditions")))
        misconfigured = condition(hub.placement(), "PlacementMisconfigured")
        assert misconfigured["status"] == "True"


async def test_an_addon_score_change_reschedules() -> None:
    policy = {
        "mode": "Exact",
        "configurations": [
            {
                "scoreCoordinate": {
                    "type": "AddOn",
                    "addOn": {"resourceName": "load", "scoreName": "free"},
                },
                "weight": 1,
            }
        ],
    }
    objects = [
        *default_hub(cluster("c1"), cluster("c2"), numberOfClusters=1, prioritizerPolicy=policy),
        (gvr.ADDON_PLACEMENT_SCORES, addon_score("c1", "load", {"free": 10})),
        (gvr.ADDON_PLACEMENT_SCORES, addon_score("c2", "load", {"free": 90})),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c2"]})
        await hub.api.patch(
            gvr.ADDON_PLACEMENT_SCORES,
            "load",
            {"status": {"scores": [{"name": "free", "value": 100}]}},
            namespace="c1",
            subresource="status",
        )
        await eventually(lambda: hub.decisions() == {"p-decision-1": ["c1"]})
