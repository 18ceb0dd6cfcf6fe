"""Object storage for the embedded API server: the protocol and its two backends."""

from ocm_core.apiserver.storage.base import (
    EventType,
    ListResult,
    Object,
    Removal,
    Storage,
    StoredEvent,
)
from ocm_core.apiserver.storage.errors import (
    AlreadyExistsError,
    BadContinueError,
    ConflictError,
    ExpiredError,
    NotFoundError,
    StorageError,
)
from ocm_core.apiserver.storage.memory import MemoryStorage
from ocm_core.apiserver.storage.sqlite import SQLiteStorage

__all__ = [
    "AlreadyExistsError",
    "BadContinueError",
    "ConflictError",
    "EventType",
    "ExpiredError",
    "ListResult",
    "MemoryStorage",
    "NotFoundError",
    "Object",
    "Removal",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "StoredEvent",
]
