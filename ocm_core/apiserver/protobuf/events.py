"""events.k8s.io/v1 Event (k8s.io/api ``events/v1/generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.core import EVENT_SOURCE, OBJECT_REFERENCE
from ocm_core.apiserver.protobuf.meta import METADATA
from ocm_core.apiserver.protobuf.wire import (
    INT,
    MICRO_TIME,
    OPT_INT,
    STRING,
    TIME,
    Schema,
    message,
)

EVENT: Final[Schema] = {
    1: METADATA,
    2: ("eventTime", MICRO_TIME),
    3: ("series", message({1: ("count", OPT_INT), 2: ("lastObservedTime", MICRO_TIME)})),
    4: ("reportingController", STRING),
    5: ("reportingInstance", STRING),
    6: ("action", STRING),
    7: ("reason", STRING),
    8: ("regarding", message(OBJECT_REFERENCE)),
    9: ("related", message(OBJECT_REFERENCE)),
    10: ("note", STRING),
    11: ("type", STRING),
    12: ("deprecatedSource", message(EVENT_SOURCE)),
    13: ("deprecatedFirstTimestamp", TIME),
    14: ("deprecatedLastTimestamp", TIME),
    15: ("deprecatedCount", INT),
}
KINDS: Final[dict[str, Schema]] = {"Event": EVENT}
