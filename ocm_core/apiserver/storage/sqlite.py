"""SQLite storage: the default. WAL journal, group commit, an event log table.

Tables: ``objects`` (one row per key, JSON text), ``events`` (the last ``event_window`` commits,
so watches resume after a restart) and ``meta`` (the compaction floor). The resourceVersion
counter is the newest event's rv: pruning always keeps the newest event, so no write has to
update a counter row too (one B-tree page less per commit).

Calls run synchronously on the event loop on purpose: each statement is a few microseconds on
a local file, one connection serialises writes (which is what makes commit order == RV order),
and a thread hop per call would cost more than the work. ``synchronous=NORMAL`` in WAL mode
keeps every commit atomic across a process crash. The one slow step, the WAL checkpoint with
its fsyncs, runs in a worker thread on a connection of its own, every ``_CHECKPOINT_EVERY``
commits.

Group commit: a write runs its statements at once (so it sees every earlier write and its
errors are immediate) inside the open batch transaction, then waits for the batch's COMMIT,
which runs once the event loop has taken every request that arrived together. Only then is
its event published and its caller answered, so nothing uncommitted is ever acknowledged or
watched; a failed COMMIT fails every write of the batch. BEGIN and COMMIT (the lock, WAL
header and page writes) were most of a lone write's cost. Reads go through a second
connection, which sees committed rows only. Writes of a resource registered with
:meth:`SQLiteStorage.commit_immediately` commit (with the batch) before they return, for
in-memory admission state that the very next write must see.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any, Final

from ocm_core.apiserver.selectors import EVERYTHING, ObjectSelector
from ocm_core.apiserver.storage.base import (
    DEFAULT_EVENT_WINDOW,
    ContinueToken,
    EventType,
    Listener,
    ListResult,
    Object,
    Removal,
    StoredEvent,
    UpdateFn,
    key_of,
    resource_version_of,
    same_content,
)
from ocm_core.apiserver.storage.errors import (
    AlreadyExistsError,
    ConflictError,
    ExpiredError,
    NotFoundError,
)

logger = logging.getLogger(__name__)

#: Prune the event log every this many writes rather than on each one.
_PRUNE_EVERY: Final = 256
#: Copy the WAL back into the database file after this many commits (SQLite's own automatic
#: checkpoint, every 1,000 pages, would run inside a COMMIT on the event loop and wait there
#: for two fsyncs: about half of a write's wall time).
_CHECKPOINT_EVERY: Final = 200
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS objects (
    resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    rv INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL,
    namespace TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('rv', 0), ('compacted', 0);
"""


