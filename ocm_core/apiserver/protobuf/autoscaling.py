"""autoscaling/v1 Scale, the body of the ``/scale`` subresource (``autoscaling/v1`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import METADATA
from ocm_core.apiserver.protobuf.wire import INT, OPT_INT, STRING, Schema, message

SCALE: Final[Schema] = {
    1: METADATA,
    2: ("spec", message({1: ("replicas", INT)})),
    3: ("status", message({1: ("replicas", OPT_INT), 2: ("selector", STRING)})),
}
KINDS: Final[dict[str, Schema]] = {"Scale": SCALE}
