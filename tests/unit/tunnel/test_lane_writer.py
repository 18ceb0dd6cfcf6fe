"""The lane's frame writer: one write to the transport per event-loop iteration."""

from __future__ import annotations

import asyncio

from ocm_core.lanetransport import FrameWriter
from protos.tunnel.lane import FrameBuffer
from tests.support.lane_frames import feed


class RecordingTransport(asyncio.WriteTransport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[bytes]] = []
        self.closing = False

    def writelines(self, list_of_data: object) -> None:
        assert isinstance(list_of_data, list)
        self.writes.append(list_of_data)

    def is_closing(self) -> bool:
        return self.closing


async def next_iteration() -> None:
    await asyncio.sleep(0)


async def test_writes_of_one_iteration_leave_in_one_writelines() -> None:
    transport = RecordingTransport()
    flushed: list[int] = []
    writer = FrameWriter(transport, lambda: flushed.append(len(transport.writes)))
    writer.write(b"one")
    writer.write(b"two")
    assert writer.pending
    assert transport.writes == []
    await next_iteration()
    assert len(transport.writes) == 1
    assert flushed == [1]
    assert feed(FrameBuffer(1024), b"".join(transport.writes[0])) == [b"one", b"two"]
    assert not writer.pending


async def test_flush_writes_at_once_and_a_closing_transport_gets_nothing() -> None:
    transport = RecordingTransport()
    writer = FrameWriter(transport)
    writer.write(b"now")
    writer.flush()
    assert len(transport.writes) == 1
    transport.closing = True
    writer.write(b"late")
    await next_iteration()
    assert len(transport.writes) == 1
    assert not writer.pending
