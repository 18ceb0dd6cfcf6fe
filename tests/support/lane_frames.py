"""Drive a lane `FrameBuffer` with bytes already in hand, as its transport would."""

from __future__ import annotations

from protos.tunnel.lane import FrameBuffer


def feed(buffer: FrameBuffer, data: bytes) -> list[bytes]:
    """Copy `data` into the buffer's free space, piece by piece; the frames completed."""
    view = memoryview(data)
    frames: list[bytes] = []
    while view:
        room = buffer.get_buffer(len(view))
        size = min(len(room), len(view))
        room[:size] = view[:size]
        frames += [bytes(frame) for frame in buffer.buffer_updated(size)]
        view = view[size:]
    return frames
