"""The lane: the agent link as length-prefixed packets over mTLS, offered to our agents only.

grpc.aio costs ~140 µs of CPU per message on each end of the agent link, against ~27 µs for
the same `Packet`s on a plain TLS stream (bench/transport_floor.py, docs/performance.md §9), and
every connection of an agent shares that link. So a server started with a lane port offers it:
an agent that announces the `lane` feature on `AgentService.Connect` gets the port back in the
`x-ocm-tunnel-lane-port` header, opens a TLS connection to it (same certificate, same identity
checks), and once the server accepted it, drains and closes its gRPC stream. ANP peers never
announce `lane`, so they see nothing new; an agent whose lane cannot be reached stays on gRPC.

Wire format, after the TLS handshake:
- agent -> server: `PREFACE`, then one frame whose payload is the stream metadata gRPC would
  carry (`agentid`, `agentidentifiers`, `x-ocm-tunnel-features`), URL-encoded;
- server -> agent: one frame of URL-encoded headers: `serverid`, `servercount` and the
  negotiated features, as `Connect` answers, or `REFUSAL` with the reason;
- then `Packet`s both ways, each serialized in one frame.
A frame is a 4-byte big-endian payload length and the payload.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl, urlencode

from google.protobuf.message import DecodeError

from protos._gen.client_pb2 import Packet
from protos.tunnel.errors import RemoteProtocolError

FEATURE_LANE: Final = "lane"
#: Connect response header: the lane port (our servers, to agents that announced `lane`).
LANE_PORT: Final = "x-ocm-tunnel-lane-port"
#: The server's answer header when it refuses the lane: "<gRPC status name>: <reason>".
REFUSAL: Final = "x-ocm-tunnel-lane-refusal"
#: ALPN protocol of the lane's TLS handshake: a client of another protocol fails the handshake.
ALPN: Final = "ocm-tunnel-lane/1"
#: What an agent sends first: it names the protocol, so stray clients are told apart.
PREFACE: Final = b"OCMLANE1"
#: The hello frames are small; this bounds what a peer can make us buffer before admission.
MAX_HELLO: Final = 64 * 1024
#: Bytes a lane's transport may buffer before its writer is held back: one link carries every
#: connection of an agent, so it gets more room than a socket's default 64 KiB.
WRITE_HIGH_WATER: Final = 1024 * 1024
#: Payloads from this size on are written as they are, not copied into a joined piece.
JOIN_LIMIT: Final = 16 * 1024
_LENGTH: Final = struct.Struct(">I")
HEADER_SIZE: Final = _LENGTH.size


def frame(payload: bytes) -> bytes:
    """One frame: the length prefix and `payload`."""
    return _LENGTH.pack(len(payload)) + payload


def frame_pieces(payloads: Iterable[bytes]) -> list[bytes]:
    """Frames of `payloads` as pieces for one `writelines`: small frames joined, a large
    payload passed as it is (joining would copy it once more)."""
    pieces: list[bytes] = []
    run: list[bytes] = []
    for payload in payloads:
        run.append(_LENGTH.pack(len(payload)))
        if len(payload) < JOIN_LIMIT:
            run.append(payload)
        else:
            pieces.append(b"".join(run))
            pieces.append(payload)
            run = []
    if run:
        pieces.append(b"".join(run))
    return pieces


def encode_headers(pairs: Iterable[tuple[str, str]]) -> bytes:
    return urlencode(list(pairs)).encode("utf-8")


def decode_headers(payload: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RemoteProtocolError(f"malformed lane headers: {exc}") from exc


#: A lane's receive buffer while traffic is light; it grows to hold a whole frame, and for
#: the bytes the transport has ready, and shrinks back once drained.
BASE_BUFFER: Final = 64 * 1024
#: Growth beyond a frame's needs stops doubling here.
GROWTH_CAP: Final = 2 * 1024 * 1024


def decode_packets(payloads: Iterable[memoryview | bytes]) -> list[Packet]:
    """The packets framed in `payloads`; raises RemoteProtocolError on one that is not."""
    try:
        # upb parses any buffer; the stubs only name bytes.
        return [Packet.FromString(payload) for payload in payloads]  # type: ignore[arg-type]
    except DecodeError as exc:
        raise RemoteProtocolError(f"a lane frame is not a Packet: {exc}") from exc


class FrameBuffer:
    """Receives a byte stream into a buffer it owns and splits it into frames.

    A transport reads straight into `get_buffer()` (asyncio's BufferedProtocol; uvloop's TLS
    decrypts into it) and `buffer_updated()` returns the frames completed, as views of the
    buffer: decode them before the next `get_buffer()`, which may reuse the space. Room is made
    so that a whole frame lands in one piece, so a payload is never copied to be joined.

    `expect_preface`: the stream must start with `PREFACE` (the server's side). Frames above
    `limit` bytes are refused: the peer is broken or does not speak the lane protocol."""

    __slots__ = ("_base", "_buffer", "_end", "_limit", "_preface", "_start")

    def __init__(self, limit: int, *, expect_preface: bool = False, base: int = BASE_BUFFER):
        self._buffer = bytearray(base)
        self._base = base
        self._start = 0
        self._end = 0
        self._limit = limit
        self._preface = expect_preface

    def set_limit(self, limit: int) -> None:
        self._limit = limit

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return self._end - self._start

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        want = max(sizehint, 1)
        size = len(self._buffer)
        frame_end = self._start + self._next_frame_size()
        if size - self._end < want or frame_end > size or self._drained_light(want):
            self._make_room(want)
        return memoryview(self._buffer)[self._end :]

    def buffer_updated(self, nbytes: int) -> list[memoryview]:
        """The frames `nbytes` more bytes completed; raises RemoteProtocolError when the stream
        is not the lane protocol."""
        self._end += nbytes
        if self._preface and not self._skip_preface():
            return []
        buffer = self._buffer
        frames: list[memoryview] = []
        start, end = self._start, self._end
        while end - start >= HEADER_SIZE:
            (size,) = _LENGTH.unpack_from(buffer, start)
            if size > self._limit:
                raise RemoteProtocolError(
                    f"lane frame of {size} bytes is above the limit of {self._limit}"
                )
            if end - start - HEADER_SIZE < size:
                break
            start += HEADER_SIZE
            frames.append(memoryview(buffer)[start : start + size])
            start += size
        self._start, self._end = (0, 0) if start == end else (start, end)
        return frames

    def _skip_preface(self) -> bool:
        """Check the preface as it arrives; True once it is behind us."""
        received = bytes(self._buffer[self._start : self._end])
        if len(received) < len(PREFACE):
            if not PREFACE.startswith(received):
                raise RemoteProtocolError("the peer does not speak the lane protocol")
            return False
        if not received.startswith(PREFACE):
            raise RemoteProtocolError("the peer does not speak the lane protocol")
        self._start += len(PREFACE)
        self._preface = False
        return True

    def _next_frame_size(self) -> int:
        """Header and payload bytes of the frame being received (0: its header is not in)."""
        if self._preface or self._end - self._start < HEADER_SIZE:
            return 0
        (size,) = _LENGTH.unpack_from(self._buffer, self._start)
        return HEADER_SIZE + size if size <= self._limit else 0

    def _drained_light(self, want: int) -> bool:
        """Nothing buffered, a grown buffer and a small read: traffic is light again."""
        return self._end == 0 and len(self._buffer) > self._base and want <= self._base // 4

    def _make_room(self, want: int) -> None:
        """Move the partial frame to the front, in a buffer big enough for the whole frame
        and `want` more bytes; a fresh buffer when growing (views already handed out stay
        valid), the base size again once drained."""
        pending = self._end - self._start
        needed = max(self._base, pending + want, self._next_frame_size())
        size = len(self._buffer)
        drained_light = self._drained_light(want)
        if needed <= size and not drained_light:
            if pending:
                self._buffer[:pending] = self._buffer[self._start : self._end]
        else:
            # Doubling keeps a stream of ever so slightly larger reads from reallocating.
            fresh = bytearray(needed if drained_light else max(needed, min(2 * size, GROWTH_CAP)))
            fresh[:pending] = self._buffer[self._start : self._end]
            self._buffer = fresh
        self._start, self._end = 0, pending
