"""`KubeApi`: the verbs the controller runtime needs, as a ``typing.Protocol``.

The real `ocm_core.kube.client.ApiClient` satisfies it, and so does the in-memory fake used by the
unit tests; the runtime depends on this protocol only, so it runs unchanged on either. Bodies are
plain ``dict``s (Kubernetes objects stay dicts at the edges).
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Mapping
from typing import Any, Final, NamedTuple, Protocol

from ocm_core.api.gvr import Resource

Object = dict[str, Any]
"""A Kubernetes object (or List, or Status) as decoded JSON."""

Body = Object | list[Any]
"""A request body: an object, or a JSON Patch operation list."""


class PatchType(enum.StrEnum):
    """The PATCH content types; the value is the ``Content-Type`` header."""

    MERGE = "application/merge-patch+json"
    JSON = "application/json-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


class EventType(enum.StrEnum):
    """Watch event types as sent on the wire."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"
    ERROR = "ERROR"


class WatchEvent(NamedTuple):
    """One line of a watch stream. ``ERROR`` events are raised as errors, never yielded."""

    type: EventType
    object: Object


class Preconditions(NamedTuple):
    """Delete only if the object still has this uid and/or resourceVersion."""

    uid: str | None = None
    resource_version: str | None = None


PROPAGATION_BACKGROUND: Final = "Background"
PROPAGATION_FOREGROUND: Final = "Foreground"
PROPAGATION_ORPHAN: Final = "Orphan"


class KubeApi(Protocol):
    """The client surface the runtime and the controllers use.

    ``request_timeout`` is a per-request deadline in seconds (None: the client's default).
    Every method raises `ocm_core.kube.errors.KubeError` subclasses only.
    """

    async def get(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...

    async def list(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...

    def watch(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = True,
    ) -> AsyncGenerator[WatchEvent, None]: ...

    async def create(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...

    async def replace(
        self,
        resource: Resource,
        body: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...

    async def patch(
        self,
        resource: Resource,
        name: str,
        body: Body,
        *,
        namespace: str | None = None,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...

    async def delete(
        self,
        resource: Resource,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: str | None = None,
        preconditions: Preconditions | None = None,
        grace_period_seconds: int | None = None,
        request_timeout: float | None = None,
    ) -> Object: ...


def object_namespace(body: Mapping[str, Any]) -> str | None:
    """``metadata.namespace`` of a body, or None."""
    namespace = (body.get("metadata") or {}).get("namespace")
    return str(namespace) if namespace else None


def object_name(body: Mapping[str, Any]) -> str:
    """``metadata.name`` of a body; raises ValueError when it is missing."""
    name = (body.get("metadata") or {}).get("name")
    if not name:
        raise ValueError("object has no metadata.name")
    return str(name)
