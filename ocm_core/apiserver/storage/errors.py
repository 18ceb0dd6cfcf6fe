"""Storage failures; the API layer maps each to its Status (404, 409, 409, 410).

StorageError
  NotFoundError        the key does not exist
  AlreadyExistsError   create of an existing key
  ConflictError        precondition (resourceVersion / uid) does not hold
  ExpiredError         the requested resourceVersion is older than the retained history
  BadContinueError     a continue token that does not decode
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of every storage failure."""


class NotFoundError(StorageError):
    pass


class AlreadyExistsError(StorageError):
    pass


class ConflictError(StorageError):
    pass


class ExpiredError(StorageError):
    pass


class BadContinueError(StorageError):
    pass
