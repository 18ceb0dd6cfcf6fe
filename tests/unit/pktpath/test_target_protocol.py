"""The agent's target socket as an asyncio protocol: reads become DATA at once and obey the
credit window and the outbox's room; writes go to the transport and count as consumed once
the transport is below its high-water mark (a fake transport: no sockets)."""

from __future__ import annotations

from protos._gen.client_pb2 import Packet
from protos.tunnel import AgentEndpoint, packets
from protos.tunnel.flow import INITIAL_WINDOW
from proxy_agent.dialer import READ_CHUNK, TargetConnection, read_buffer
from proxy_agent.outbox import Outbox

WINDOW = 1024 * 1024
DIAL_ID = 7


class FakeTransport:
    """Records what the protocol asks of its transport."""

    def __init__(self) -> None:
        self.reading = True
        self.written: list[bytes] = []
        self.closed = False
        self.eof_written = False

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


class Harness:
    def __init__(self, *, credit: bool = True, high_water: int = 64) -> None:
        self.endpoint = AgentEndpoint(lambda address: address, credit=credit, window=WINDOW)
        self.endpoint.receive_packet(packets.dial_request("svc:80", DIAL_ID))
        self.outbox = Outbox(high_water)
        self.closed: list[int] = []
        self.conn = TargetConnection(
            self.endpoint,
            self.outbox,
            read_buffer(),
            window=WINDOW,
            stalled_timeout=1.0,
            on_stalled=lambda: None,
            on_closed=self.closed.append,
        )
        self.transport = FakeTransport()
        self.conn.connection_made(self.transport)  # type: ignore[arg-type]

    def start(self) -> int:
        conn_id = self.endpoint.dial_succeeded(DIAL_ID)
        assert conn_id is not None
        self.outbox.push(self.endpoint.packets_to_send())  # what the session does
        self.conn.start(conn_id)
        return conn_id

    def read(self, data: bytes) -> None:
        """What the transport does when the socket has `data`."""
        buffer = self.conn.get_buffer(-1)
        assert len(buffer) >= len(data), "the protocol offered less than the socket has"
        buffer[: len(data)] = data
        self.conn.buffer_updated(len(data))

    def queued(self) -> list[Packet]:
        return list(self.outbox._packets)


def data_sent(harness: Harness) -> bytes:
    return b"".join(p.data.data for p in harness.queued() if p.type == packets.DATA)


def test_nothing_is_read_before_start_and_an_early_read_goes_out_on_start() -> None:
    harness = Harness()
    assert not harness.transport.reading
    harness.transport.reading = True  # uvloop reads once anyway
    harness.read(b"banner")
    assert not harness.transport.reading
    assert data_sent(harness) == b""
    harness.start()
    assert data_sent(harness) == b"banner"
    assert harness.transport.reading


def test_reading_stops_at_the_end_of_credit_and_resumes_with_a_grant() -> None:
    harness = Harness()
    conn_id = harness.start()
    for _ in range(INITIAL_WINDOW // READ_CHUNK):
        harness.read(b"x" * READ_CHUNK)
    assert not harness.transport.reading, "out of credit: the socket must not be read"
    assert harness.endpoint.receive_packet(packets.credit(conn_id, 1000))
    harness.conn.credit_granted()
    assert harness.transport.reading
    assert len(harness.conn.get_buffer(-1)) == 1000, "a read never exceeds the credit"


async def test_a_full_outbox_pauses_reading_until_the_writer_takes_it() -> None:
    harness = Harness(credit=False, high_water=3)
    harness.start()  # DIAL_RSP queued
    harness.read(b"a")
    assert harness.transport.reading
    harness.read(b"b")
    assert not harness.transport.reading
    assert len(await harness.outbox.take()) == 3
    assert harness.transport.reading


def test_bytes_written_above_the_high_water_mark_are_consumed_on_resume() -> None:
    harness = Harness()
    conn_id = harness.start()
    harness.endpoint.receive_packet(packets.data(conn_id, b"y" * 100))
    harness.conn.pause_writing()
    harness.conn.enqueue(b"y" * 100)
    assert harness.transport.written == [b"y" * 100]
    assert harness.endpoint.held(conn_id) == 100, "not consumed while the transport is full"
    harness.conn.resume_writing()
    assert harness.endpoint.held(conn_id) == 0


def test_eof_with_half_close_keeps_writing_and_end_writing_shuts_the_write_side() -> None:
    harness = Harness()
    harness.endpoint.half_close = True
    conn_id = harness.start()
    assert harness.conn.eof_received() is True
    assert [p.type for p in harness.queued()][-1] == packets.HALF_CLOSE
    assert not harness.transport.closed
    harness.endpoint.receive_packet(packets.data(conn_id, b"late"))
    harness.conn.enqueue(b"late")
    harness.conn.end_writing()
    assert harness.transport.written == [b"late"]
    assert harness.transport.eof_written


def test_eof_without_half_close_closes_and_answers_close_rsp_once() -> None:
    harness = Harness()
    conn_id = harness.start()
    harness.conn.eof_received()
    harness.conn.connection_lost(None)
    closes = [p for p in harness.queued() if p.type == packets.CLOSE_RSP]
    assert len(closes) == 1
    assert harness.transport.closed
    assert harness.closed == [conn_id]


def test_a_failed_write_after_half_close_is_reported_as_such() -> None:
    harness = Harness()
    harness.endpoint.half_close = True
    harness.start()
    harness.conn.eof_received()
    harness.conn.connection_lost(BrokenPipeError("broken pipe"))
    (close,) = [p for p in harness.queued() if p.type == packets.CLOSE_RSP]
    assert close.closeResponse.error == "writing to the target failed after it half-closed"


def test_a_socket_lost_before_start_is_closed_on_start() -> None:
    harness = Harness()
    harness.conn.connection_lost(ConnectionResetError("reset"))
    conn_id = harness.start()
    (close,) = [p for p in harness.queued() if p.type == packets.CLOSE_RSP]
    assert close.closeResponse.error == "reset"
    assert harness.closed == [conn_id]
