"""meta/v1 messages every kind embeds (k8s.io/apimachinery ``generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.wire import (
    INT,
    OPT_BOOL,
    OPT_INT,
    STRING,
    TIME,
    Schema,
    message,
    repeated,
    string_map,
)

OWNER_REFERENCE: Final[Schema] = {
    1: ("kind", STRING),
    3: ("name", STRING),
    4: ("uid", STRING),
    5: ("apiVersion", STRING),
    6: ("controller", OPT_BOOL),
    7: ("blockOwnerDeletion", OPT_BOOL),
}
OBJECT_META: Final[Schema] = {
    1: ("name", STRING),
    2: ("generateName", STRING),
    3: ("namespace", STRING),
    5: ("uid", STRING),
    6: ("resourceVersion", STRING),
    7: ("generation", INT),
    8: ("creationTimestamp", TIME),
    9: ("deletionTimestamp", TIME),
    10: ("deletionGracePeriodSeconds", OPT_INT),
    11: ("labels", string_map(STRING)),
    12: ("annotations", string_map(STRING)),
    13: ("ownerReferences", repeated(message(OWNER_REFERENCE))),
    14: ("finalizers", repeated(STRING)),
}
METADATA: Final = ("metadata", message(OBJECT_META))
LABEL_SELECTOR: Final[Schema] = {
    1: ("matchLabels", string_map(STRING)),
    2: (
        "matchExpressions",
        repeated(
            message({1: ("key", STRING), 2: ("operator", STRING), 3: ("values", repeated(STRING))})
        ),
    ),
}
CONDITION: Final[Schema] = {
    1: ("type", STRING),
    2: ("status", STRING),
    3: ("observedGeneration", INT),
    4: ("lastTransitionTime", TIME),
    5: ("reason", STRING),
    6: ("message", STRING),
}
