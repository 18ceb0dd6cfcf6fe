"""HeapTrimmer: one trim per burst of closes, run off the event loop; none without glibc."""

from __future__ import annotations

import asyncio
import threading

from ocm_core.allocator import malloc_trim
from proxy_server.memory import HeapTrimmer

DEADLINE_S = 5.0


class _Recorder:
    def __init__(self) -> None:
        self.pads: list[int] = []
        self.threads: list[threading.Thread] = []
        self.trimmed = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def __call__(self, pad: int) -> int:
        self.pads.append(pad)
        self.threads.append(threading.current_thread())
        self._loop.call_soon_threadsafe(self.trimmed.set)
        return 1

    async def next_trim(self) -> None:
        await asyncio.wait_for(self.trimmed.wait(), DEADLINE_S)
        self.trimmed.clear()


async def test_a_burst_of_closes_gives_one_trim_and_its_follow_up_off_the_loop_thread() -> None:
    recorder = _Recorder()
    trimmer = HeapTrimmer(recorder, delay=0.05, follow_up=0.05)
    for _ in range(1000):
        trimmer.connection_closed()
    await recorder.next_trim()
    await recorder.next_trim()
    await asyncio.sleep(0.2)  # nothing else was scheduled for that burst
    assert recorder.pads == [0, 0]
    assert recorder.threads[0] is not threading.current_thread()


async def test_closes_after_a_trim_schedule_the_next_one() -> None:
    recorder = _Recorder()
    trimmer = HeapTrimmer(recorder, delay=0.01, follow_up=60)
    trimmer.connection_closed()
    await recorder.next_trim()
    trimmer.connection_closed()
    await recorder.next_trim()
    assert recorder.pads == [0, 0]


async def test_closes_that_never_pause_still_get_a_trim() -> None:
    recorder = _Recorder()
    trimmer = HeapTrimmer(recorder, delay=0.05, max_interval=0.2, follow_up=60)
    async with asyncio.timeout(DEADLINE_S):
        while not recorder.pads:
            trimmer.connection_closed()
            await asyncio.sleep(0.01)  # closes keep coming, closer together than the delay


async def test_without_a_trim_function_closes_do_nothing() -> None:
    trimmer = HeapTrimmer(None, delay=0.0)
    trimmer.connection_closed()
    await asyncio.sleep(0.02)


def test_glibc_malloc_trim_is_found_here() -> None:
    # The benchmark and the images run on glibc; musl or macOS would return None.
    trim = malloc_trim()
    assert trim is not None
    trim(0)
