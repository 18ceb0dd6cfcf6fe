"""The ``Storage`` protocol every backend implements, and the values it passes around.

Rules every backend keeps (the contract suite in tests/unit/apiserver checks them):

* One global, strictly increasing resourceVersion counter; every write gets the next value and
  stores it in ``metadata.resourceVersion`` (as a string, as kube clients expect).
* Each write is atomic; listeners hear about it only after it is durable, in RV order. A
  backend may commit concurrent writes together (group commit): then each caller is answered
  only after that shared commit, and a failed commit fails them all.
* A no-op update (the new object equals the old one) neither bumps the RV nor emits an event.
* A bounded event log is kept so watches can resume (even across restarts for durable backends);
  asking for events older than it raises :class:`ExpiredError`.

Storage knows nothing of HTTP or of kube semantics beyond metadata.name/namespace/
resourceVersion; objects are plain JSON dicts and keys are ``(resource, namespace, name)``
where ``resource`` is the registry's storage key (``apps/deployments``) and cluster-scoped
objects use namespace ``""``.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol

from ocm_core.apiserver.selectors import EVERYTHING, ObjectSelector
from ocm_core.apiserver.storage.errors import BadContinueError

Object = dict[str, Any]

#: Committed events kept for watch resume by every backend; older resourceVersions get 410.
DEFAULT_EVENT_WINDOW: Final = 10_000


class EventType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class StoredEvent:
    """One committed change; ``object`` is its state at ``resource_version``."""

    type: EventType
    resource: str
    namespace: str
    name: str
    resource_version: int
    object: Object
    #: The state before a MODIFIED event (kept in memory only, not in the durable log), so a
    #: selector watch can turn "stopped matching" into DELETED and "started" into ADDED.
    previous: Object | None = None


@dataclass(frozen=True)
class Removal:
    """Returned by an update function to delete the object in the same transaction."""

    final_state: Object


UpdateFn = Callable[[Object], Object | Removal]
"""Gets a private copy of the current object; returns the new one or a :class:`Removal`."""

Listener = Callable[[StoredEvent], None]


@dataclass(frozen=True)
class ListResult:
    items: list[Object]
    resource_version: int
    continue_token: str | None = None
    remaining: int | None = None


@dataclass(frozen=True)
class ContinueToken:
    """Opaque to clients: the list RV and the last key returned (pagination restarts after it)."""

    resource_version: int
    namespace: str
    name: str

    def encode(self) -> str:
        raw = json.dumps({"rv": self.resource_version, "ns": self.namespace, "n": self.name})
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, token: str) -> ContinueToken:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            return cls(int(data["rv"]), str(data["ns"]), str(data["n"]))
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise BadContinueError(f"continue token {token!r} is not valid") from exc


def resource_version_of(obj: Object) -> str:
    return str(obj.get("metadata", {}).get("resourceVersion", ""))


def key_of(obj: Object) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return str(meta.get("namespace") or ""), str(meta["name"])


def same_content(a: Object, b: Object) -> bool:
    """Equal apart from resourceVersion: such an update is a no-op."""

    def strip(obj: Object) -> Object:
        meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "resourceVersion"}
        return {**obj, "metadata": meta}

    return strip(a) == strip(b)


class Storage(Protocol):
    """Durable (or in-memory) object store with one global resourceVersion."""

    async def get(self, resource: str, namespace: str, name: str) -> Object:
        """The stored object; raises NotFoundError."""
        ...

    async def list(
        self,
        resource: str,
        *,
        namespace: str | None = None,
        selector: ObjectSelector = EVERYTHING,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        """Objects in (namespace, name) order; ``limit`` 0 means all."""
        ...

    async def create(self, resource: str, obj: Object) -> Object:
        """Store a new object (key from its metadata); raises AlreadyExistsError."""
        ...

    async def guaranteed_update(
        self,
        resource: str,
        namespace: str,
        name: str,
        update: UpdateFn,
        *,
        precondition_rv: str | None = None,
    ) -> Object:
        """Read-modify-write in one transaction; raises NotFoundError or ConflictError."""
        ...

    async def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        precondition_rv: str | None = None,
        precondition_uid: str | None = None,
    ) -> Object:
        """Remove and return the object (with the deletion's RV); raises NotFound/Conflict."""
        ...

    def current_resource_version(self) -> int:
        """The RV of the last committed write (0 for an empty store)."""
        ...

    def compacted_resource_version(self) -> int:
        """Events with an RV at or below this are gone from the log."""
        ...

    async def events_since(self, resource_version: int) -> builtins.list[StoredEvent]:
        """Retained events after ``resource_version``; raises ExpiredError when compacted."""
        ...

    def add_listener(self, listener: Listener) -> None:
        """Called synchronously after each commit, in RV order."""
        ...

    def commit_immediately(self, resource: str) -> None:
        """Writes of ``resource`` are committed and published before they return, never left
        in a group commit's open batch (for in-memory state the next write is checked against)."""
        ...

    async def close(self) -> None: ...
