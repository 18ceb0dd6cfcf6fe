"""Constructors and checks for konnectivity `Packet` messages.

Every module builds packets through these functions so field names (camelCase, as upstream)
are spelled in one place. Nothing here does I/O.
"""

from __future__ import annotations

from typing import Final

from protos._gen import client_pb2
from protos._gen.client_pb2 import Packet, PacketType
from protos.tunnel.errors import RemoteProtocolError
from protos.tunnel.flow import decode_varint, encode_varint
from protos.tunnel.halfclose import HALF_CLOSE as HALF_CLOSE  # re-exported

DIAL_REQ: Final = client_pb2.DIAL_REQ
DIAL_RSP: Final = client_pb2.DIAL_RSP
CLOSE_REQ: Final = client_pb2.CLOSE_REQ
CLOSE_RSP: Final = client_pb2.CLOSE_RSP
DATA: Final = client_pb2.DATA
DIAL_CLS: Final = client_pb2.DIAL_CLS
DRAIN: Final = client_pb2.DRAIN
#: Our extension, sent only to peers that negotiated the `credit` feature (see `flow`).
CREDIT: Final = 100

#: The oneof payload field each packet type must carry.
PAYLOAD_FIELD: Final[dict[int, str]] = {
    DIAL_REQ: "dialRequest",
    DIAL_RSP: "dialResponse",
    CLOSE_REQ: "closeRequest",
    CLOSE_RSP: "closeResponse",
    DATA: "data",
    DIAL_CLS: "closeDial",
    DRAIN: "drain",
    CREDIT: "data",
    HALF_CLOSE: "data",
}


def dial_request(address: str, dial_id: int, protocol: str = "tcp") -> Packet:
    return Packet(
        type=DIAL_REQ,
        dialRequest=client_pb2.DialRequest(protocol=protocol, address=address, random=dial_id),
    )


def dial_response(dial_id: int, conn_id: int = 0, error: str = "") -> Packet:
    return Packet(
        type=DIAL_RSP,
        dialResponse=client_pb2.DialResponse(random=dial_id, connectID=conn_id, error=error),
    )


def data(conn_id: int, payload: bytes) -> Packet:
    return with_data(Packet(type=DATA), conn_id, payload)


def with_data(packet: Packet, conn_id: int, payload: bytes = b"") -> Packet:
    """Fill `packet`'s `Data` payload in place and return it.

    Setting the fields of the embedded message copies `payload` once; building a `Data` and
    passing it to `Packet(data=...)` copies it twice more (with protobuf's upb backend; in a
    micro-benchmark, into freshly faulted-in pages, a hundred times the cost for 256 KiB).
    """
    body = packet.data
    body.connectID = conn_id
    body.data = payload
    return packet


def close_request(conn_id: int) -> Packet:
    return Packet(type=CLOSE_REQ, closeRequest=client_pb2.CloseRequest(connectID=conn_id))


def close_response(conn_id: int, error: str = "") -> Packet:
    return Packet(
        type=CLOSE_RSP, closeResponse=client_pb2.CloseResponse(connectID=conn_id, error=error)
    )


def close_dial(dial_id: int) -> Packet:
    return Packet(type=DIAL_CLS, closeDial=client_pb2.CloseDial(random=dial_id))


def drain() -> Packet:
    return Packet(type=DRAIN, drain=client_pb2.Drain())


def credit(conn_id: int, grant: int) -> Packet:
    """A window update: the receiver of `conn_id` may be sent `grant` more bytes."""
    packet = Packet(type=CREDIT)  # type: ignore[arg-type]  # proto3 enums are open; see flow.py
    return with_data(packet, conn_id, encode_varint(grant))


def half_close(conn_id: int) -> Packet:
    """The sender will send no more bytes of `conn_id` (it still receives)."""
    packet = Packet(type=HALF_CLOSE)  # type: ignore[arg-type]  # proto3 enums are open
    return with_data(packet, conn_id)


def credit_grant(packet: Packet) -> int:
    return decode_varint(packet.data.data)


def type_name(packet_type: int) -> str:
    """`DATA`, `DIAL_REQ`, ...; unknown values as `UNKNOWN(n)` (enums are open in proto3)."""
    if packet_type == CREDIT:
        return "CREDIT"
    if packet_type == HALF_CLOSE:
        return "HALF_CLOSE"
    try:
        return PacketType.Name(packet_type)  # type: ignore[arg-type]
    except ValueError:
        return f"UNKNOWN({packet_type})"


def check_payload(packet: Packet) -> None:
    """Raise `RemoteProtocolError` unless the packet carries the payload its type names.

    Upstream peers always set both; a mismatch means garbage or a hostile peer, and reading the
    wrong payload would silently yield zero ids.
    """
    expected = PAYLOAD_FIELD.get(packet.type)
    if expected is None:
        raise RemoteProtocolError(f"unknown packet type {type_name(packet.type)}")
    actual = packet.WhichOneof("payload")
    if actual != expected:
        raise RemoteProtocolError(
            f"{type_name(packet.type)} packet carries payload {actual or 'none'}, "
            f"expected {expected}"
        )


def describe(packet: Packet) -> str:
    """A one-line summary for debug logs (never the data bytes themselves)."""
    kind = packet.type
    if kind == DATA:
        return f"DATA conn={packet.data.connectID} len={len(packet.data.data)}"
    if kind == DIAL_REQ:
        req = packet.dialRequest
        return f"DIAL_REQ dial={req.random} address={req.address}"
    if kind == DIAL_RSP:
        rsp = packet.dialResponse
        return f"DIAL_RSP dial={rsp.random} conn={rsp.connectID} error={rsp.error!r}"
    if kind == CLOSE_REQ:
        return f"CLOSE_REQ conn={packet.closeRequest.connectID}"
    if kind == CLOSE_RSP:
        rsp2 = packet.closeResponse
        return f"CLOSE_RSP conn={rsp2.connectID} error={rsp2.error!r}"
    if kind == DIAL_CLS:
        return f"DIAL_CLS dial={packet.closeDial.random}"
    if kind == CREDIT:
        return f"CREDIT conn={packet.data.connectID}"
    if kind == HALF_CLOSE:
        return f"HALF_CLOSE conn={packet.data.connectID}"
    return type_name(kind)
