"""Pure rules of the work agent: order, configs, ownership, feedback, conditions."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.api import gvr, work
from ocm_core.runtime.clock import FakeClock
from ocm_core.work.spoke import feedback, manifests, rules, status
from ocm_core.work.spoke.manifests import AppliedResource, Manifest, Ownership
from tests.support.work_builders import configmap, deployment, manifest_work

OWNER = {"apiVersion": "work.open-cluster-management.io/v1", "kind": "AppliedManifestWork",
         "name": "h-w", "uid": "amw-uid"}  # fmt: skip


def test_apply_order_ranks_kinds_and_keeps_spec_order_for_ties() -> None:
    bodies = [
        {"kind": "Widget"},
        deployment("d", "ns"),
        configmap("b", "ns"),
        {"kind": "Namespace"},
        configmap("a", "ns"),
        {"kind": "ClusterRole"},
        {"kind": "ValidatingWebhookConfiguration"},
    ]
    order = manifests.apply_order(Manifest(i, b) for i, b in enumerate(bodies))
    assert [m.ordinal for m in order] == [3, 5, 2, 4, 1, 6, 0]


def test_config_for_matches_group_resource_namespace_and_name() -> None:
    config = {
        "resourceIdentifier": {"group": "apps", "resource": "deployments", "name": "d",
                               "namespace": "ns"},
        "updateStrategy": {"type": "ServerSideApply", "serverSideApply": {"force": True}},
    }  # fmt: skip
    mw = manifest_work("w", "c1", [], manifestConfigs=[config])
    assert manifests.config_for(mw, gvr.DEPLOYMENTS, "ns", "d") == config
    assert manifests.config_for(mw, gvr.DEPLOYMENTS, "other", "d") == {}
    strategy = manifests.update_strategy(config)
    assert (strategy.type, strategy.field_manager, strategy.force) == (
        "ServerSideApply", "work-agent", True,
    )  # fmt: skip
    assert manifests.update_strategy({}).type == work.UPDATE_STRATEGY_UPDATE


def test_matches_live_ignores_server_defaults_but_not_changes() -> None:
    wanted = {"spec": {"replicas": 2, "template": {"containers": [{"name": "a"}]}}}
    live = {
        "spec": {"replicas": 2, "strategy": {}, "template": {"containers": [{"name": "a", "x": 1}]}}
    }
    assert manifests.matches_live(wanted, live)
    assert not manifests.matches_live({"spec": {"replicas": 3}}, live)
    assert not manifests.matches_live({"list": [1, 2]}, {"list": [1]})


def test_update_merges_metadata_keeps_finalizers_and_sets_owner() -> None:
    live = configmap("cm", "ns", old="1")
    live["metadata"].update(
        labels={"keep": "me"}, finalizers=["f"], resourceVersion="7",
        ownerReferences=[{"uid": "other", "kind": "X", "name": "x"}],
    )  # fmt: skip
    body = configmap("cm", "ns", new="2")
    body["metadata"]["labels"] = {"add": "me"}
    desired = manifests.desired_for_update(live, Manifest(0, body), Ownership(OWNER))
    assert desired["data"] == {"new": "2"}
    assert desired["metadata"]["labels"] == {"keep": "me", "add": "me"}
    assert desired["metadata"]["finalizers"] == ["f"]
    assert [r["uid"] for r in desired["metadata"]["ownerReferences"]] == ["other", "amw-uid"]
    assert manifests.needs_update(live, desired)
    assert not manifests.needs_update(desired, desired)
    orphaned = manifests.desired_for_update(desired, Manifest(0, body), Ownership(OWNER, False))
    assert [r["uid"] for r in orphaned["metadata"]["ownerReferences"]] == ["other"]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (None, False),
        ({"propagationPolicy": "Foreground"}, False),
        ({"propagationPolicy": "Orphan"}, True),
        ({"propagationPolicy": "SelectivelyOrphan", "selectivelyOrphans": {"orphaningRules": [
            {"group": "", "resource": "configmaps", "namespace": "ns", "name": "a"}]}}, True),
        ({"propagationPolicy": "SelectivelyOrphan", "selectivelyOrphans": {"orphaningRules": [
            {"group": "", "resource": "configmaps", "namespace": "ns", "name": "b"}]}}, False),
    ],
)  # fmt: skip
def test_orphaning_follows_the_delete_option(option: dict[str, Any] | None, expected: bool) -> None:
    spec = {} if option is None else {"deleteOption": option}
    mw = manifest_work("w", "c1", [], **spec)
    record = AppliedResource("", "v1", "configmaps", "ns", "a", "u")
    assert manifests.is_orphaned(mw, record) is expected


def test_jsonpath_subset() -> None:
    conditions = [{"type": "A", "status": "False"}, {"type": "Ready", "status": "True"}]
    obj = {"status": {"conditions": conditions, "list": [1, 2, 3]}}
    assert feedback.evaluate('.status.conditions[?(@.type=="Ready")].status', obj) == ["True"]
    assert feedback.evaluate("{.status.list[-1]}", obj) == [3]
    assert feedback.evaluate(".status.missing", obj) == []
    with pytest.raises(feedback.JsonPathError):
        feedback.evaluate(".status..deep", obj)


def test_feedback_values_are_typed_and_problems_reported() -> None:
    live = deployment("d", "ns")
    live["status"] = {
        "readyReplicas": 1,
        "replicas": 2,
        "conditions": [{"type": "Available", "status": "True"}],
    }
    rules_: list[dict[str, Any]] = [
        {"type": "WellKnownStatus"},
        {"type": "JSONPaths", "jsonPaths": [
            {"name": "available", "path": '.status.conditions[?(@.type=="Available")]'},
            {"name": "paused", "path": ".spec.paused"},
            {"name": "bad", "path": "status["},
        ]},
    ]  # fmt: skip
    result = feedback.collect(rules_, "Deployment", live)
    assert result.values == [
        {"name": "ReadyReplicas", "fieldValue": {"type": "Integer", "integer": 1}},
        {"name": "Replicas", "fieldValue": {"type": "Integer", "integer": 2}},
        {"name": "available", "fieldValue": {"type": "JsonRaw",
                                             "jsonRaw": '{"status":"True","type":"Available"}'}},
    ]  # fmt: skip
    [problem] = result.problems
    assert "bad" in problem
    assert feedback.collect([{"type": "WellKnownStatus"}], "ConfigMap", live).problems


def test_work_conditions_aggregate_manifests() -> None:
    clock = FakeClock()
    ok = status.ManifestOutcome(Manifest(0, configmap("a", "ns")), gvr.CONFIGMAPS, "ns", live={})
    failed = status.ManifestOutcome(
        Manifest(1, configmap("b", "ns")), gvr.CONFIGMAPS, "ns", apply_error="boom"
    )
    entries = [status.manifest_entry(o, {}, 3, clock) for o in (ok, failed)]
    conditions = {c["type"]: c for c in status.work_conditions([], entries, 3, clock)}
    assert conditions["Applied"]["status"] == "False"
    assert conditions["Applied"]["reason"] == work.REASON_APPLIED_MANIFEST_WORK_FAILED
    assert conditions["Available"]["message"] == "1 of 2 resources are not available"
    assert conditions["Applied"]["observedGeneration"] == 3
    failed_entry = {c["type"]: c for c in entries[1]["conditions"]}
    assert failed_entry["Applied"]["message"] == "Failed to apply manifest: boom"
    assert failed_entry["Available"]["reason"] == work.REASON_RESOURCE_NOT_AVAILABLE


def test_condition_rules_for_workloads_and_jobs() -> None:
    live = deployment("d", "ns", replicas=2)
    failure = {"type": "ReplicaFailure", "status": "True", "message": "quota"}
    live["status"] = {"readyReplicas": 1, "conditions": [failure]}
    found = rules.evaluate(
        [{"type": "WellKnownConditions", "condition": "Progressing"},
         {"type": "WellKnownConditions", "condition": "Degraded"},
         {"type": "CEL", "condition": "Custom"}],
        "Deployment", live,
    )  # fmt: skip
    assert [(r.type, r.status, r.reason) for r in found] == [
        ("Progressing", "True", work.REASON_CONDITION_RULE_EVALUATED),
        ("Degraded", "True", work.REASON_CONDITION_RULE_EVALUATED),
        ("Custom", "Unknown", work.REASON_CONDITION_RULE_INVALID),
    ]
    job = {"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    [complete] = rules.evaluate(
        [{"type": "WellKnownConditions", "condition": "Complete"}], "Job", job
    )
    assert complete.status == "True"
