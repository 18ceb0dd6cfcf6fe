"""The lane's framing and hello headers: any split of the byte stream gives the same frames."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protos.tunnel import RemoteProtocolError, packets
from protos.tunnel.lane import (
    JOIN_LIMIT,
    PREFACE,
    FrameBuffer,
    decode_headers,
    decode_packets,
    encode_headers,
    frame,
    frame_pieces,
)
from tests.support.lane_frames import feed

payload_lists = st.lists(st.binary(max_size=300), max_size=12)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(payload_lists, st.lists(st.integers(min_value=0, max_value=4000), max_size=20))
def test_frames_survive_any_split(payloads: list[bytes], cuts: list[int]) -> None:
    stream = PREFACE + b"".join(frame_pieces(payloads))
    reader = FrameBuffer(1024, expect_preface=True)
    got: list[bytes] = []
    for piece in chunks(stream, cuts):
        got += feed(reader, piece)
    assert got == payloads
    assert reader.buffered == 0


def test_pieces_join_small_frames_and_pass_large_payloads_as_they_are() -> None:
    large = b"L" * JOIN_LIMIT
    pieces = frame_pieces([b"abc", large, b"de"])
    assert pieces == [frame(b"abc") + frame(large)[:4], large, frame(b"de")]
    assert pieces[1] is large


@given(
    payload_lists,
    st.lists(st.tuples(st.integers(-1, 5000), st.integers(1, 5000)), min_size=1, max_size=40),
)
def test_reads_into_the_buffer_give_the_frames_whatever_their_sizes(
    payloads: list[bytes], reads: list[tuple[int, int]]
) -> None:
    """As a BufferedProtocol is driven: the transport asks for a buffer with some size hint
    and fills part of it."""
    stream = memoryview(b"".join(frame_pieces(payloads)))
    buffer = FrameBuffer(1024, base=64)
    got: list[bytes] = []
    index = 0
    while stream:
        sizehint, amount = reads[index % len(reads)]
        index += 1
        room = buffer.get_buffer(sizehint)
        assert len(room) >= max(sizehint, 1)
        size = min(amount, len(room), len(stream))
        room[:size] = stream[:size]
        got += [bytes(view) for view in buffer.buffer_updated(size)]
        stream = stream[size:]
    assert got == payloads


def test_a_large_frame_lands_in_one_piece_and_the_buffer_shrinks_after() -> None:
    buffer = FrameBuffer(1 << 20, base=64)
    stream = frame(b"x" * 10_000)
    room = buffer.get_buffer(10)
    room[:10] = stream[:10]
    assert buffer.buffer_updated(10) == []
    room = buffer.get_buffer(10)  # the header is in: room for the whole frame is made
    assert len(room) >= len(stream) - 10
    room[: len(stream) - 10] = stream[10:]
    assert [bytes(view) for view in buffer.buffer_updated(len(stream) - 10)] == [b"x" * 10_000]
    assert len(buffer.get_buffer(10)) == 64  # drained, light traffic: back to the base size


def test_frames_that_are_not_packets_are_a_protocol_error() -> None:
    packet = packets.data(7, b"payload")
    assert decode_packets([memoryview(packet.SerializeToString())]) == [packet]
    with pytest.raises(RemoteProtocolError, match="not a Packet"):
        decode_packets([b"\xff\xff\xff"])


def test_a_stream_without_the_preface_is_refused_early() -> None:
    reader = FrameBuffer(1024, expect_preface=True)
    with pytest.raises(RemoteProtocolError, match="does not speak the lane protocol"):
        feed(reader, b"PRI")  # an HTTP/2 client: refused before a whole preface arrived


def test_a_frame_above_the_limit_is_refused() -> None:
    reader = FrameBuffer(16)
    assert feed(reader, frame(b"x" * 16)) == [b"x" * 16]
    with pytest.raises(RemoteProtocolError, match="above the limit of 16"):
        feed(reader, frame(b"x" * 17)[:4])


def test_the_limit_can_grow_after_the_hello() -> None:
    reader = FrameBuffer(4)
    reader.set_limit(1024)
    assert feed(reader, frame(b"x" * 100)) == [b"x" * 100]


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=6))
def test_headers_round_trip(pairs: list[tuple[str, str]]) -> None:
    assert decode_headers(encode_headers(pairs)) == pairs


def test_malformed_headers_are_a_protocol_error() -> None:
    with pytest.raises(RemoteProtocolError, match="malformed lane headers"):
        decode_headers(b"\xff\xfe")
    with pytest.raises(RemoteProtocolError, match="malformed lane headers"):
        decode_headers(b"novalue")
