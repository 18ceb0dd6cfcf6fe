"""glibc's mmap/trim thresholds for bulk transfers, which both programs set at start."""

from __future__ import annotations

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


def _record(calls: list[str], name: str) -> object:
    def record() -> bool:
        calls.append(name)
        return True

    return record


def test_the_agent_sets_them_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(agent_main, "keep_bulk_buffers", _record(calls, "thresholds"))

    def refuse(_config: object) -> None:
        calls.append("agent")
        raise TLSFilesError("stop before serving")

    monkeypatch.setattr(agent_main, "ProxyAgent", refuse)
    assert agent_main.main(["--insecure"]) == 1
    assert calls == ["thresholds", "agent"]


def test_the_server_sets_them_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(server_main, "keep_bulk_buffers", _record(calls, "thresholds"))

    def refuse(_config: object) -> None:
        calls.append("server")
        raise ServerStartError("stop before serving")

    monkeypatch.setattr(server_main, "ProxyServer", refuse)
    assert server_main.main(["--insecure-agent-port", "--insecure-frontend-port"]) == 1
    assert calls == ["thresholds", "server"]
