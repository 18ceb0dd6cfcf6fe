"""The client's TCP stream protocol, fed by hand: chunking, head parsing, flow control."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from tunnelbench.streams import HIGH_WATER, LOW_WATER, TcpStream, receive_exactly


class FakeTransport:
    def __init__(self) -> None:
        self.reading = True
        self.written = bytearray()
        self.closed = False

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def _stream() -> tuple[TcpStream, FakeTransport]:
    stream = TcpStream()
    transport = FakeTransport()
    stream.connection_made(cast(asyncio.BaseTransport, transport))
    return stream, transport


async def test_receive_returns_chunks_no_larger_than_asked() -> None:
    stream, _ = _stream()
    stream.data_received(b"abcdef")
    assert await stream.receive(4) == b"abcd"
    assert await stream.receive(4) == b"ef"


async def test_receive_exactly_joins_chunks_and_reports_a_short_stream() -> None:
    stream, _ = _stream()
    stream.data_received(b"ab")
    stream.data_received(b"cd")
    assert await receive_exactly(stream, 3) == b"abc"
    stream.eof_received()
    with pytest.raises(EOFError, match="after 1 of 2 bytes"):
        await receive_exactly(stream, 2)


async def test_receive_waits_for_data_then_returns_empty_at_eof() -> None:
    stream, _ = _stream()
    waiting = asyncio.ensure_future(stream.receive(10))
    await asyncio.sleep(0)
    assert not waiting.done()
    stream.data_received(b"x")
    assert await waiting == b"x"
    stream.eof_received()
    assert await stream.receive(10) == b""


async def test_a_lost_connection_raises_instead_of_looking_like_eof() -> None:
    stream, _ = _stream()
    stream.connection_lost(ConnectionResetError("reset by peer"))
    with pytest.raises(ConnectionResetError, match="reset by peer"):
        await stream.receive(10)


async def test_response_head_is_split_off_and_the_body_stays_buffered() -> None:
    stream, _ = _stream()
    stream.data_received(b"HTTP/1.1 200 Connection Established\r\n")
    stream.data_received(b"\r\nfirst bytes")
    assert await stream.receive_head() == b"HTTP/1.1 200 Connection Established\r\n\r\n"
    assert await stream.receive(100) == b"first bytes"


async def test_reading_pauses_above_high_water_and_resumes_below_low_water() -> None:
    stream, transport = _stream()
    stream.data_received(bytes(HIGH_WATER + 1))
    assert not transport.reading
    await stream.receive(HIGH_WATER + 1 - LOW_WATER)
    assert not transport.reading  # exactly LOW_WATER left: not below it yet
    await stream.receive(1)
    assert transport.reading


async def test_send_waits_while_the_transport_asks_to_pause_writing() -> None:
    stream, transport = _stream()
    stream.pause_writing()
    sending = asyncio.ensure_future(stream.send(b"data"))
    await asyncio.sleep(0)
    assert transport.written == b"data"
    assert not sending.done()
    stream.resume_writing()
    await sending
