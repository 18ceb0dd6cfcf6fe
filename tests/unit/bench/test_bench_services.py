"""The target services' protocol logic, fed by hand through a recording transport."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from tunnelbench.services import (
    ACK,
    CHUNK,
    COUNT_HEADER,
    HTTP_RESPONSE,
    HttpHelloProtocol,
    SinkProtocol,
    SourceProtocol,
)


class RecordingTransport:
    """Just enough of a transport: remembers what was written."""

    def __init__(self) -> None:
        self.written = bytearray()

    def write(self, data: Any) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False


def _connect(protocol: asyncio.BaseProtocol) -> RecordingTransport:
    transport = RecordingTransport()
    protocol.connection_made(cast(asyncio.BaseTransport, transport))
    return transport


def _feed_sink(sink: SinkProtocol, data: bytes) -> None:
    buffer = sink.get_buffer(len(data))
    buffer[: len(data)] = data
    sink.buffer_updated(len(data))


def test_sink_acks_once_the_announced_bytes_arrived_even_with_a_split_header() -> None:
    sink = SinkProtocol()
    transport = _connect(sink)
    message = COUNT_HEADER.pack(10) + bytes(10)
    _feed_sink(sink, message[:3])
    _feed_sink(sink, message[3:12])
    assert transport.written == b""
    _feed_sink(sink, message[12:])
    assert transport.written == ACK


def test_sink_serves_back_to_back_transfers_in_one_read() -> None:
    sink = SinkProtocol()
    transport = _connect(sink)
    _feed_sink(sink, COUNT_HEADER.pack(2) + b"ab" + COUNT_HEADER.pack(1) + b"c")
    assert transport.written == ACK + ACK


def test_source_sends_exactly_the_announced_count_across_chunks() -> None:
    source = SourceProtocol()
    transport = _connect(source)
    source.data_received(COUNT_HEADER.pack(CHUNK + 5))
    assert len(transport.written) == CHUNK + 5


def test_source_stops_while_paused_and_finishes_after_resume() -> None:
    source = SourceProtocol()
    transport = _connect(source)
    source.pause_writing()
    source.data_received(COUNT_HEADER.pack(100))
    assert transport.written == b""
    source.resume_writing()
    assert len(transport.written) == 100


def test_http_answers_each_request_even_when_terminators_are_split() -> None:
    server = HttpHelloProtocol()
    transport = _connect(server)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    server.data_received(request + request[:-3])
    assert transport.written == HTTP_RESPONSE
    server.data_received(request[-3:-1])
    server.data_received(request[-1:])
    assert transport.written == HTTP_RESPONSE * 2
