"""The transport side of an agent lane (`protos.tunnel.lane`), the same at both ends.

`prepare` tunes a lane's socket and transport: no Nagle delay on small writes, and kernel
keepalives in place of gRPC's pings, so a peer (or the NAT entry between) that vanished is
noticed after about `idle` x 2 seconds. Keepalives only probe an idle connection:
`TCP_USER_TIMEOUT` gives up on one whose sent bytes go unacknowledged as long, as gRPC's ping
timeout does (the kernel would retry for ~15 minutes).

`FrameWriter` frames payloads, and sends what was written in one event-loop iteration in one
`writelines` (the flush is scheduled with `call_soon`, so it runs after every read callback of
that iteration).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from protos.tunnel.lane import WRITE_HIGH_WATER, frame_pieces

#: Unanswered probes before the kernel declares the peer gone.
PROBES = 3


def tune_link_socket(sock: socket.socket, idle: float) -> None:
    """`idle`: seconds of silence before the first keepalive probe."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):  # Linux; macOS has only the on/off switch above
        seconds = max(1, int(idle))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, seconds)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, seconds // PROBES))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, PROBES)
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(idle * 2 * 1000))


def prepare(transport: asyncio.Transport, idle: float) -> None:
    """Tune a lane's socket (`idle`: keepalive, see the module doc) and give its transport room
    to buffer (`WRITE_HIGH_WATER`)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        tune_link_socket(sock, idle)
    transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)


class FrameWriter:
    """Frames for one lane, flushed once per event-loop iteration; `flushed` runs after each
    write to the transport."""

    __slots__ = ("_flushed", "_pending", "_scheduled", "_transport")

    def __init__(
        self, transport: asyncio.WriteTransport, flushed: Callable[[], None] | None = None
    ) -> None:
        self._transport = transport
        self._flushed = flushed
        self._pending: list[bytes] = []
        self._scheduled = False

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def write(self, payload: bytes) -> None:
        self._pending.append(payload)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write what is pending now (dropped if the transport is closing)."""
        self._scheduled = False
        pending, self._pending = self._pending, []
        if not pending or self._transport.is_closing():
            return
        self._transport.writelines(frame_pieces(pending))
        if self._flushed is not None:
            self._flushed()
