"""core/v1 kinds other than Pod (k8s.io/api ``core/v1/generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import CONDITION, METADATA
from ocm_core.apiserver.protobuf.pod import LOCAL_OBJECT_REFERENCE, POD
from ocm_core.apiserver.protobuf.wire import (
    BOOL,
    BYTES,
    INT,
    INT_OR_STRING,
    MICRO_TIME,
    OPT_BOOL,
    OPT_INT,
    STRING,
    TIME,
    Schema,
    message,
    repeated,
    string_map,
)

OBJECT_REFERENCE: Final[Schema] = {
    1: ("kind", STRING),
    2: ("namespace", STRING),
    3: ("name", STRING),
    4: ("uid", STRING),
    5: ("apiVersion", STRING),
    6: ("resourceVersion", STRING),
    7: ("fieldPath", STRING),
}
SECRET: Final[Schema] = {
    1: METADATA,
    2: ("data", string_map(BYTES)),
    3: ("type", STRING),
    4: ("stringData", string_map(STRING)),
    5: ("immutable", OPT_BOOL),
}
CONFIG_MAP: Final[Schema] = {
    1: METADATA,
    2: ("data", string_map(STRING)),
    3: ("binaryData", string_map(BYTES)),
    4: ("immutable", OPT_BOOL),
}
_NAMESPACE_CONDITION: Final[Schema] = {
    1: ("type", STRING),
    2: ("status", STRING),
    4: ("lastTransitionTime", TIME),
    5: ("reason", STRING),
    6: ("message", STRING),
}
NAMESPACE: Final[Schema] = {
    1: METADATA,
    2: ("spec", message({1: ("finalizers", repeated(STRING))})),
    3: (
        "status",
        message({1: ("phase", STRING), 2: ("conditions", repeated(message(_NAMESPACE_CONDITION)))}),
    ),
}
SERVICE_ACCOUNT: Final[Schema] = {
    1: METADATA,
    2: ("secrets", repeated(message(OBJECT_REFERENCE))),
    3: ("imagePullSecrets", repeated(message(LOCAL_OBJECT_REFERENCE))),
    4: ("automountServiceAccountToken", OPT_BOOL),
}
SERVICE_PORT: Final[Schema] = {
    1: ("name", STRING),
    2: ("protocol", STRING),
    6: ("appProtocol", STRING),
    3: ("port", OPT_INT),
    4: ("targetPort", INT_OR_STRING),
    5: ("nodePort", INT),
}
SERVICE_SPEC: Final[Schema] = {
    1: ("ports", repeated(message(SERVICE_PORT))),
    2: ("selector", string_map(STRING)),
    3: ("clusterIP", STRING),
    18: ("clusterIPs", repeated(STRING)),
    4: ("type", STRING),
    5: ("externalIPs", repeated(STRING)),
    7: ("sessionAffinity", STRING),
    8: ("loadBalancerIP", STRING),
    9: ("loadBalancerSourceRanges", repeated(STRING)),
    10: ("externalName", STRING),
    11: ("externalTrafficPolicy", STRING),
    12: ("healthCheckNodePort", INT),
    13: ("publishNotReadyAddresses", BOOL),
    14: (
        "sessionAffinityConfig",
        message({1: ("clientIP", message({1: ("timeoutSeconds", OPT_INT)}))}),
    ),
    19: ("ipFamilies", repeated(STRING)),
    17: ("ipFamilyPolicy", STRING),
    20: ("allocateLoadBalancerNodePorts", OPT_BOOL),
    21: ("loadBalancerClass", STRING),
    22: ("internalTrafficPolicy", STRING),
    23: ("trafficDistribution", STRING),
}
_LOAD_BALANCER_INGRESS: Final[Schema] = {
    1: ("ip", STRING),
    2: ("hostname", STRING),
    3: ("ipMode", STRING),
    4: (
        "ports",
        repeated(message({1: ("port", OPT_INT), 2: ("protocol", STRING), 3: ("error", STRING)})),
    ),
}
SERVICE: Final[Schema] = {
    1: METADATA,
    2: ("spec", message(SERVICE_SPEC)),
    3: (
        "status",
        message(
            {
                1: (
                    "loadBalancer",
                    message({1: ("ingress", repeated(message(_LOAD_BALANCER_INGRESS)))}),
                ),
                2: ("conditions", repeated(message(CONDITION))),
            }
        ),
    ),
}
_ENDPOINT_ADDRESS: Final[Schema] = {
    1: ("ip", STRING),
    3: ("hostname", STRING),
    4: ("nodeName", STRING),
    2: ("targetRef", message(OBJECT_REFERENCE)),
}
ENDPOINTS: Final[Schema] = {
    1: METADATA,
    2: (
        "subsets",
        repeated(
            message(
                {
                    1: ("addresses", repeated(message(_ENDPOINT_ADDRESS))),
                    2: ("notReadyAddresses", repeated(message(_ENDPOINT_ADDRESS))),
                    3: (
                        "ports",
                        repeated(
                            message(
                                {
                                    1: ("name", STRING),
                                    2: ("port", OPT_INT),
                                    3: ("protocol", STRING),
                                    4: ("appProtocol", STRING),
                                }
                            )
                        ),
                    ),
                }
            )
        ),
    ),
}
EVENT_SOURCE: Final[Schema] = {1: ("component", STRING), 2: ("host", STRING)}
EVENT_SERIES: Final[Schema] = {1: ("count", INT), 2: ("lastObservedTime", MICRO_TIME)}
EVENT: Final[Schema] = {
    1: METADATA,
    2: ("involvedObject", message(OBJECT_REFERENCE)),
    3: ("reason", STRING),
    4: ("message", STRING),
    5: ("source", message(EVENT_SOURCE)),
    6: ("firstTimestamp", TIME),
    7: ("lastTimestamp", TIME),
    8: ("count", INT),
    9: ("type", STRING),
    10: ("eventTime", MICRO_TIME),
    11: ("series", message(EVENT_SERIES)),
    12: ("action", STRING),
    13: ("related", message(OBJECT_REFERENCE)),
    14: ("reportingComponent", STRING),
    15: ("reportingInstance", STRING),
}
KINDS: Final[dict[str, Schema]] = {
    "Secret": SECRET,
    "ConfigMap": CONFIG_MAP,
    "Namespace": NAMESPACE,
    "ServiceAccount": SERVICE_ACCOUNT,
    "Service": SERVICE,
    "Endpoints": ENDPOINTS,
    "Event": EVENT,
    "Pod": POD,
}
