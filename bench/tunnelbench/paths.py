"""A path is one way for the client to reach the target services: direct, ssh -R, or our tunnel.

Each path knows how to open a Stream to a named service, which plain TCP port (if any) a
tool like wrk can aim at, and which processes form its server and agent side for memory
accounting. A path that cannot run says why in `unavailable`, and rows report it n/a.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from tunnelbench.config import PATH_DIRECT
from tunnelbench.pki import Bundle
from tunnelbench.streams import Stream, open_tcp

LOOPBACK: Final = "127.0.0.1"

Opener = Callable[[str], Awaitable[Stream]]
"""Open a Stream to the named target service (sink, source, echo, http)."""


@dataclass(frozen=True)
class FleetAccess:
    """What row 8 needs to connect lightweight agents to a tunnel path's server."""

    agent_server: str
    """host:port of the server's agent port."""
    certs: Bundle
    open_address: Callable[[str], Awaitable[Stream]]
    """Dial any host:port through the path's frontend (row 8 dials agents by host name)."""
    echo_port: int
    """The echo service's port, which every lightweight agent dials on 127.0.0.1."""


async def _never(service: str) -> Stream:
    raise RuntimeError(f"path unavailable: cannot open {service}")


@dataclass(frozen=True)
class BenchPath:
    name: str
    open: Opener = _never
    plain_ports: Mapping[str, int] = field(default_factory=dict)
    """service -> a 127.0.0.1 port that leads to it, for tools that need a plain address."""
    server_pids: tuple[int, ...] = ()
    """Roots of the process trees of the path's server side (listener)."""
    agent_pids: tuple[int, ...] = ()
    """Roots of the process trees of the path's agent side (dials the targets)."""
    unavailable: str = ""
    """Why the path cannot run; empty when it can."""
    fleet: FleetAccess | None = None
    """Row 8's access to the server's agent port; None for paths without the agent protocol."""


def unavailable(name: str, reason: str) -> BenchPath:
    return BenchPath(name=name, unavailable=reason)


def port_opener(ports: Mapping[str, int]) -> Opener:
    """Open plain TCP connections to 127.0.0.1:<ports[service]>."""

    async def open_service(service: str) -> Stream:
        return await open_tcp(LOOPBACK, ports[service])

    return open_service


def direct(targets: Mapping[str, int]) -> BenchPath:
    """The client connects straight to the target: the ceiling every ratio is taken against."""
    return BenchPath(name=PATH_DIRECT, open=port_opener(targets), plain_ports=dict(targets))
