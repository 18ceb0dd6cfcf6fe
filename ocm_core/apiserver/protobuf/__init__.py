"""Decode Kubernetes protobuf request bodies into JSON-shaped dicts. Pure, no dependencies.

client-go >= 0.32 typed clients (helm v4 release Secrets, kubectl >= 1.32 ``create``,
``certificate approve``, ``auth can-i``) send ``application/vnd.kubernetes.protobuf``: the magic
``k8s\\0`` then a ``runtime.Unknown`` {typeMeta=1 {apiVersion=1, kind=2}, raw=2}. ``raw`` uses
the field numbers of k8s.io/api ``generated.proto``; one module per API group holds the schema
tables (§9 of kube-api-surface), :mod:`.wire` the decoder. A kind without a table raises
:class:`ProtobufError` (the handler answers 415).
"""

from __future__ import annotations

from typing import Any, Final

from ocm_core.apiserver.protobuf import apps, autoscaling, coordination, core, events, rbac, reviews
from ocm_core.apiserver.protobuf.wire import MAGIC, ProtobufError, Schema, decode_message, fields

__all__ = [
    "ANY_GROUP_KINDS",
    "KINDS",
    "MAGIC",
    "ProtobufError",
    "decode_message",
    "decode_object",
    "fields",
]

#: (API group, kind) -> schema of every kind whose protobuf body this server decodes.
KINDS: Final[dict[tuple[str, str], Schema]] = {
    **{("", kind): schema for kind, schema in core.KINDS.items()},
    **{("apps", kind): schema for kind, schema in apps.KINDS.items()},
    **{("autoscaling", kind): schema for kind, schema in autoscaling.KINDS.items()},
    **{("coordination.k8s.io", kind): schema for kind, schema in coordination.KINDS.items()},
    **{("events.k8s.io", kind): schema for kind, schema in events.KINDS.items()},
    **{("rbac.authorization.k8s.io", kind): schema for kind, schema in rbac.KINDS.items()},
    **reviews.KINDS,
}
#: Kinds every group version registers. helm's DELETE bodies carry DeleteOptions in the
#: resource's group; the options are ignored, only the type needs to decode.
ANY_GROUP_KINDS: Final[dict[str, Schema]] = {"DeleteOptions": {}}


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def decode_object(body: bytes) -> dict[str, Any]:
    """A JSON-shaped object from a ``k8s\\0`` + runtime.Unknown envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("protobuf body does not start with the k8s magic prefix")
    envelope = dict(fields(body[len(MAGIC) :]))
    type_meta = envelope.get(1, b"")
    raw = envelope.get(2, b"")
    if not isinstance(type_meta, bytes) or not isinstance(raw, bytes):
        raise ProtobufError("malformed runtime.Unknown envelope")
    meta = {n: v.decode(errors="replace") for n, v in fields(type_meta) if isinstance(v, bytes)}
    api_version, kind = meta.get(1, ""), meta.get(2, "")
    schema = KINDS.get((_group(api_version), kind), ANY_GROUP_KINDS.get(kind))
    if schema is None:
        raise ProtobufError(
            f"protobuf bodies of kind {kind or '<none>'} ({api_version or 'no apiVersion'}) are "
            "not supported by this server; send application/json"
        )
    try:
        decoded = decode_message(raw, schema)
    except (UnicodeDecodeError, OverflowError, OSError) as exc:  # bad text or timestamps
        raise ProtobufError(f"malformed {kind} protobuf body: {exc}") from None
    return {"apiVersion": api_version, "kind": kind, **decoded}
