"""glibc's mmap/trim thresholds for bulk transfers, which both programs set at start."""

from __future__ import annotations

from types import ModuleType

import pytest

import proxy_agent.__main__ as agent_main
import proxy_server.__main__ as server_main
from ocm_core import allocator
from ocm_core.tlsfiles import TLSFilesError
from proxy_server.server import ServerStartError


def test_the_thresholds_are_set_here() -> None:
    assert allocator.keep_bulk_buffers()  # this machine has glibc


def test_large_packets_stay_below_the_mmap_threshold() -> None:
    # 1 MiB DATA packets (and their serialized copies) must come from the heap.
    assert allocator.MMAP_THRESHOLD >= 2 * 1024 * 1024
    assert allocator.TRIM_THRESHOLD >= allocator.MMAP_THRESHOLD


SERVER_ARGV = ["--insecure-agent-port", "--insecure-frontend-port"]


@pytest.mark.parametrize(
    ("entry", "program", "failure", "argv"),
    [
        (agent_main, "ProxyAgent", TLSFilesError, ["--insecure"]),
        (server_main, "ProxyServer", ServerStartError, SERVER_ARGV),
    ],
)
def test_each_program_sets_them_before_it_starts(
    monkeypatch: pytest.MonkeyPatch,
    entry: ModuleType,
    program: str,
    failure: type[Exception],
    argv: list[str],
) -> None:
    calls: list[str] = []

    def set_thresholds() -> bool:
        calls.append("thresholds")
        return True

    def refuse(_config: object) -> None:
        calls.append("program")
        raise failure("stop before serving")

    monkeypatch.setattr(entry, "keep_bulk_buffers", set_thresholds)
    monkeypatch.setattr(entry, program, refuse)
    assert entry.main(argv) == 1
    assert calls == ["thresholds", "program"]
