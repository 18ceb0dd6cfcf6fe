"""What one benchmark invocation does: rows, paths and workload sizes (pure data).

The full workload is issue 3's; the quick one keeps every row but shrinks sizes so that a
run stays well under 2 minutes on the shared 2-core machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

MIB: Final = 1 << 20
GIB: Final = 1 << 30

PATH_DIRECT: Final = "direct"
PATH_SSH: Final = "ssh"
PATH_TUNNEL_HTTP_CONNECT: Final = "tunnel-http-connect"
PATH_TUNNEL_GRPC: Final = "tunnel-grpc"
ALL_PATHS: Final = (PATH_DIRECT, PATH_SSH, PATH_TUNNEL_HTTP_CONNECT, PATH_TUNNEL_GRPC)
ALL_ROWS: Final = (1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class Workload:
    """Sizes and counts per row."""

    single_bytes: int
    """Row 1: bytes moved each way on one connection."""
    parallel_connections: int
    """Row 2: connections moving data at once."""
    parallel_bytes_each: int
    """Row 2: bytes per connection each way."""
    echo_round_trips: int
    """Row 3: sequential round trips (after a short warm-up)."""
    echo_size: int
    """Row 3: bytes per round trip."""
    dials: int
    """Row 4: sequential dials."""
    http_connections: int
    """Row 5: keep-alive connections."""
    http_seconds: float
    """Row 5: load duration."""
    hol_bytes: int
    """Row 6: bytes the neighbour downloads."""
    hol_timeout_s: float
    """Row 6: how long the neighbour may take before we call it stalled."""
    idle_connections: int
    """Row 7: idle connections held open at once."""
    agents: int
    """Row 8: lightweight agents connected to one server."""
    agent_dials: int
    """Row 8: dials spread over those agents."""
    measurement_cap_s: float
    """Longest one row may run on one path before it is reported as not finishing."""
    budget_s: float
    """Time for all measurements of a run (setup excluded); rows past it are skipped, so that
    `make bench` from a fresh clone (venv + apt + bench) stays under 10 minutes."""


FULL: Final = Workload(
    single_bytes=GIB,
    parallel_connections=8,
    parallel_bytes_each=128 * MIB,
    echo_round_trips=2_000,
    echo_size=100,
    dials=500,
    http_connections=50,
    http_seconds=10.0,
    hol_bytes=256 * MIB,
    hol_timeout_s=30.0,
    idle_connections=2_000,
    agents=1_000,
    agent_dials=500,
    measurement_cap_s=120.0,
    budget_s=420.0,
)

QUICK: Final = Workload(
    single_bytes=64 * MIB,
    parallel_connections=8,
    parallel_bytes_each=16 * MIB,
    echo_round_trips=2_000,
    echo_size=100,
    dials=100,
    http_connections=50,
    http_seconds=2.0,
    hol_bytes=32 * MIB,
    hol_timeout_s=8.0,
    idle_connections=200,
    agents=100,
    agent_dials=100,
    measurement_cap_s=30.0,
    budget_s=90.0,
)


@dataclass(frozen=True)
class BenchConfig:
    """One invocation of `bench/tunnel.py`."""

    rows: tuple[int, ...]
    paths: tuple[str, ...]
    quick: bool
    install: bool
    """Whether missing Debian packages (openssh-server, wrk) may be installed with apt-get."""
    results_dir: Path
    profile: bool = False
    """Sample the tunnel's server and agent with py-spy during every row (perturbs figures)."""

    @property
    def workload(self) -> Workload:
        return QUICK if self.quick else FULL
