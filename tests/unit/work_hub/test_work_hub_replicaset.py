"""ManifestWorkReplicaSet controller on the fake API: fan-out, rollout, status and cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ocm_core.api import gvr
from ocm_core.api.placement import (
    DECISION_GROUP_INDEX_LABEL,
    DECISION_GROUP_NAME_LABEL,
    PLACEMENT_LABEL,
)
from ocm_core.api.work import PLACEMENT_NAME_LABEL, REPLICA_SET_FINALIZER, REPLICA_SET_LABEL
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.manager import Manager
from ocm_core.work.hub import manifestworkreplicaset
from tests.support.fake_kube import FakeKubeApi, eventually

NS = "apps"
TEMPLATE = {
    "workload": {
        "manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}]
    }
}


def decision(
    name: str, clusters: list[str], group: int = 0, group_name: str = ""
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {
                PLACEMENT_LABEL: "p",
                DECISION_GROUP_INDEX_LABEL: str(group),
                DECISION_GROUP_NAME_LABEL: group_name,
            },
        },
        "status": {"decisions": [{"clusterName": c, "reason": ""} for c in clusters]},
    }


def replica_set(rollout: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": "p"}
    if rollout is not None:
        ref["rolloutStrategy"] = rollout
    return {
        "metadata": {"name": "mwrs", "namespace": NS, "labels": {"team": "web"}},
        "spec": {"manifestWorkTemplate": TEMPLATE, "placementRefs": [ref], **spec},
    }


class Hub:
    def __init__(self, api: FakeKubeApi, clock: FakeClock) -> None:
        self.api, self.clock = api, clock

    def works(self) -> dict[str, dict[str, Any]]:
        return {
            ns: obj
            for (resource, ns, _), obj in self.api.objects.items()
            if resource == gvr.MANIFEST_WORKS and ns is not None
        }

    def mwrs(self) -> dict[str, Any] | None:
        return self.api.objects.get((gvr.MANIFEST_WORK_REPLICA_SETS, NS, "mwrs"))

    def condition(self, kind: str) -> dict[str, Any] | None:
        mwrs = self.mwrs() or {}
        found = [c for c in (mwrs.get("status") or {}).get("conditions") or [] if c["type"] == kind]
        return found[0] if found else None

    def reason(self, kind: str) -> str | None:
        return (self.condition(kind) or {}).get("reason")

    async def report(self, cluster: str, **conditions: str) -> None:
        """Write the work's conditions as a spoke agent would."""
        work = self.works()[cluster]
        stamp = self.clock.wall().strftime("%Y-%m-%dT%H:%M:%SZ")
        status = {
            "conditions": [
                {
                    "type": kind,
                    "status": value,
                    "reason": "Reported",
                    "message": "",
                    "lastTransitionTime": stamp,
                    "observedGeneration": work["metadata"]["generation"],
                }
                for kind, value in conditions.items()
            ]
        }
        await self.api.patch(
            gvr.MANIFEST_WORKS, "mwrs", {"status": status}, namespace=cluster, subresource="status"
        )

    async def succeed(self, cluster: str) -> None:
        await self.report(cluster, Applied="True", Available="True")


@asynccontextmanager
async def running_hub(*objects: tuple[gvr.Resource, dict[str, Any]]) -> AsyncIterator[Hub]:
    api, clock = FakeKubeApi(), FakeClock()
    api.seed(gvr.PLACEMENTS, {"metadata": {"name": "p", "namespace": NS}, "spec": {}})
    for resource, body in objects:
        api.seed(resource, body)
    manager = Manager(api, clock=clock)
    for built in manifestworkreplicaset.build(manager):
        manager.add(built)
    task = asyncio.create_task(manager.run())
    await asyncio.wait_for(manager.wait_ready(), 5)
    try:
        yield Hub(api, clock)
    finally:
        manager.stop()
        await asyncio.wait_for(task, 5)


async def test_all_creates_one_labelled_work_per_decided_cluster() -> None:
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set()),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])
        work = hub.works()["c1"]
        assert work["metadata"]["name"] == "mwrs"
        assert work["metadata"]["labels"][REPLICA_SET_LABEL] == "apps.mwrs"
        assert work["metadata"]["labels"][PLACEMENT_NAME_LABEL] == "p"
        assert work["metadata"]["labels"]["team"] == "web"
        assert work["spec"] == TEMPLATE
        assert REPLICA_SET_FINALIZER in (hub.mwrs() or {})["metadata"]["finalizers"]
        await eventually(lambda: hub.reason("PlacementVerified") == "AsExpected")
        assert hub.reason("ManifestworkApplied") == "Processing"
        await hub.succeed("c1")
        await hub.succeed("c2")
        await eventually(lambda: hub.reason("PlacementRolledOut") == "Complete")
        assert hub.reason("ManifestworkApplied") == "AsExpected"
        summary = (hub.mwrs() or {})["status"]["summary"]
        assert (summary["total"], summary["applied"], summary["available"]) == (2, 2, 2)
        placement_summary = (hub.mwrs() or {})["status"]["placementSummary"][0]
        assert placement_summary["availableDecisionGroups"] == "1 (2 / 2 clusters applied)"


