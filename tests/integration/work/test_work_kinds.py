"""Deployments, CRDs with their custom resources, feedback rules and condition rules."""

from __future__ import annotations

from typing import Any

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import ApiClient, errors
from tests.integration.work.conftest import AgentFactory
from tests.support.wait import eventually
from tests.support.work_builders import (
    condition_status,
    deployment,
    feedback_values,
    manifest_config,
    manifest_work,
    resource_identifier,
)

WIDGETS = Resource("example.com", "v1", "widgets", True, "Widget")
WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


async def _get(api: ApiClient, resource: Resource, name: str, namespace: str | None) -> Any:
    try:
        return await api.get(resource, name, namespace=namespace)
    except errors.NotFoundError:
        return None


async def test_crd_and_custom_resource_in_one_work_apply_in_kind_order(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    await start_agent(cluster)
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": cluster},
        "spec": {"size": 3},
    }
    # The custom resource comes first in the spec: the agent must still create the CRD first.
    await hub.create(gvr.MANIFEST_WORKS, manifest_work("crd", cluster, [widget, WIDGET_CRD]))

    async def applied() -> bool:
        mw = await hub.get(gvr.MANIFEST_WORKS, "crd", namespace=cluster)
        return condition_status(mw, work.CONDITION_APPLIED) == "True"

    await eventually(applied, what="CRD work Applied")
    assert (await spoke.get(WIDGETS, "w1", namespace=cluster))["spec"] == {"size": 3}
    mw = await hub.get(gvr.MANIFEST_WORKS, "crd", namespace=cluster)
    metas = [m["resourceMeta"] for m in mw["status"]["resourceStatus"]["manifests"]]
    assert [(m["ordinal"], m["kind"], m["resource"]) for m in metas] == [
        (0, "Widget", "widgets"),
        (1, "CustomResourceDefinition", "customresourcedefinitions"),
    ]

    mw["spec"]["workload"]["manifests"][0]["spec"] = {"size": 5}
    await hub.replace(gvr.MANIFEST_WORKS, mw)

    async def resized() -> bool:
        live = await _get(spoke, WIDGETS, "w1", cluster)
        return live is not None and live["spec"] == {"size": 5}

    await eventually(resized, what="the custom resource updated")
    await hub.delete(gvr.MANIFEST_WORKS, "crd", namespace=cluster)

    async def removed() -> bool:
        crd = await _get(spoke, gvr.CUSTOM_RESOURCE_DEFINITIONS, "widgets.example.com", None)
        return crd is None and await _get(hub, gvr.MANIFEST_WORKS, "crd", cluster) is None

    await eventually(removed, what="the CRD (and its resources) deleted with the work")


async def test_deployment_feedback_follows_a_status_change_on_the_spoke(
    hub: ApiClient, spoke: ApiClient, cluster: str, start_agent: AgentFactory
) -> None:
    # A long resync: only the watch on the Deployment can bring the change in time.
    await start_agent(cluster, status_sync_interval=300.0)
    ident = resource_identifier("deployments", "web", cluster, group="apps")
    config = manifest_config(
        ident,
        feedbackRules=[
            {"type": work.FEEDBACK_WELL_KNOWN_STATUS},
            {
                "type": work.FEEDBACK_JSON_PATHS,
                "jsonPaths": [{"name": "gen", "path": ".status.observedGeneration"}],
            },
        ],
        conditionRules=[
            {"type": work.CONDITION_RULE_WELL_KNOWN, "condition": work.CONDITION_PROGRESSING}
        ],
    )
    await hub.create(
        gvr.MANIFEST_WORKS,
        manifest_work(
            "web", cluster, [deployment("web", cluster, replicas=2)], manifestConfigs=[config]
        ),
    )

    async def progressing() -> bool:
        mw = await hub.get(gvr.MANIFEST_WORKS, "web", namespace=cluster)
        return condition_status(mw, work.CONDITION_PROGRESSING) == "True"

    await eventually(progressing, what="work Progressing while no replica is ready")

    await spoke.patch(
        gvr.DEPLOYMENTS,
        "web",
        {
            "status": {
                "replicas": 2,
                "readyReplicas": 2,
                "availableReplicas": 2,
                "observedGeneration": 1,
            }
        },
        namespace=cluster,
        subresource="status",
    )

    async def fed_back() -> bool:
        mw = await hub.get(gvr.MANIFEST_WORKS, "web", namespace=cluster)
        values = feedback_values(mw, 0)
        return (
            values.get("ReadyReplicas") == 2
            and values.get("gen") == 1
            and condition_status(mw, work.CONDITION_PROGRESSING) == "False"
        )

    await eventually(fed_back, what="feedback ReadyReplicas=2 and Progressing=False")
    mw = await hub.get(gvr.MANIFEST_WORKS, "web", namespace=cluster)
    assert feedback_values(mw, 0) == {
        "ReadyReplicas": 2,
        "Replicas": 2,
        "AvailableReplicas": 2,
        "gen": 1,
    }

    mw["spec"]["workload"]["manifests"][0]["spec"]["replicas"] = 3
    await hub.replace(gvr.MANIFEST_WORKS, mw)

    async def scaled() -> bool:
        live = await spoke.get(gvr.DEPLOYMENTS, "web", namespace=cluster)
        return bool(live["spec"]["replicas"] == 3)

    await eventually(scaled, what="the Deployment updated to 3 replicas")
    live = await spoke.get(gvr.DEPLOYMENTS, "web", namespace=cluster)
    assert live["status"]["readyReplicas"] == 2, "an update never touches the spoke's status"
    await hub.delete(gvr.MANIFEST_WORKS, "web", namespace=cluster)

    async def deleted() -> bool:
        return await _get(spoke, gvr.DEPLOYMENTS, "web", cluster) is None

    await eventually(deleted, what="the Deployment deleted with its work")
