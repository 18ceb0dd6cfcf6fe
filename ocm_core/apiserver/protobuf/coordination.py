"""coordination.k8s.io/v1 Lease (k8s.io/api ``coordination/v1/generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import METADATA
from ocm_core.apiserver.protobuf.wire import MICRO_TIME, OPT_INT, OPT_STRING, Schema, message

LEASE_SPEC: Final[Schema] = {
    1: ("holderIdentity", OPT_STRING),
    2: ("leaseDurationSeconds", OPT_INT),
    3: ("acquireTime", MICRO_TIME),
    4: ("renewTime", MICRO_TIME),
    5: ("leaseTransitions", OPT_INT),
    6: ("strategy", OPT_STRING),
    7: ("preferredHolder", OPT_STRING),
}
KINDS: Final[dict[str, Schema]] = {"Lease": {1: METADATA, 2: ("spec", message(LEASE_SPEC))}}
