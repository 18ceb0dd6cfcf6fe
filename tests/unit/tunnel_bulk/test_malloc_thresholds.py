"""Both programs set glibc's mmap/trim thresholds for bulk transfers (this machine has glibc)."""

from __future__ import annotations

from proxy_agent import memory as agent_memory
from proxy_server import memory as server_memory


def test_the_server_sets_the_thresholds() -> None:
    assert server_memory.keep_bulk_buffers()


def test_the_agent_sets_the_thresholds() -> None:
    assert agent_memory.keep_bulk_buffers()


def test_large_packets_stay_below_the_mmap_threshold() -> None:
    # 1 MiB DATA packets (and their serialized copies) must come from the heap.
    for module in (server_memory, agent_memory):
        assert module.MMAP_THRESHOLD >= 2 * 1024 * 1024
        assert module.TRIM_THRESHOLD >= module.MMAP_THRESHOLD
