"""apps/v1 workloads: Deployment and ReplicaSet."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import LABEL_SELECTOR, kind_schema
from ocm_core.apiserver.schemas.pod import POD_TEMPLATE_SPEC
from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    int_or_string,
    integer,
    obj,
    string,
    timestamp,
    with_description,
)

_REPLICAS: Final = integer("Number of desired pods. Defaults to 1.")
_SELECTOR: Final = with_description(
    LABEL_SELECTOR,
    "Label selector for pods. It must match the pod template's labels.",
)
_TEMPLATE: Final = with_description(
    POD_TEMPLATE_SPEC, "Template describes the pods that will be created."
)
_MIN_READY_SECONDS: Final = integer(
    "Minimum number of seconds for which a newly created pod should be ready without any of "
    "its container crashing, for it to be considered available."
)


def _condition(description: str, *, with_update_time: bool) -> SchemaDict:
    fields = {
        "type": string("Type of the condition."),
        "status": string("Status of the condition, one of True, False, Unknown."),
        "lastTransitionTime": timestamp(
            "Last time the condition transitioned from one status to another."
        ),
        "reason": string("The reason for the condition's last transition."),
        "message": string("A human readable message indicating details about the transition."),
    }
    if with_update_time:
        fields["lastUpdateTime"] = timestamp("The last time this condition was updated.")
    return obj(description, fields)


_DEPLOYMENT_STRATEGY: Final = obj(
    "The deployment strategy to use to replace existing pods with new ones.",
    {
        "type": string('Type of deployment. Can be "Recreate" or "RollingUpdate".'),
        "rollingUpdate": obj(
            "Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.",
            {
                "maxUnavailable": int_or_string(
                    "The maximum number of pods that can be unavailable during the update."
                ),
                "maxSurge": int_or_string(
                    "The maximum number of pods that can be scheduled "
                    "above the desired number of pods."
                ),
            },
        ),
    },
)
_READY_REPLICAS: Final = integer("Total number of ready pods targeted by this workload.")
_AVAILABLE_REPLICAS: Final = integer(
    "Total number of available pods (ready for at least minReadySeconds)."
)
_TERMINATING_REPLICAS: Final = integer(
    "Total number of terminating pods targeted by this workload."
)
_OBSERVED_GENERATION: Final = integer("The generation observed by the controller.")

DEPLOYMENT: Final = kind_schema(
    "Deployment enables declarative updates for Pods and ReplicaSets.",
    {
        "spec": obj(
            "Specification of the desired behavior of the Deployment.",
            {
                "replicas": _REPLICAS,
                "selector": _SELECTOR,
                "template": _TEMPLATE,
                "strategy": _DEPLOYMENT_STRATEGY,
                "minReadySeconds": _MIN_READY_SECONDS,
                "revisionHistoryLimit": integer(
                    "The number of old ReplicaSets to retain to allow rollback."
                ),
                "paused": boolean("Indicates that the deployment is paused."),
                "progressDeadlineSeconds": integer(
                    "The maximum time in seconds for a deployment to make progress before it "
                    "is considered to be failed."
                ),
            },
        ),
        "status": obj(
            "Most recently observed status of the Deployment.",
            {
                "observedGeneration": _OBSERVED_GENERATION,
                "replicas": integer(
                    "Total number of non-terminating pods targeted by this "
                    "deployment (their labels match the selector)."
                ),
                "updatedReplicas": integer(
                    "Total number of non-terminating pods targeted by "
                    "this deployment that have the desired template "
                    "spec."
                ),
                "readyReplicas": _READY_REPLICAS,
                "availableReplicas": _AVAILABLE_REPLICAS,
                "unavailableReplicas": integer(
                    "Total number of unavailable pods targeted by this deployment."
                ),
                "terminatingReplicas": _TERMINATING_REPLICAS,
                "conditions": array(
                    "Represents the latest available observations of a deployment's current state.",
                    _condition(
                        "DeploymentCondition describes the state of a deployment at a certain "
                        "point.",
                        with_update_time=True,
                    ),
                ),
                "collisionCount": integer(
                    "Count of hash collisions for the Deployment, used as a suffix when "
                    "naming the newest ReplicaSet."
                ),
            },
        ),
    },
)
REPLICA_SET: Final = kind_schema(
    "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
    {
        "spec": obj(
            "Spec defines the specification of the desired behavior of the ReplicaSet.",
            {
                "replicas": _REPLICAS,
                "minReadySeconds": _MIN_READY_SECONDS,
                "selector": _SELECTOR,
                "template": _TEMPLATE,
            },
        ),
        "status": obj(
            "Status is the most recently observed status of the ReplicaSet.",
            {
                "replicas": integer(
                    "Replicas is the most recently observed number of non-terminating pods."
                ),
                "fullyLabeledReplicas": integer(
                    "The number of non-terminating pods that have "
                    "labels matching the labels of the pod "
                    "template of the replicaset."
                ),
                "readyReplicas": _READY_REPLICAS,
                "availableReplicas": _AVAILABLE_REPLICAS,
                "terminatingReplicas": _TERMINATING_REPLICAS,
                "observedGeneration": _OBSERVED_GENERATION,
                "conditions": array(
                    "Represents the latest available observations of a replica set's current "
                    "state.",
                    _condition(
                        "ReplicaSetCondition describes the state of a replica set at a certain "
                        "point.",
                        with_update_time=False,
                    ),
                ),
            },
        ),
    },
)
