"""Per-connection credit flow control between two of our own parties (the `credit` feature).

ANP multiplexes every connection of an agent onto one gRPC stream and relies on HTTP/2's
stream window alone, so one consumer that stops reading stalls all of them (ANP #180, #881).
When both ends of a hop announce `credit` (see `headers.FEATURES`), every connection gets a
window per direction instead:

* a sender may have at most `window` bytes of a connection unacknowledged by its receiver;
  every side starts with `INITIAL_WINDOW` granted, so no dial waits for a first grant; the
  receiver tops that up to its window with one grant, which it may defer until it sends the
  peer something anyway or the peer has used half the initial window (one message less);
* a receiver counts the bytes it holds for a connection (received, not yet consumed: written
  to a socket, read by an application, handed on to the next hop) and gives credit back as
  its consumer drains them, in grants of at least a quarter window (fewer packets);
* a sender that overruns its window breaks the protocol (`RemoteProtocolError`).

So one connection's stalled consumer holds at most its own window of memory, and the shared
stream keeps moving for every other connection. Grants travel in-band as a `Packet` whose
`type` is `CREDIT` (outside ANP's enum: proto3 enums are open) carrying `Data{connectID,
data=varint(bytes)}`; only negotiated peers ever see one.

Both classes are plain counters: no I/O, no clocks. The transports report "consumed n bytes"
and obey "may send n bytes".
"""

from __future__ import annotations

from typing import Final

from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError

#: Feature names announced in the `x-ocm-tunnel-features` metadata.
FEATURE_CREDIT: Final = "credit"
#: Bytes every sender may send on a new connection before any grant arrives.
INITIAL_WINDOW: Final = 256 * 1024
#: Default per-connection receive window (what one stalled consumer may hold).
DEFAULT_WINDOW: Final = 4 * 1024 * 1024
#: Largest window a peer may build up; more is a broken or hostile peer.
MAX_WINDOW: Final = 1 << 40
#: Grant back once this fraction of the window is consumed (1/4: few packets, no stall).
GRANT_FRACTION: Final = 4


def check_window(window: int) -> int:
    """Validate a configured receive window; raise ValueError saying what is allowed."""
    if not INITIAL_WINDOW <= window <= MAX_WINDOW:
        raise ValueError(
            f"the credit window must be between {INITIAL_WINDOW} and {MAX_WINDOW} bytes, "
            f"got {window}"
        )
    return window


class SendWindow:
    """Bytes of one connection we may still send to the peer."""

    __slots__ = ("credit",)

    def __init__(self) -> None:
        self.credit = INITIAL_WINDOW

    def take(self, n: int) -> None:
        if n > self.credit:
            raise LocalProtocolError(f"sending {n} bytes with only {self.credit} bytes of credit")
        self.credit -= n

    def grant(self, n: int) -> None:
        if n <= 0 or self.credit + n > MAX_WINDOW:
            raise RemoteProtocolError(f"credit grant of {n} bytes is out of range")
        self.credit += n


class ReceiveWindow:
    """Bytes of one connection the peer may send us, and what we hold of them.

    Invariant: `allowed + held + owed == window` when credit is on, where `owed` is what was
    consumed but not yet granted back. Without credit (`enforce=False`) only `held` counts,
    for the plain-ANP stall policy.
    """

    __slots__ = ("allowed", "enforce", "held", "owed", "topped_up", "window")

    def __init__(self, window: int, *, enforce: bool) -> None:
        self.window = window
        self.enforce = enforce
        self.allowed = INITIAL_WINDOW
        self.held = 0
        self.owed = window - INITIAL_WINDOW
        #: The initial window was topped up to ours (by `opening_grant` or a later grant).
        self.topped_up = not enforce or self.owed == 0

    def opening_grant(self) -> int:
        """Credit that tops the initial window up to ours; 0 once it was granted (or without
        credit). Send it when the connection opens, or defer it until the next packet to the
        peer or until `needs_top_up`."""
        if self.topped_up:
            return 0
        self.topped_up = True
        grant, self.owed = self.owed, 0
        self.allowed += grant
        return grant

    def needs_top_up(self) -> bool:
        """The peer used half its initial window before the top-up went out: send it now, so
        the peer never waits for it."""
        return not self.topped_up and self.allowed * 2 <= INITIAL_WINDOW

    def received(self, n: int) -> None:
        if self.enforce:
            if n > self.allowed:
                raise RemoteProtocolError(
                    f"peer sent {n} bytes with only {self.allowed} bytes of window left"
                )
            self.allowed -= n
        self.held += n

    def consumed(self, n: int) -> int:
        """Our consumer took `n` held bytes: the credit to grant back now (0: not yet)."""
        if n > self.held:
            raise LocalProtocolError(f"consumed {n} bytes but only {self.held} are held")
        self.held -= n
        if not self.enforce:
            return 0
        self.owed += n
        if self.owed * GRANT_FRACTION < self.window:
            return 0
        self.topped_up = True  # what was owed includes the top-up
        grant, self.owed = self.owed, 0
        self.allowed += grant
        return grant


def encode_varint(value: int) -> bytes:
    if value < 0:
        raise LocalProtocolError(f"cannot encode negative credit {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes) -> int:
    """The unsigned varint that is all of `data`; raise on trailing or truncated bytes."""
    value = 0
    for index, byte in enumerate(data):
        if index >= 9:
            break
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if index != len(data) - 1:
                break
            return value
    raise RemoteProtocolError(f"malformed credit payload {data[:12].hex()}")
