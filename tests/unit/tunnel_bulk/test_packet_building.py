"""DATA-carrying packets are built in place (one copy of the payload) and stay wire-identical."""

from __future__ import annotations

import pytest

from protos._gen import client_pb2
from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.batching import BATCH, SMALL, pack, unpack


@pytest.mark.parametrize("payload", [b"", b"x", bytes(256 * 1024)])
@pytest.mark.parametrize("conn_id", [0, 1, 2**40])
def test_data_packet_matches_the_nested_constructor(payload: bytes, conn_id: int) -> None:
    nested = Packet(type=packets.DATA, data=client_pb2.Data(connectID=conn_id, data=payload))
    built = packets.data(conn_id, payload)
    assert built.WhichOneof("payload") == "data"
    assert built.SerializeToString() == nested.SerializeToString()


def test_credit_and_half_close_carry_a_data_payload() -> None:
    credit = packets.credit(7, 1 << 20)
    assert credit.WhichOneof("payload") == "data"
    assert packets.credit_grant(credit) == 1 << 20
    half = packets.half_close(7)
    assert half.WhichOneof("payload") == "data"
    assert half.data.connectID == 7


def test_a_batch_round_trips() -> None:
    queued = [packets.data(1, b"a"), packets.credit(2, 65536), packets.half_close(3)]
    (batch,) = pack(queued)
    assert batch.type == BATCH
    assert batch.WhichOneof("payload") == "data"
    assert [p.SerializeToString() for p in unpack(batch)] == [p.SerializeToString() for p in queued]


def test_pack_takes_the_payload_sizes_it_is_given() -> None:
    big = packets.data(1, bytes(SMALL))
    queued = [packets.close_request(2), big, packets.data(3, b"x"), packets.close_request(4)]
    sizes = [0, SMALL, 1, 0]
    with_sizes = pack(queued, sizes=sizes)
    assert [m.SerializeToString() for m in with_sizes] == [
        m.SerializeToString() for m in pack(queued)
    ]
    assert [m.type for m in with_sizes] == [packets.CLOSE_REQ, packets.DATA, BATCH]
    # The sizes are believed, not re-read from the packets (re-reading copies the payload).
    assert [m.type for m in pack(queued, sizes=[0, 1, 1, 0])] == [BATCH]
