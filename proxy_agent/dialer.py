"""Sockets to in-cluster targets: dial with a deadline, pump bytes, report to the endpoint.

Each connection has its own write queue and writer task, so the session's reader only
appends (it serves every connection of the stream). When the server negotiated `credit`, the
window bounds each queue and the reader never waits. A plain server cannot be paused per
connection, so when a target keeps more than a window unread the reader waits for it
(`wait_drained`, ANP's behaviour), but at most `stalled_timeout` seconds: then the connection
is closed with an error, so the stream's other connections move again.

Half-close (`halfclose` negotiated): the target's EOF leaves the connection open for the
other direction (`AgentEndpoint.socket_ended`), and the server's HALF_CLOSE shuts the
socket's write side once everything queued for it is written (`end_writing`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Final

from protos.tunnel import AgentEndpoint
from protos.tunnel.switchboard import STALLED
from proxy_agent.outbox import Outbox

logger = logging.getLogger(__name__)

#: Bytes read per DATA packet at most: large packets amortise gRPC's per-message cost, and a
#: read returns whatever is available, so interactive traffic is not delayed by it.
READ_CHUNK: Final = 256 * 1024


async def dial(target: str, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = target.rpartition(":")
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            host.strip("[]"), int(port), limit=READ_CHUNK
        )
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # Interactive traffic (exec, small RPCs) must not wait 40 ms for Nagle.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


def describe_dial_error(target: str, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"dial tcp {target}: i/o timeout"
    return (
        f"dial tcp {target}: {exc.strerror or exc}"
        if isinstance(exc, OSError)
        else (f"dial tcp {target}: {exc}")
    )


class TargetConnection:
    """One dialled socket, tied to a connectID of one agent stream.

    Most connections sit idle, so the events only some connections need (out of credit, a
    plain server's stall, a half-closed target) are made when first waited on: an
    `asyncio.Event` costs ~0.8 KB with its waiter deque.
    """

    __slots__ = (
        "_credit",
        "_drainer",
        "_endpoint",
        "_eof_wanted",
        "_finished",
        "_on_stalled",
        "_outbox",
        "_pending",
        "_progress",
        "_reader",
        "_stalled_timeout",
        "_window",
        "_writable",
        "_write_failed",
        "_writer",
        "_writer_wakeup",
        "conn_id",
        "pump",
    )

    def __init__(
        self,
        conn_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        endpoint: AgentEndpoint,
        outbox: Outbox,
        *,
        window: int,
        stalled_timeout: float,
        on_stalled: Callable[[], None],
    ) -> None:
        self.conn_id = conn_id
        self._reader = reader
        self._writer = writer
        self._endpoint = endpoint
        self._outbox = outbox
        self._window = window
        self._stalled_timeout = stalled_timeout
        self._on_stalled = on_stalled
        #: Bytes for the target, taken whole by the writer (a list: ~0.7 KB less than a deque).
        self._pending: list[bytes] = []
        #: Work for the writer task: bytes queued, or the EOF to pass on.
        self._writable = False
        self._writer_wakeup: asyncio.Future[None] | None = None
        #: Made when the reader runs out of credit; set by the next grant.
        self._credit: asyncio.Event | None = None
        #: Made when a plain server's reader waits; set whenever the target took bytes or the
        #: connection ended.
        self._progress: asyncio.Event | None = None
        self._finished = False
        self._eof_wanted = False
        #: Done when writing to the target failed (awaited once its reading side has ended).
        self._write_failed: asyncio.Future[None] | None = None
        self.pump: asyncio.Task[None] | None = None
        self._drainer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.pump = asyncio.ensure_future(self._read_target())
        self._drainer = asyncio.ensure_future(self._write_target())
        self.pump.add_done_callback(self._forget_task)
        self._drainer.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        """A cancelled task keeps its CancelledError, whose traceback keeps the frame that
        holds `self`: forgetting the task breaks that cycle, so a closed connection is freed
        at once rather than at the next full garbage collection."""
        if task is self.pump:
            self.pump = None
        elif task is self._drainer:
            self._drainer = None

    # -- target -> server ----------------------------------------------------------------------
    async def _read_target(self) -> None:
        error = ""
        endpoint = self._endpoint
        try:
            while True:
                allowance = endpoint.send_allowance(self.conn_id)
                while allowance is not None and allowance <= 0:
                    # Out of credit: stop reading this socket (the server holds a window).
                    if self._credit is None:
                        self._credit = asyncio.Event()
                    self._credit.clear()
                    await self._credit.wait()
                    allowance = endpoint.send_allowance(self.conn_id)
                size = READ_CHUNK if allowance is None else min(READ_CHUNK, allowance)
                chunk = await self._reader.read(size)
                if not chunk:
                    break
                endpoint.send_data(self.conn_id, chunk)
                self._outbox.push(endpoint.packets_to_send())
                await self._outbox.wait_room()
            half_closed = endpoint.socket_ended(self.conn_id)
            self._outbox.push(endpoint.packets_to_send())
            if half_closed:
                # Live until the server's end (close() cancels us) or a failed write.
                await self._write_failure()
                error = "writing to the target failed after it half-closed"
        except OSError as exc:
            error = str(exc)
        finally:
            self._finish(error)

    def end_writing(self) -> None:
        """The server sends no more bytes: shut the socket's write side after the queue."""
        self._eof_wanted = True
        self._wake_writer()

    def credit_granted(self) -> None:
        if self._credit is not None:
            self._credit.set()

    # -- server -> target ----------------------------------------------------------------------
    def enqueue(self, data: bytes) -> bool:
        """Queue bytes for the target; never waits. True when a plain server's bytes for it
        exceed the window: the caller should then `wait_drained()`."""
        self._pending.append(data)
        self._wake_writer()
        return not self._endpoint.credit and self._over_window()

    def _over_window(self) -> bool:
        return not self._finished and self._endpoint.held(self.conn_id) > self._window

    async def wait_drained(self) -> None:
        """Wait until the target took the excess, or close the connection as stalled."""
        loop = asyncio.get_running_loop()
        timeout = self._stalled_timeout
        deadline = loop.time() + timeout if timeout > 0 else None
        while self._over_window():
            if self._progress is None:
                self._progress = asyncio.Event()
            self._progress.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._progress.wait()
            except TimeoutError:
                self._close_stalled()
                return

    async def _write_target(self) -> None:
        writer = self._writer
        try:
            while True:
                if not self._writable:
                    self._writer_wakeup = asyncio.get_running_loop().create_future()
                    await self._writer_wakeup
                    continue
                self._writable = False
                chunks, self._pending = self._pending, []
                writer.writelines(chunks)
                await writer.drain()
                self._consumed(sum(len(c) for c in chunks))
                if self._eof_wanted and not self._pending:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
        except (ConnectionError, OSError):
            failure = self._write_failure()
            if not failure.done():  # not cancelled with a reader that waited on it
                failure.set_result(None)

    def _wake_writer(self) -> None:
        self._writable = True
        wakeup = self._writer_wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def _write_failure(self) -> asyncio.Future[None]:
        if self._write_failed is None:
            self._write_failed = asyncio.get_running_loop().create_future()
        return self._write_failed

    def _consumed(self, n: int) -> None:
        endpoint = self._endpoint
        endpoint.consumed(self.conn_id, n)
        self._outbox.push(endpoint.packets_to_send())
        if self._progress is not None:
            self._progress.set()

    def _close_stalled(self) -> None:
        logger.warning(
            "closing connection %d: its target kept more than %d bytes unread for %.1fs",
            self.conn_id,
            self._window,
            self._stalled_timeout,
        )
        self._on_stalled()
        self._pending.clear()
        self._stop()
        self._finish(STALLED)

    # -- ending --------------------------------------------------------------------------------
    def _finish(self, error: str) -> None:
        """Hand what is queued to the socket, close it, and tell the server (idempotent)."""
        self._close_socket()
        self._finished = True
        if self._progress is not None:
            self._progress.set()
        if self._drainer is not None:
            self._drainer.cancel()
        self._endpoint.closed(self.conn_id, error)
        self._outbox.push(self._endpoint.packets_to_send())

    def _stop(self) -> None:
        if self.pump is not None:
            self.pump.cancel()

    def _close_socket(self) -> None:
        """Close after what is queued: the transport flushes its buffer before closing."""
        if self._pending:
            self._writer.writelines(self._pending)
            self._pending.clear()
        self._writer.close()

    def close(self) -> None:
        """Close at the server's request; the pump reports CLOSE_RSP as it ends."""
        self._stop()
        self._close_socket()
