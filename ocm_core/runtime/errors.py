"""Errors of the controller runtime.

::

    ControllerRuntimeError
    ├── TemporaryError      raised by a reconciler: retry after ``delay`` seconds
    ├── PermanentError      raised by a reconciler: give up on this key until it changes again
    └── QueueShutDownError  `WorkQueue.get` after `WorkQueue.shut_down`

Any other exception escaping a reconciler is treated as a bug: the key is requeued with the
queue's per-key exponential backoff and the traceback is logged once per failure streak.
"""

from __future__ import annotations


class ControllerRuntimeError(Exception):
    """Root of the runtime's errors."""


class TemporaryError(ControllerRuntimeError):
    """The reconcile cannot finish yet (a dependency is missing, a peer is not ready)."""

    def __init__(self, message: str = "", *, delay: float = 60.0) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(ControllerRuntimeError):
    """The object cannot be reconciled as it is; retrying will not help until it changes."""


class QueueShutDownError(ControllerRuntimeError):
    """The work queue is shut down; workers should exit."""
