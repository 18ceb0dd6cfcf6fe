"""The lane's framing and hello headers: any split of the byte stream gives the same frames."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protos.tunnel import RemoteProtocolError
from protos.tunnel.lane import (
    PREFACE,
    FrameReader,
    decode_headers,
    encode_headers,
    frame,
    frames,
)

payload_lists = st.lists(st.binary(max_size=300), max_size=12)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(payload_lists, st.lists(st.integers(min_value=0, max_value=4000), max_size=20))
def test_frames_survive_any_split(payloads: list[bytes], cuts: list[int]) -> None:
    stream = PREFACE + frames(payloads)
    reader = FrameReader(1024, expect_preface=True)
    got: list[bytes] = []
    for piece in chunks(stream, cuts):
        got += reader.feed(piece)
    assert got == payloads
    assert reader.buffered == 0


def test_one_frame_equals_frames_of_one() -> None:
    assert frame(b"abc") == frames([b"abc"]) == b"\x00\x00\x00\x03abc"


def test_a_stream_without_the_preface_is_refused_early() -> None:
    reader = FrameReader(1024, expect_preface=True)
    with pytest.raises(RemoteProtocolError, match="does not speak the lane protocol"):
        reader.feed(b"PRI")  # an HTTP/2 client: refused before a whole preface arrived


def test_a_frame_above_the_limit_is_refused() -> None:
    reader = FrameReader(16)
    assert reader.feed(frame(b"x" * 16)) == [b"x" * 16]
    with pytest.raises(RemoteProtocolError, match="above the limit of 16"):
        reader.feed(frame(b"x" * 17)[:4])


def test_the_limit_can_grow_after_the_hello() -> None:
    reader = FrameReader(4)
    reader.set_limit(1024)
    assert reader.feed(frame(b"x" * 100)) == [b"x" * 100]


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=6))
def test_headers_round_trip(pairs: list[tuple[str, str]]) -> None:
    assert decode_headers(encode_headers(pairs)) == pairs


def test_malformed_headers_are_a_protocol_error() -> None:
    with pytest.raises(RemoteProtocolError, match="malformed lane headers"):
        decode_headers(b"\xff\xfe")
    with pytest.raises(RemoteProtocolError, match="malformed lane headers"):
        decode_headers(b"novalue")
