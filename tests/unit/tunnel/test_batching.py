"""The `batch` feature: small packets share one message, in order; malformed batches refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError, packets
from protos.tunnel.batching import BATCH, BATCH_LIMIT, SMALL, pack, unpack

PACKETS = st.lists(
    st.one_of(
        st.builds(
            packets.data,
            st.integers(min_value=1, max_value=1 << 40),
            st.binary(max_size=3 * SMALL),
        ),
        st.builds(packets.close_request, st.integers(min_value=1, max_value=1 << 40)),
        st.builds(
            packets.credit,
            st.integers(min_value=1, max_value=1 << 40),
            st.integers(min_value=1, max_value=1 << 40),
        ),
    ),
    max_size=60,
)


def flatten(messages: list[Packet]) -> list[Packet]:
    return [p for m in messages for p in (unpack(m) if m.type == BATCH else [m])]


@settings(max_examples=200, deadline=None)
@given(PACKETS)
def test_packing_keeps_every_packet_in_order(queued: list[Packet]) -> None:
    messages = pack(queued)
    assert flatten(messages) == queued
    assert len(messages) <= max(len(queued), 1)
    for message in messages:
        if message.type == BATCH:
            assert message.ByteSize() <= BATCH_LIMIT + 64


def test_many_small_packets_become_one_message() -> None:
    queued = [packets.data(n, b"x" * 100) for n in range(1, 101)]
    (message,) = pack(queued)
    assert message.type == BATCH
    assert unpack(message) == queued


def test_a_large_packet_travels_alone() -> None:
    big = packets.data(1, b"y" * SMALL)
    assert pack([packets.close_request(2), big, packets.close_request(3)]) == [
        packets.close_request(2),
        big,
        packets.close_request(3),
    ]


@pytest.mark.parametrize(
    "body",
    [b"\x05abc", b"\xff\xff\xff\xff\xff\xff", b"\x02\xff\xff"],
    ids=["truncated", "bad-length", "bad-packet"],
)
def test_malformed_batches_are_refused(body: bytes) -> None:
    message = packets.data(0, body)
    message.type = BATCH  # type: ignore[assignment]
    with pytest.raises(RemoteProtocolError):
        unpack(message)


def test_batches_do_not_nest() -> None:
    inner = pack([packets.close_request(1), packets.close_request(2)])[0]
    outer = pack([inner, packets.close_request(3)])[0]
    with pytest.raises(RemoteProtocolError):
        unpack(outer)
