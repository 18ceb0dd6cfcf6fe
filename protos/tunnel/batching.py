"""Several small packets in one gRPC message (the `batch` feature), for negotiated peers only.

grpc.aio moves roughly 10-15 k messages per second per stream whatever their size up to
16 KiB (docs/performance.md), and every connection of an agent shares one stream: with many
connections exchanging small requests the message rate, not the bytes, is the ceiling. A
writer that finds several packets queued packs the small ones into one `BATCH` packet
(`type` outside ANP's enum) whose `data.data` holds each packet serialized and prefixed with
its varint length; the receiver unpacks and handles them in order. Large packets travel alone
(packing would only add a copy).

A batch only packs what is queued when the writer looks, so while packets come in bursts the
writer of a shared stream lets `SETTLE_ITERATIONS` event-loop iterations pass between waking
for a packet and taking the queue: the other connections whose sockets become readable in the
next few polls (a burst of keep-alive requests or responses) queue their packets meanwhile and
share the message. A lone request/response (no take of late found more than one packet) does
not wait.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from protos._gen import client_pb2
from protos._gen.client_pb2 import Packet
from protos.tunnel.errors import RemoteProtocolError
from protos.tunnel.flow import encode_varint
from protos.tunnel.packets import with_data

FEATURE_BATCH: Final = "batch"
BATCH: Final = 101
#: Bytes of packets packed into one message at most.
BATCH_LIMIT: Final = 256 * 1024
#: DATA packets with this many payload bytes go alone.
SMALL: Final = 16 * 1024
DATA: Final = client_pb2.DATA
#: Event-loop iterations a batching writer waits after its first packet before taking the
#: queue, while packets come in bursts: the packets of sockets that become readable in the
#: next few polls join (a socket read by a task takes two iterations: the read wakes its task,
#: which queues it; a socket read by a protocol queues in the read's callback).
#: 4 batched best in row 5 of bench/tunnel.py (2 and 6 sent more messages; docs/performance.md §5).
SETTLE_ITERATIONS: Final = 4


#: Takes a writer keeps letting the queue settle after one that found several packets: a load
#: of many connections also yields some takes of one packet, which must not switch it off.
BURST_MEMORY: Final = 16


class BurstMeter:
    """Whether a batching writer lets the queue settle before its next take: only while bursts
    are recent, so a lone request/response never waits (an idle iteration still costs a
    wake-up of the event loop)."""

    __slots__ = ("_left",)

    def __init__(self) -> None:
        self._left = 0

    def took(self, count: int) -> int:
        """The last take found `count` packets: iterations to let pass before the next."""
        if count > 1:
            self._left = BURST_MEMORY
        elif self._left:
            self._left -= 1
        return SETTLE_ITERATIONS if self._left else 0


def pack(
    queued: Iterable[Packet],
    limit: int = BATCH_LIMIT,
    *,
    sizes: Iterable[int] | None = None,
) -> list[Packet]:
    """The packets to write for `queued`, in order: runs of small ones packed together.
    `sizes`: each packet's DATA payload bytes where the caller knows them (reading them from
    a packet copies the payload)."""
    out: list[Packet] = []
    run: list[tuple[Packet, bytes]] = []
    size = 0
    known = iter(sizes) if sizes is not None else None
    for packet in queued:
        payload = next(known) if known is not None else None
        # Only DATA can be large; its size is known without serializing it.
        if packet.type == DATA and (len(packet.data.data) if payload is None else payload) >= SMALL:
            _close_run(run, out)
            run, size = [], 0
            out.append(packet)
            continue
        wire = packet.SerializeToString()
        if size + len(wire) > limit:
            _close_run(run, out)
            run, size = [], 0
        run.append((packet, wire))
        size += len(wire)
    _close_run(run, out)
    return out


def _close_run(run: list[tuple[Packet, bytes]], out: list[Packet]) -> None:
    if len(run) == 1:
        out.append(run[0][0])
    elif run:
        body = b"".join(encode_varint(len(wire)) + wire for _, wire in run)
        batch = Packet(type=BATCH)  # type: ignore[arg-type]  # proto3 enums are open
        out.append(with_data(batch, 0, body))


def unpack(packet: Packet) -> list[Packet]:
    """The packets inside a `BATCH` packet; raise `RemoteProtocolError` if it is malformed."""
    body = packet.data.data
    packets: list[Packet] = []
    offset = 0
    while offset < len(body):
        length, offset = _read_varint(body, offset)
        end = offset + length
        if end > len(body):
            raise RemoteProtocolError("BATCH packet is truncated")
        try:
            inner = Packet.FromString(body[offset:end])
        except Exception as exc:  # protobuf's DecodeError has no stable import path
            raise RemoteProtocolError(f"BATCH packet holds a malformed packet: {exc}") from exc
        if inner.type == BATCH:
            raise RemoteProtocolError("BATCH packets do not nest")
        packets.append(inner)
        offset = end
    return packets


def _read_varint(body: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while offset < len(body) and shift < 35:
        byte = body[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    raise RemoteProtocolError("BATCH packet has a malformed length")