async def test_progressive_waits_for_each_cluster_before_the_next() -> None:
    rollout = {"type": "Progressive", "progressive": {"maxConcurrency": 1}}
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2", "c3"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set(rollout)),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        await hub.report("c1", Applied="True", Progressing="True")
        await eventually(lambda: hub.reason("PlacementRolledOut") == "Progressing")
        assert sorted(hub.works()) == ["c1"]
        await hub.report("c1", Applied="True", Progressing="False")
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])
        await hub.succeed("c2")
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2", "c3"])


async def test_a_degraded_cluster_past_max_failures_stops_the_rollout() -> None:
    rollout = {"type": "Progressive", "progressive": {"maxConcurrency": 1}}
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set(rollout)),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        await hub.report("c1", Applied="True", Degraded="True")
        await eventually(lambda: (hub.mwrs() or {})["status"]["summary"]["degraded"] == 1)
        assert sorted(hub.works()) == ["c1"]


async def test_min_success_time_is_waited_out_on_the_clock() -> None:
    rollout = {
        "type": "ProgressivePerGroup",
        "progressivePerGroup": {"minSuccessTime": "1m"},
    }
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1"], group=0)),
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-2", ["c2"], group=1)),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set(rollout)),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        await hub.succeed("c1")
        await eventually(lambda: (hub.mwrs() or {})["status"]["summary"]["applied"] == 1)
        assert sorted(hub.works()) == ["c1"]
        await hub.clock.advance(61)
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])


async def test_a_cluster_leaving_the_decisions_loses_its_work() -> None:
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set()),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])
        await hub.api.patch(
            gvr.PLACEMENT_DECISIONS,
            "p-decision-1",
            {"status": {"decisions": [{"clusterName": "c2", "reason": ""}]}},
            namespace=NS,
            subresource="status",
        )
        await eventually(lambda: sorted(hub.works()) == ["c2"])


async def test_a_template_change_rewrites_the_works() -> None:
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set()),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        new_template: dict[str, Any] = {"workload": {"manifests": []}}
        await hub.api.patch(
            gvr.MANIFEST_WORK_REPLICA_SETS,
            "mwrs",
            {"spec": {"manifestWorkTemplate": new_template}},
            namespace=NS,
        )
        await eventually(lambda: hub.works()["c1"]["spec"] == new_template)


async def test_a_missing_placement_is_reported() -> None:
    bad = replica_set()
    bad["spec"]["placementRefs"] = [{"name": "nowhere"}]
    async with running_hub((gvr.MANIFEST_WORK_REPLICA_SETS, bad)) as hub:
        await eventually(lambda: hub.reason("PlacementVerified") == "PlacementDecisionNotFound")
        assert hub.works() == {}


async def test_a_foreign_work_of_the_same_name_is_not_overwritten() -> None:
    foreign = {"metadata": {"name": "mwrs", "namespace": "c1"}, "spec": {"workload": {}}}
    objects = [
        (gvr.MANIFEST_WORKS, foreign),
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set()),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: hub.reason("ManifestworkApplied") == "InvalidManifestWorkName")
        assert hub.works()["c1"]["spec"] == {"workload": {}}


async def test_deleting_the_replica_set_deletes_its_works_then_itself() -> None:
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set()),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])
        await eventually(lambda: hub.reason("PlacementVerified") == "AsExpected")
        await hub.api.delete(gvr.MANIFEST_WORK_REPLICA_SETS, "mwrs", namespace=NS)
        await eventually(lambda: hub.mwrs() is None and hub.works() == {})


async def test_a_work_not_applied_by_its_progress_deadline_times_out() -> None:
    rollout = {
        "type": "Progressive",
        "progressive": {"maxConcurrency": 1, "progressDeadline": "1m", "maxFailures": 1},
    }
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1", "c2"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set(rollout)),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        await hub.clock.advance(30)
        assert sorted(hub.works()) == ["c1"]
        await hub.clock.advance(31)
        await eventually(lambda: sorted(hub.works()) == ["c1", "c2"])


async def test_foreground_deletion_waits_for_the_works_to_go() -> None:
    objects = [
        (gvr.PLACEMENT_DECISIONS, decision("p-decision-1", ["c1"])),
        (gvr.MANIFEST_WORK_REPLICA_SETS, replica_set(cascadeDeletionPolicy="Foreground")),
    ]
    async with running_hub(*objects) as hub:
        await eventually(lambda: sorted(hub.works()) == ["c1"])
        agent_finalizer = {"metadata": {"finalizers": ["agent/cleanup"]}}
        await hub.api.patch(gvr.MANIFEST_WORKS, "mwrs", agent_finalizer, namespace="c1")
        await hub.api.delete(gvr.MANIFEST_WORK_REPLICA_SETS, "mwrs", namespace=NS)
        await eventually(lambda: "deletionTimestamp" in hub.works()["c1"]["metadata"])
        assert hub.mwrs() is not None
        await hub.api.patch(
            gvr.MANIFEST_WORKS, "mwrs", {"metadata": {"finalizers": []}}, namespace="c1"
        )
        await eventually(lambda: hub.mwrs() is None and hub.works() == {})