def _dumps(obj: Object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _private_copy(data: str) -> Object:
    """A caller's own copy of a committed object, parsed from the row text just written."""
    obj: Object = json.loads(data)
    return obj


class _Batch:
    """The writes of the open transaction: their events, and a future their callers wait on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.events: list[StoredEvent] = []
        self.committed: asyncio.Future[None] = loop.create_future()


def _connect(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)


class SQLiteStorage:
    def __init__(self, path: Path | str, *, event_window: int = DEFAULT_EVENT_WINDOW) -> None:
        self._db = _connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._db.executescript(_SCHEMA)
        #: Reads never see the open batch: only what has been committed and published.
        self._reader = _connect(path)
        #: Used by one checkpoint at a time, in a worker thread.
        self._checkpointer = _connect(path)
        self._checkpoint: asyncio.Future[None] | None = None
        self._commits_since_checkpoint = 0
        self._rv = max(self._meta("rv"), self._newest_event_rv())
        #: The RV of the newest write, committed or in the open batch.
        self._written_rv = self._rv
        self._compacted = self._meta("compacted")
        self._pending_compacted = self._compacted
        self._window = event_window
        self._writes_since_prune = 0
        self._listeners: list[Listener] = []
        self._batch: _Batch | None = None
        self._immediate: set[str] = set()

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def _newest_event_rv(self) -> int:
        row = self._db.execute("SELECT MAX(rv) FROM events").fetchone()
        return int(row[0] or 0)

    # --- reads ------------------------------------------------------------------------------

    @staticmethod
    def _row(db: sqlite3.Connection, resource: str, namespace: str, name: str) -> Object:
        row = db.execute(
            "SELECT data FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{resource} {namespace}/{name}")
        obj: Object = json.loads(row[0])
        return obj

    async def get(self, resource: str, namespace: str, name: str) -> Object:
        return self._row(self._reader, resource, namespace, name)

    async def list(
        self,
        resource: str,
        *,
        namespace: str | None = None,
        selector: ObjectSelector = EVERYTHING,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        where, args = ["resource = ?"], [resource]
        list_rv = self._rv
        if namespace is not None:
            where.append("namespace = ?")
            args.append(namespace)
        if (name := selector.fields.exact("metadata.name")) is not None:
            where.append("name = ?")
            args.append(name)
        if continue_token:
            token = ContinueToken.decode(continue_token)
            if token.resource_version < self._compacted:
                raise ExpiredError("the continue token has expired")
            list_rv = token.resource_version
            where.append("(namespace, name) > (?, ?)")
            args += [token.namespace, token.name]
        query = f"SELECT namespace, name, data FROM objects WHERE {' AND '.join(where)} "
        cursor = self._reader.execute(query + "ORDER BY namespace, name", args)
        items: list[Object] = []
        for ns, obj_name, data in cursor:
            obj = json.loads(data)
            if not selector.matches(obj):
                continue
            items.append(obj)
            if limit and len(items) == limit:
                remaining = self._count_after(where, args, ns, obj_name)
                cursor.close()
                if remaining == 0:
                    break
                token_text = ContinueToken(list_rv, ns, obj_name).encode()
                return ListResult(
                    items, list_rv, token_text, remaining if selector == EVERYTHING else None
                )
        return ListResult(items, list_rv)

    def _count_after(
        self, where: builtins.list[str], args: builtins.list[Any], namespace: str, name: str
    ) -> int:
        clause = " AND ".join([*where, "(namespace, name) > (?, ?)"])
        row = self._reader.execute(
            f"SELECT COUNT(*) FROM objects WHERE {clause}", [*args, namespace, name]
        ).fetchone()
        return int(row[0])

    def current_resource_version(self) -> int:
        return self._rv

    def compacted_resource_version(self) -> int:
        return self._compacted

    async def events_since(self, resource_version: int) -> builtins.list[StoredEvent]:
        if resource_version < self._compacted:
            raise ExpiredError(f"too old resource version: {resource_version} ({self._compacted})")
        rows = self._reader.execute(
            "SELECT rv, type, resource, namespace, name, data FROM events WHERE rv > ? ORDER BY rv",
            (resource_version,),
        ).fetchall()
        return [
            StoredEvent(EventType(t), res, ns, name, rv, json.loads(data))
            for rv, t, res, ns, name, data in rows
        ]

    # --- writes -----------------------------------------------------------------------------

    def commit_immediately(self, resource: str) -> None:
        """Writes of ``resource`` commit (with the open batch) and are published before they
        return: for in-memory state the next write is checked against (namespaces, CRDs)."""
        self._immediate.add(resource)

    def _open_batch(self) -> _Batch:
        """The batch transaction, begun (and its COMMIT scheduled) if none is open."""
        if self._batch is None:
            loop = asyncio.get_running_loop()
            self._db.execute("BEGIN IMMEDIATE")
            self._batch = _Batch(loop)
            loop.call_soon(self._flush)
        return self._batch

    def _write(
        self,
        event_type: EventType,
        resource: str,
        obj: Object,
        *,
        previous: Object | None = None,
    ) -> str:
        """In the open batch: take the next RV, write the row and the event log entry.

        ``obj`` is left as it is: the row text is encoded from it once, and the event gets its
        own copy parsed from that text."""
        batch = self._open_batch()
        rv = self._written_rv + 1
        namespace, name = key_of(obj)
        data = _dumps({**obj, "metadata": {**obj["metadata"], "resourceVersion": str(rv)}})
        db = self._db
        if event_type is EventType.ADDED:
            try:
                db.execute(
                    "INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                    (resource, namespace, name, rv, data),
                )
            except sqlite3.IntegrityError:
                # The failed statement left the transaction as it was.
                raise AlreadyExistsError(f"{resource} {namespace}/{name}") from None
        try:
            if event_type is EventType.DELETED:
                db.execute(
                    "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
                    (resource, namespace, name),
                )
            elif event_type is EventType.MODIFIED:
                db.execute(
                    "UPDATE objects SET rv = ?, data = ? "
                    "WHERE resource = ? AND namespace = ? AND name = ?",
                    (rv, data, resource, namespace, name),
                )
            db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                (rv, event_type.value, resource, namespace, name, data),
            )
            self._writes_since_prune += 1
            if self._writes_since_prune >= _PRUNE_EVERY:
                self._prune(rv)
        except sqlite3.Error as exc:
            self._abort(exc)  # half a write is in the transaction: none of the batch may stay
            raise
        self._written_rv = rv
        event = StoredEvent(event_type, resource, namespace, name, rv, json.loads(data), previous)
        batch.events.append(event)
        return data

    def _prune(self, rv: int) -> None:
        floor = rv - self._window
        if floor > self._compacted:
            self._db.execute("DELETE FROM events WHERE rv <= ?", (floor,))
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'compacted'", (floor,))
            self._pending_compacted = floor
        self._writes_since_prune = 0

    def _flush(self) -> None:
        """COMMIT the open batch, then publish its events and answer its writers."""
        batch = self._batch
        if batch is None:
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abort(exc)
            return
        self._batch = None
        try:
            for event in batch.events:
                self._publish(event)
        finally:
            # Writers resume only after this callback, so after every listener has run; a
            # listener that fails must not leave them waiting forever.
            if not batch.committed.done():
                batch.committed.set_result(None)
        self._commits_since_checkpoint += 1
        if self._commits_since_checkpoint >= _CHECKPOINT_EVERY and self._checkpoint is None:
            self._start_checkpoint()

    def _start_checkpoint(self) -> None:
        """Checkpoint in a worker thread (sqlite3 lets go of the GIL while it writes and
        syncs); PASSIVE never blocks the writer, which goes on appending to the WAL."""
        self._commits_since_checkpoint = 0
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._run_checkpoint))
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _run_checkpoint(self) -> None:
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _checkpoint_done(self, checkpoint: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not checkpoint.cancelled() and (exc := checkpoint.exception()) is not None:
            # The WAL keeps every commit; the next checkpoint copies it back.
            logger.warning("WAL checkpoint failed", extra={"error": str(exc)})

    def _abort(self, exc: BaseException) -> None:
        """Roll the open batch back: every write in it fails with ``exc``."""
        batch, self._batch = self._batch, None
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._written_rv = self._rv
        self._pending_compacted = self._compacted
        if batch is not None and not batch.committed.done():
            batch.committed.set_exception(exc)
            batch.committed.exception()  # retrieved: a batch nobody awaits is not an error

    def _publish(self, event: StoredEvent) -> None:
        """After COMMIT: advance in-memory counters, then tell listeners."""
        self._rv = event.resource_version
        self._compacted = max(self._compacted, self._pending_compacted)
        for listener in self._listeners:
            listener(event)

    async def _committed(self, resource: str) -> None:
        """Wait until the open batch (holding the caller's write) is committed and published."""
        batch = self._batch
        if batch is None:
            return
        if resource in self._immediate:
            self._flush()
            batch.committed.result()  # raises when the COMMIT failed
            return
        await asyncio.shield(batch.committed)

    async def create(self, resource: str, obj: Object) -> Object:
        data = self._write(EventType.ADDED, resource, obj)
        await self._committed(resource)
        return _private_copy(data)

    async def guaranteed_update(
        self,
        resource: str,
        namespace: str,
        name: str,
        update: UpdateFn,
        *,
        precondition_rv: str | None = None,
    ) -> Object:
        self._open_batch()  # holds the write lock from the read to the write
        current = self._row(self._db, resource, namespace, name)
        if precondition_rv and precondition_rv != resource_version_of(current):
            raise ConflictError(f"{resource} {namespace}/{name}: resourceVersion changed")
        outcome = update(json.loads(_dumps(current)))
        if isinstance(outcome, Removal):
            data = self._write(EventType.DELETED, resource, outcome.final_state)
        elif same_content(outcome, current):
            await self._committed(resource)  # ``current`` may come from the open batch
            return current
        else:
            data = self._write(EventType.MODIFIED, resource, outcome, previous=current)
        await self._committed(resource)
        return _private_copy(data)

    async def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        precondition_rv: str | None = None,
        precondition_uid: str | None = None,
    ) -> Object:
        self._open_batch()
        current = self._row(self._db, resource, namespace, name)
        if precondition_rv and precondition_rv != resource_version_of(current):
            raise ConflictError(f"{resource} {namespace}/{name}: resourceVersion changed")
        if precondition_uid and precondition_uid != current.get("metadata", {}).get("uid"):
            raise ConflictError(f"{resource} {namespace}/{name}: uid changed")
        data = self._write(EventType.DELETED, resource, current)
        await self._committed(resource)
        return _private_copy(data)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def close(self) -> None:
        self._flush()
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        self._listeners.clear()
        self._checkpointer.close()
        self._reader.close()
        self._db.close()
