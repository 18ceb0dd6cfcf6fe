"""apps/v1 Deployment and ReplicaSet (k8s.io/api ``apps/v1/generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import LABEL_SELECTOR, METADATA
from ocm_core.apiserver.protobuf.pod import POD_TEMPLATE_SPEC
from ocm_core.apiserver.protobuf.wire import (
    BOOL,
    INT,
    INT_OR_STRING,
    OPT_INT,
    STRING,
    TIME,
    Schema,
    message,
    repeated,
)

DEPLOYMENT_STRATEGY: Final[Schema] = {
    1: ("type", STRING),
    2: (
        "rollingUpdate",
        message({1: ("maxUnavailable", INT_OR_STRING), 2: ("maxSurge", INT_OR_STRING)}),
    ),
}
DEPLOYMENT_SPEC: Final[Schema] = {
    1: ("replicas", OPT_INT),
    2: ("selector", message(LABEL_SELECTOR)),
    3: ("template", message(POD_TEMPLATE_SPEC)),
    4: ("strategy", message(DEPLOYMENT_STRATEGY)),
    5: ("minReadySeconds", INT),
    6: ("revisionHistoryLimit", OPT_INT),
    7: ("paused", BOOL),
    9: ("progressDeadlineSeconds", OPT_INT),
}
_DEPLOYMENT_CONDITION: Final[Schema] = {
    1: ("type", STRING),
    2: ("status", STRING),
    6: ("lastUpdateTime", TIME),
    7: ("lastTransitionTime", TIME),
    4: ("reason", STRING),
    5: ("message", STRING),
}
DEPLOYMENT_STATUS: Final[Schema] = {
    1: ("observedGeneration", INT),
    2: ("replicas", INT),
    3: ("updatedReplicas", INT),
    7: ("readyReplicas", INT),
    4: ("availableReplicas", INT),
    5: ("unavailableReplicas", INT),
    9: ("terminatingReplicas", OPT_INT),
    6: ("conditions", repeated(message(_DEPLOYMENT_CONDITION))),
    8: ("collisionCount", OPT_INT),
}
_REPLICA_SET_CONDITION: Final[Schema] = {
    1: ("type", STRING),
    2: ("status", STRING),
    3: ("lastTransitionTime", TIME),
    4: ("reason", STRING),
    5: ("message", STRING),
}
REPLICA_SET_SPEC: Final[Schema] = {
    1: ("replicas", OPT_INT),
    4: ("minReadySeconds", INT),
    2: ("selector", message(LABEL_SELECTOR)),
    3: ("template", message(POD_TEMPLATE_SPEC)),
}
REPLICA_SET_STATUS: Final[Schema] = {
    1: ("replicas", OPT_INT),
    2: ("fullyLabeledReplicas", INT),
    4: ("readyReplicas", INT),
    5: ("availableReplicas", INT),
    7: ("terminatingReplicas", OPT_INT),
    3: ("observedGeneration", INT),
    6: ("conditions", repeated(message(_REPLICA_SET_CONDITION))),
}
KINDS: Final[dict[str, Schema]] = {
    "Deployment": {
        1: METADATA,
        2: ("spec", message(DEPLOYMENT_SPEC)),
        3: ("status", message(DEPLOYMENT_STATUS)),
    },
    "ReplicaSet": {
        1: METADATA,
        2: ("spec", message(REPLICA_SET_SPEC)),
        3: ("status", message(REPLICA_SET_STATUS)),
    },
}
