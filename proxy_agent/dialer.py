"""Sockets to in-cluster targets: dial with a deadline, move bytes, report to the endpoint.

A `TargetConnection` is the socket's asyncio protocol, so bytes move in the transport's own
callbacks, with no task per connection: what the socket reads becomes a DATA packet on the
stream's outbox at once (`buffer_updated`), and bytes from the server are handed to the
transport as the session's reader receives them (`enqueue`). Reading pauses while the
connection is out of credit or the outbox is full; bytes count as consumed (credit flows
back) once the transport's buffer is below its high-water mark, as `drain()` would return.

A plain server cannot be paused per connection, so when a target keeps more than a window
unread the session's reader waits for it (`wait_drained`, ANP's behaviour), but at most
`stalled_timeout` seconds: then the connection is closed with an error, so the stream's other
connections move again.

Half-close (`halfclose` negotiated): the target's EOF leaves the connection open for the
other direction (`AgentEndpoint.socket_ended`), and the server's HALF_CLOSE shuts the
socket's write side once everything written to it is sent (`end_writing`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Final, cast

from protos.tunnel import AgentEndpoint
from protos.tunnel.switchboard import STALLED
from proxy_agent.outbox import Outbox

logger = logging.getLogger(__name__)

#: Bytes read per DATA packet at most: large packets amortise gRPC's per-message cost, and a
#: read returns whatever is available, so interactive traffic is not delayed by it.
READ_CHUNK: Final = 256 * 1024
#: Why a half-closed connection ended when its socket failed.
HALF_CLOSED_WRITE_FAILED: Final = "writing to the target failed after it half-closed"


def read_buffer() -> memoryview:
    """A buffer the connections of one event loop share for their reads: a read is copied
    out of it (into the DATA packet) before the loop reads another socket."""
    return memoryview(bytearray(READ_CHUNK))


async def dial(target: str, timeout: float, connection: TargetConnection) -> asyncio.Transport:
    """Connect `connection` to `target`; it reads nothing until `start`."""
    host, _, port = target.rpartition(":")
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        transport, _ = await loop.create_connection(lambda: connection, host.strip("[]"), int(port))
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Interactive traffic (exec, small RPCs) must not wait 40 ms for Nagle.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return transport


def describe_dial_error(target: str, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"dial tcp {target}: i/o timeout"
    return (
        f"dial tcp {target}: {exc.strerror or exc}"
        if isinstance(exc, OSError)
        else (f"dial tcp {target}: {exc}")
    )


class TargetConnection(asyncio.BufferedProtocol):
    """One dialled socket, tied to a connectID of one agent stream once `start`ed.

    Most connections sit idle, so the event only some connections need (a plain server's
    stall) is made when first waited on: an `asyncio.Event` costs ~0.8 KB with its waiters.
    """

    __slots__ = (
        "_awaiting_room",
        "_buffer",
        "_early",
        "_early_eof",
        "_endpoint",
        "_finished",
        "_half_closed",
        "_lost",
        "_on_closed",
        "_on_stalled",
        "_outbox",
        "_progress",
        "_read_ended",
        "_reading",
        "_stalled_timeout",
        "_transport",
        "_unconsumed",
        "_window",
        "_write_paused",
        "conn_id",
    )

    def __init__(
        self,
        endpoint: AgentEndpoint,
        outbox: Outbox,
        buffer: memoryview,
        *,
        window: int,
        stalled_timeout: float,
        on_stalled: Callable[[], None],
        on_closed: Callable[[int], None],
    ) -> None:
        """`buffer`: see `read_buffer`; `on_closed(conn_id)` once the connection is over."""
        self.conn_id = 0
        self._endpoint = endpoint
        self._outbox = outbox
        self._buffer = buffer
        self._window = window
        self._stalled_timeout = stalled_timeout
        self._on_stalled = on_stalled
        self._on_closed = on_closed
        self._transport: asyncio.Transport | None = None
        self._reading = False
        self._read_ended = False
        self._awaiting_room = False
        self._write_paused = False
        #: Bytes handed to the transport while it was above its high-water mark.
        self._unconsumed = 0
        #: Made when a plain server's reader waits; set whenever the target took bytes or the
        #: connection ended.
        self._progress: asyncio.Event | None = None
        self._finished = False
        self._half_closed = False
        #: What happened before `start` (uvloop reads once even if paused at once): a read,
        #: the EOF, the socket's loss (None: it was not lost).
        self._early = b""
        self._early_eof = False
        self._lost: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not `asyncio.Transport` subclasses, but they are ones.
        self._transport = cast(asyncio.Transport, transport)
        self._reading = True
        self._pause_reading()  # nothing to tie the bytes to before `start`

    def start(self, conn_id: int) -> None:
        """The server knows the connection as `conn_id`: move bytes."""
        self.conn_id = conn_id
        if self._early:
            self._send(self._early)
            self._early = b""
        if self._early_eof:
            self.eof_received()
        if self._lost is not None:
            self._finish(self._lost)
        self._update_reading()

    def close(self) -> None:
        """Close at the server's request (after what was written), answering CLOSE_RSP."""
        self._finish("")

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            error = ""
        elif self._half_closed:
            error = HALF_CLOSED_WRITE_FAILED
        else:
            error = str(exc)
        if self.conn_id == 0:
            self._lost = error
        else:
            self._finish(error)

    # -- target -> server ----------------------------------------------------------------------
    def get_buffer(self, sizehint: int) -> memoryview:
        allowance = self._endpoint.send_allowance(self.conn_id)
        # Reading is paused while there is no credit, so `allowance` is positive here.
        return self._buffer if allowance is None else self._buffer[: min(READ_CHUNK, allowance)]

    def buffer_updated(self, nbytes: int) -> None:
        data = bytes(self._buffer[:nbytes])
        if self.conn_id == 0:  # not started: at most one read (within the initial window)
            self._early = data
            self._reading = True  # uvloop may read despite the pause in `connection_made`
            self._pause_reading()
            return
        self._send(data)
        self._update_reading()

    def _send(self, data: bytes) -> None:
        endpoint = self._endpoint
        endpoint.send_data(self.conn_id, data)
        self._outbox.push(endpoint.packets_to_send())

    def eof_received(self) -> bool:
        if self.conn_id == 0:
            self._early_eof = True
            return True
        self._read_ended = True
        self._reading = False
        endpoint = self._endpoint
        self._half_closed = endpoint.socket_ended(self.conn_id)
        self._outbox.push(endpoint.packets_to_send())
        if not self._half_closed:
            self._finish("")
        return True  # the transport stays for writing (or `_finish` closed it)

    def credit_granted(self) -> None:
        self._update_reading()

    def _update_reading(self) -> None:
        """Read while the connection has credit and the outbox has room."""
        transport = self._transport
        if self._finished or self._read_ended or transport is None:
            return
        outbox_full = self._outbox.full
        if outbox_full and not self._awaiting_room:
            self._awaiting_room = True
            self._outbox.call_when_room(self._room_made)
        allowance = self._endpoint.send_allowance(self.conn_id)
        wanted = not outbox_full and (allowance is None or allowance > 0)
        if wanted and not self._reading:
            self._reading = True
            transport.resume_reading()
        elif not wanted:
            self._pause_reading()

    def _pause_reading(self) -> None:
        if self._reading and self._transport is not None:
            self._reading = False
            self._transport.pause_reading()

    def _room_made(self) -> None:
        self._awaiting_room = False
        self._update_reading()

    # -- server -> target ----------------------------------------------------------------------
    def enqueue(self, data: bytes) -> bool:
        """Hand bytes to the target socket; never waits. True when a plain server's bytes for
        it exceed the window: the caller should then `wait_drained()`."""
        if self._finished or self._transport is None:
            return False
        self._transport.write(data)  # may call pause_writing at once
        if self._write_paused:
            self._unconsumed += len(data)
        else:
            self._consumed(len(data))
        return not self._endpoint.credit and self._over_window()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        taken, self._unconsumed = self._unconsumed, 0
        if taken:
            self._consumed(taken)

    def end_writing(self) -> None:
        """The server sends no more bytes: shut the socket's write side after what is queued."""
        transport = self._transport
        if not self._finished and transport is not None and transport.can_write_eof():
            transport.write_eof()

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
        if self._transport is not None:
            self._transport.abort()  # drop what the target did not read
        self._finish(STALLED)

    # -- ending --------------------------------------------------------------------------------
    def _finish(self, error: str) -> None:
        """Close the socket (after what was written) and tell the server, once."""
        if self._finished:
            return
        self._finished = True
        if self._transport is not None:
            self._transport.close()
        if self._progress is not None:
            self._progress.set()
        endpoint = self._endpoint
        endpoint.closed(self.conn_id, error)
        self._outbox.push(endpoint.packets_to_send())
        self._on_closed(self.conn_id)
