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
_LENGTH: Final = struct.Struct(">I")
HEADER_SIZE: Final = _LENGTH.size


def frame(payload: bytes) -> bytes:
    """One frame: the length prefix and `payload`."""
    return _LENGTH.pack(len(payload)) + payload


def frames(payloads: Iterable[bytes]) -> bytes:
    """Several frames, joined for one write."""
    parts: list[bytes] = []
    for payload in payloads:
        parts.append(_LENGTH.pack(len(payload)))
        parts.append(payload)
    return b"".join(parts)


def encode_headers(pairs: Iterable[tuple[str, str]]) -> bytes:
    return urlencode(list(pairs)).encode("utf-8")


def decode_headers(payload: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RemoteProtocolError(f"malformed lane headers: {exc}") from exc


class FrameReader:
    """Splits a byte stream into frame payloads, whatever pieces it arrives in.

    `expect_preface`: the stream must start with `PREFACE` (the server's side). Frames above
    `limit` bytes are refused: the peer is broken or not speaking the lane protocol."""

    __slots__ = ("_buffer", "_limit", "_preface")

    def __init__(self, limit: int, *, expect_preface: bool = False) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._preface = expect_preface

    def set_limit(self, limit: int) -> None:
        self._limit = limit

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """The payloads of every frame `data` completes; raises RemoteProtocolError when the
        stream is not the lane protocol."""
        buffer = self._buffer
        buffer += data
        if self._preface:
            if len(buffer) < len(PREFACE):
                if not PREFACE.startswith(bytes(buffer)):
                    raise RemoteProtocolError("the peer does not speak the lane protocol")
                return []
            if not buffer.startswith(PREFACE):
                raise RemoteProtocolError("the peer does not speak the lane protocol")
            del buffer[: len(PREFACE)]
            self._preface = False
        payloads: list[bytes] = []
        start = 0
        end = len(buffer)
        while end - start >= HEADER_SIZE:
            (size,) = _LENGTH.unpack_from(buffer, start)
            if size > self._limit:
                raise RemoteProtocolError(
                    f"lane frame of {size} bytes is above the limit of {self._limit}"
                )
            if end - start - HEADER_SIZE < size:
                break
            start += HEADER_SIZE
            payloads.append(bytes(buffer[start : start + size]))
            start += size
        if start:
            del buffer[:start]
        return payloads
