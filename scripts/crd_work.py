"""CRDs of work.open-cluster-management.io: ManifestWork, AppliedManifestWork and
ManifestWorkReplicaSet.
"""

from __future__ import annotations

from typing import Any

from scripts.crd_schemas import (
    Schema,
    array,
    condition_column,
    conditions,
    crd,
    manifest_work_spec,
    manifest_work_status,
    obj,
    rollout_strategy,
    root_schema,
    string,
    version,
)

WORK = "work.open-cluster-management.io"


# -- work.open-cluster-management.io ------------------------------------------------------


def manifest_work() -> dict[str, Any]:
    schema = root_schema(
        "A set of manifests the hub asks one managed cluster (its namespace) to apply.",
        manifest_work_spec("Manifests to deliver and how to apply, report and delete them."),
        manifest_work_status(),
        spec_required=False,
    )
    return crd(
        WORK, "ManifestWork", "manifestworks", scope="Namespaced", versions=[version("v1", schema)]
    )


def applied_manifest_work() -> dict[str, Any]:
    applied_resource = obj(
        "A resource the work agent applied and owns.",
        {
            "group": string("API group."),
            "version": string("API version."),
            "resource": string("Resource (plural) name."),
            "namespace": string("Namespace; empty for cluster-scoped resources."),
            "name": string("Name."),
            "uid": string("UID of the applied object."),
        },
        required=["version", "resource", "name"],
    )
    spec = obj(
        "Which hub ManifestWork this records.",
        {
            "hubHash": string("sha256 hex of the hub API server URL."),
            "agentID": string("ID of the work agent that applied the work."),
            "manifestWorkName": string("Name of the ManifestWork on the hub."),
        },
        required=["hubHash", "manifestWorkName"],
    )
    status = obj(
        "What was applied.",
        {
            "appliedResources": array("Applied resources, sorted.", applied_resource),
            "evictionStartTime": string(
                "When the hub work went missing; eviction follows after a grace period.",
                format="date-time",
            ),
        },
    )
    schema = root_schema(
        "Spoke-side record of the resources applied for one hub ManifestWork.",
        spec,
        status,
        spec_required=False,
    )
    return crd(
        WORK,
        "AppliedManifestWork",
        "appliedmanifestworks",
        scope="Cluster",
        versions=[version("v1", schema)],
    )


def manifest_work_replica_set() -> dict[str, Any]:
    placement_ref = obj(
        "A Placement in this namespace.",
        {
            "name": string("Name of the Placement.", minLength=1),
            "rolloutStrategy": rollout_strategy(
                "How the works roll out to the decided clusters.",
                default={"type": "All", "all": {"progressDeadline": "None"}},
            ),
        },
        required=["name"],
    )
    spec = obj(
        "A ManifestWork template and the Placements deciding where it goes.",
        {
            "manifestWorkTemplate": manifest_work_spec(
                "Spec of the ManifestWork made per cluster."
            ),
            "placementRefs": array("Placements selecting the clusters.", placement_ref, minItems=1),
            "cascadeDeletionPolicy": string(
                "Background deletes at once; Foreground waits for the ManifestWorks to go.",
                default="Background",
                enum=["Background", "Foreground"],
            ),
        },
        required=["placementRefs", "cascadeDeletionPolicy"],
    )

    def summary(description: str) -> Schema:
        counts = {
            "total": "ManifestWorks managed.",
            "desiredTotal": "ManifestWorks that will be created.",
            "applied": "ManifestWorks with Applied=True.",
            "available": "ManifestWorks with Available=True.",
            "degraded": "ManifestWorks with Degraded=True.",
            "progressing": "ManifestWorks with Progressing=True.",
            "updated": "Clusters running the current revision.",
        }
        return obj(
            description,
            {key: {"description": text, "type": "integer"} for key, text in counts.items()},
        )

    placement_summary = obj(
        "Counts for one Placement.",
        {
            "name": string("Placement name."),
            "availableDecisionGroups": string("Available decision groups of all, e.g. 2 (2/4)."),
            "summary": summary("Counts of this Placement's works."),
        },
    )
    status = obj(
        "Distribution status.",
        {
            "conditions": conditions("PlacementVerified, PlacementRolledOut, ManifestworkApplied."),
            "summary": summary("Counts over all Placements."),
            "placementSummary": array("Counts per Placement.", placement_summary),
        },
    )
    schema = root_schema(
        "Applies a ManifestWork to every cluster its Placements decide.",
        spec,
        status,
        spec_required=False,
    )
    columns = [
        condition_column("Placement", "PlacementVerified", "reason"),
        condition_column("Found", "PlacementVerified"),
        condition_column("ManifestWorks", "ManifestworkApplied", "reason"),
        condition_column("Applied", "ManifestworkApplied"),
    ]
    return crd(
        WORK,
        "ManifestWorkReplicaSet",
        "manifestworkreplicasets",
        scope="Namespaced",
        short_names=["mwrs"],
        versions=[version("v1alpha1", schema, columns=columns)],
    )
