"""The ManifestWork controller over in-memory hub and spoke APIs."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import Object
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.informer import Informer
from ocm_core.work.spoke.controller import AgentSettings, ManifestWorkController
from ocm_core.work.spoke.eviction import AppliedWorkEviction
from ocm_core.work.spoke.executor import Executor, PermissionChecker
from tests.support.fake_kube import FakeKubeApi
from tests.support.work_builders import (
    condition_status,
    configmap,
    manifest_condition,
    manifest_config,
    manifest_work,
    resource_identifier,
)

CLUSTER = "c1"
HUB_HASH = work.hub_hash("https://hub.example:6443")
# The fake keys objects by the whole Resource, kind included; the agent addresses recorded
# (stale) resources without a kind, as upstream's appliedResources carry none. Resolving to
# kind-less Resources keeps both views on the same objects.
CONFIGMAPS = dataclasses.replace(gvr.CONFIGMAPS, kind="")
CLUSTER_ROLES = dataclasses.replace(gvr.CLUSTER_ROLES, kind="")
KNOWN = {
    ("v1", "ConfigMap"): CONFIGMAPS,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): CLUSTER_ROLES,
}
EXECUTOR = {"subject": {"type": "ServiceAccount",
                        "serviceAccount": {"namespace": "ns", "name": "deployer"}}}  # fmt: skip


class StaticResolver:
    async def resource_for(self, api_version: str, kind: str) -> Resource:
        try:
            return KNOWN[(api_version, kind)]
        except KeyError:
            raise errors.NotFoundError(404, "NotFound", f"no kind {kind}") from None


class SpokeApi(FakeKubeApi):
    """A fake spoke answering SubjectAccessReviews from ``allow`` and dry-runs from ``dry_run``."""

    def __init__(self) -> None:
        super().__init__()
        self.allow: Callable[[Mapping[str, Any]], bool] = lambda _attrs: True
        self.dry_run_error: errors.ApiError | None = None
        self.reviews: list[Mapping[str, Any]] = []
        self.dry_runs: list[str] = []

    async def create(self, resource: Resource, body: Object, **kwargs: Any) -> Object:
        if resource == gvr.SUBJECT_ACCESS_REVIEWS:
            attrs = body["spec"]["resourceAttributes"]
            self.reviews.append({**attrs, "user": body["spec"]["user"]})
            return {**body, "status": {"allowed": self.allow(attrs)}}
        return await super().create(resource, body, **kwargs)

    async def request(self, method: str, path: str, **kwargs: Any) -> Object:
        self.dry_runs.append(f"{method} {path} {kwargs.get('params')}")
        if self.dry_run_error is not None:
            raise self.dry_run_error
        return {}


class Harness:
    def __init__(self) -> None:
        self.hub = FakeKubeApi()
        self.spoke = SpokeApi()
        self.clock = FakeClock()
        self.works = Informer(self.hub, gvr.MANIFEST_WORKS, namespace=CLUSTER)
        self.impersonated: list[Executor] = []

        def impersonate(executor: Executor) -> SpokeApi:
            self.impersonated.append(executor)
            return self.spoke

        self.controller = ManifestWorkController(
            hub=self.hub,
            spoke=self.spoke,
            works=self.works,
            resolver=StaticResolver(),
            permissions=PermissionChecker(self.spoke, impersonate),
            watcher=None,
            settings=AgentSettings(cluster_name=CLUSTER, hub_hash=HUB_HASH),
            clock=self.clock,
        )

    def submit(self, mw: Object) -> None:
        self.hub.seed(gvr.MANIFEST_WORKS, mw)

    def work(self, name: str) -> Object | None:
        obj = self.hub.objects.get((gvr.MANIFEST_WORKS, CLUSTER, name))
        return copy.deepcopy(obj) if obj is not None else None

    async def reconcile(self, name: str) -> float | None:
        current = self.work(name)
        if current is not None:
            self.works.cache.upsert(current)
        else:
            self.works.cache.remove(f"{CLUSTER}/{name}")
        result = await self.controller.reconcile(f"{CLUSTER}/{name}")
        return None if result is None else result.requeue_after

    def spoke_object(self, resource: Resource, name: str, namespace: str | None) -> Object | None:
        return self.spoke.objects.get((resource, namespace, name))


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_finalizer_applied_work_and_status(harness: Harness) -> None:
    mw = manifest_work("w1", CLUSTER, [configmap("a", "ns", k="v")])
    mw["metadata"]["labels"] = {"team": "x"}
    harness.submit(mw)
    assert await harness.reconcile("w1") == 10.0

    stored = harness.work("w1")
    assert stored is not None
    assert stored["metadata"]["finalizers"] == [work.MANIFEST_WORK_FINALIZER]
    applied = harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, f"{HUB_HASH}-w1", None)
    assert applied is not None
    assert applied["spec"] == {"hubHash": HUB_HASH, "agentID": HUB_HASH, "manifestWorkName": "w1"}
    assert applied["metadata"]["labels"] == {"team": "x"}
    assert applied["metadata"]["finalizers"] == [work.APPLIED_MANIFEST_WORK_FINALIZER]
    cm = harness.spoke_object(CONFIGMAPS, "a", "ns")
    assert cm is not None
    assert cm["metadata"]["ownerReferences"][0]["uid"] == applied["metadata"]["uid"]
    assert applied["status"]["appliedResources"] == [
        {"group": "", "version": "v1", "resource": "configmaps", "namespace": "ns", "name": "a",
         "uid": cm["metadata"]["uid"]}
    ]  # fmt: skip
    assert condition_status(stored, work.CONDITION_APPLIED) == "True"
    assert condition_status(stored, work.CONDITION_AVAILABLE) == "True"
    meta = stored["status"]["resourceStatus"]["manifests"][0]["resourceMeta"]
    assert meta == {"ordinal": 0, "group": "", "version": "v1", "kind": "ConfigMap",
                    "resource": "configmaps", "name": "a", "namespace": "ns"}  # fmt: skip

    writes = len(harness.spoke.calls)
    await harness.reconcile("w1")
    new_verbs = [c.verb for c in harness.spoke.calls[writes:]]
    assert set(new_verbs) == {"get"}, "a second reconcile writes nothing to the spoke"


async def test_unknown_kind_is_reported_and_retried_soon(harness: Harness) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    harness.submit(manifest_work("w2", CLUSTER, [widget]))
    assert await harness.reconcile("w2") == 2.0
    stored = harness.work("w2")
    assert stored is not None
    found = manifest_condition(stored, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert "cannot find the resource of this kind" in found["message"]
    available = manifest_condition(stored, 0, work.CONDITION_AVAILABLE)
    assert available is not None
    assert available["reason"] == work.REASON_INCOMPLETE_RESOURCE_META


async def test_executor_allowed_checks_every_verb_then_writes_impersonated(
    harness: Harness,
) -> None:
    harness.submit(manifest_work("ex", CLUSTER, [configmap("a", "ns")], executor=EXECUTOR))
    await harness.reconcile("ex")
    assert harness.spoke_object(CONFIGMAPS, "a", "ns") is not None
    assert {r["verb"] for r in harness.spoke.reviews} == {
        "get",
        "create",
        "update",
        "patch",
        "delete",
    }
    assert {r["user"] for r in harness.spoke.reviews} == {"system:serviceaccount:ns:deployer"}
    assert harness.impersonated == [Executor("ns", "deployer")]


async def test_executor_refused_writes_nothing_and_says_why(harness: Harness) -> None:
    harness.spoke.allow = lambda attrs: attrs["verb"] != "create"
    harness.submit(manifest_work("ex", CLUSTER, [configmap("a", "ns")], executor=EXECUTOR))
    assert await harness.reconcile("ex") == 10.0, "status resync comes before the 60 s retry"
    assert harness.spoke_object(CONFIGMAPS, "a", "ns") is None
    stored = harness.work("ex")
    assert stored is not None
    found = manifest_condition(stored, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert found["status"] == "False"
    assert (
        "not allowed: ServiceAccount ns/deployer cannot create configmaps 'a' in namespace 'ns'"
        in found["message"]
    )


async def test_rbac_escalation_is_caught_by_the_impersonated_dry_run(harness: Harness) -> None:
    harness.spoke.dry_run_error = errors.ForbiddenError(
        403, "Forbidden", "attempting to grant RBAC permissions not currently held"
    )
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "all"}, "rules": []}  # fmt: skip
    harness.submit(manifest_work("esc", CLUSTER, [role], executor=EXECUTOR))
    await harness.reconcile("esc")
    assert harness.spoke_object(CLUSTER_ROLES, "all", None) is None
    assert harness.spoke.dry_runs == [
        "POST /apis/rbac.authorization.k8s.io/v1/clusterroles {'dryRun': 'All'}"
    ]
    stored = harness.work("esc")
    assert stored is not None
    found = manifest_condition(stored, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert "escalation check by dry-run" in found["message"]


async def test_server_side_apply_conflict_is_reported_not_retried(harness: Harness) -> None:
    config = manifest_config(
        resource_identifier("configmaps", "a", "ns"),
        updateStrategy={"type": work.UPDATE_STRATEGY_SERVER_SIDE_APPLY},
    )
    harness.spoke.fail_next(
        "patch", errors.ConflictError(409, "Conflict", 'conflict with "kubectl": .data.k')
    )
    harness.submit(manifest_work("ssa", CLUSTER, [configmap("a", "ns")], manifestConfigs=[config]))
    assert await harness.reconcile("ssa") == 10.0
    stored = harness.work("ssa")
    assert stored is not None
    found = manifest_condition(stored, 0, work.CONDITION_APPLIED)
    assert found is not None
    assert found["message"] == (
        'Failed to apply manifest: server-side apply conflict: conflict with "kubectl": .data.k'
    )


async def test_delete_removes_what_was_applied_then_the_finalizers(harness: Harness) -> None:
    harness.submit(manifest_work("gone", CLUSTER, [configmap("a", "ns"), configmap("b", "ns")]))
    await harness.reconcile("gone")
    stored = harness.work("gone")
    assert stored is not None
    await harness.hub.delete(gvr.MANIFEST_WORKS, "gone", namespace=CLUSTER)
    assert await harness.reconcile("gone") is None
    assert harness.spoke_object(CONFIGMAPS, "a", "ns") is None
    assert harness.spoke_object(CONFIGMAPS, "b", "ns") is None
    assert harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, f"{HUB_HASH}-gone", None) is None
    assert harness.work("gone") is None


async def test_a_stale_resource_shared_with_another_work_only_loses_our_owner(
    harness: Harness,
) -> None:
    harness.submit(manifest_work("one", CLUSTER, [configmap("shared", "ns"), configmap("x", "ns")]))
    harness.submit(manifest_work("two", CLUSTER, [configmap("shared", "ns")]))
    await harness.reconcile("one")
    await harness.reconcile("two")
    shared = harness.spoke_object(CONFIGMAPS, "shared", "ns")
    assert shared is not None
    assert len(shared["metadata"]["ownerReferences"]) == 2

    one = harness.work("one")
    assert one is not None
    one["spec"]["workload"]["manifests"] = [configmap("x", "ns")]
    one["metadata"]["generation"] += 1
    harness.hub.objects[(gvr.MANIFEST_WORKS, CLUSTER, "one")] = one
    await harness.reconcile("one")
    shared = harness.spoke_object(CONFIGMAPS, "shared", "ns")
    assert shared is not None
    [owner] = shared["metadata"]["ownerReferences"]
    assert owner["name"] == f"{HUB_HASH}-two"


async def synced_works(harness: Harness) -> Informer:
    """A works informer that has listed the fake hub once (then stops watching)."""
    works = Informer(harness.hub, gvr.MANIFEST_WORKS, namespace=CLUSTER)
    task = asyncio.create_task(works.run())
    await works.wait_synced()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return works


async def test_an_applied_work_without_its_work_is_evicted_after_the_grace_period(
    harness: Harness,
) -> None:
    harness.submit(manifest_work("kept", CLUSTER, [configmap("k", "ns")]))
    harness.submit(manifest_work("lost", CLUSTER, [configmap("l", "ns")]))
    await harness.reconcile("kept")
    await harness.reconcile("lost")
    # The ManifestWork "lost" vanishes from the hub without the agent's cleanup.
    del harness.hub.objects[(gvr.MANIFEST_WORKS, CLUSTER, "lost")]
    eviction = AppliedWorkEviction(
        spoke=harness.spoke,
        works=await synced_works(harness),
        controller=harness.controller,
        settings=AgentSettings(cluster_name=CLUSTER, hub_hash=HUB_HASH, eviction_grace_period=60),
        clock=harness.clock,
    )
    lost_name = f"{HUB_HASH}-lost"

    await eviction.sweep()
    lost = harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, lost_name, None)
    assert lost is not None
    assert lost["status"]["evictionStartTime"] == "2026-01-01T00:00:00Z"
    kept = harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, f"{HUB_HASH}-kept", None)
    assert kept is not None
    assert "evictionStartTime" not in kept["status"]

    await harness.clock.advance(30)
    await eviction.sweep()
    assert harness.spoke_object(CONFIGMAPS, "l", "ns") is not None, "still in its grace period"

    await harness.clock.advance(31)
    await eviction.sweep()
    assert harness.spoke_object(CONFIGMAPS, "l", "ns") is None
    assert harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, lost_name, None) is None
    assert harness.spoke_object(CONFIGMAPS, "k", "ns") is not None


async def test_a_returning_work_clears_the_eviction_timer(harness: Harness) -> None:
    harness.submit(manifest_work("back", CLUSTER, [configmap("b", "ns")]))
    await harness.reconcile("back")
    name = f"{HUB_HASH}-back"
    await harness.spoke.patch(
        gvr.APPLIED_MANIFEST_WORKS, name,
        {"status": {"evictionStartTime": "2025-01-01T00:00:00Z"}}, subresource="status",
    )  # fmt: skip
    eviction = AppliedWorkEviction(
        spoke=harness.spoke, works=await synced_works(harness), controller=harness.controller,
        settings=AgentSettings(cluster_name=CLUSTER, hub_hash=HUB_HASH), clock=harness.clock,
    )  # fmt: skip
    await eviction.sweep()
    applied = harness.spoke_object(gvr.APPLIED_MANIFEST_WORKS, name, None)
    assert applied is not None
    assert applied["status"].get("evictionStartTime") is None
    assert harness.spoke_object(CONFIGMAPS, "b", "ns") is not None
