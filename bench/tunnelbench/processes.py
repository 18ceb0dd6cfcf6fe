"""Child processes of the benchmark: start, wait until ready, measure RSS, stop by PID.

Every process is started in its own session so that a Ctrl-C at the terminal reaches only
the benchmark, which then stops its children itself, in order, by PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

STOP_GRACE_S: Final = 3.0
READY_TIMEOUT_S: Final = 30.0
POLL_S: Final = 0.05
LOOPBACK: Final = "127.0.0.1"
_PROC = Path("/proc")


class ChildProcess:
    """A started child with its argv, for stopping and memory accounting."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, argv: Sequence[str]):
        self.name = name
        self.process = process
        self.argv = tuple(argv)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; never raises for a child already gone."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


async def start(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    capture_stdout: bool = False,
) -> ChildProcess:
    """Start `argv` in a new session; stderr (and stdout unless captured) go to `log_path`."""
    # A raw fd: the child inherits it, and we close our copy once it has started.
    log = (
        os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if log_path
        else asyncio.subprocess.DEVNULL
    )
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if capture_stdout else log,
            stderr=log,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    finally:
        if log_path:
            os.close(log)
    return ChildProcess(name, process, argv)


async def wait_listening(
    port: int, child: ChildProcess, what: str, *, timeout_s: float = READY_TIMEOUT_S
) -> None:
    """Poll until 127.0.0.1:`port` accepts a connection; fail early if `child` exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        if not child.running:
            raise RuntimeError(f"{what} exited with {child.process.returncode}")
        try:
            _, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            if loop.time() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} in {timeout_s:g} s") from None
            await asyncio.sleep(POLL_S)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for programs that refuse port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 when it is gone)."""
    try:
        status = (_PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (children first found through /proc)."""
    found = [pid]
    index = 0
    while index < len(found):
        parent = found[index]
        index += 1
        for task in (_PROC / str(parent) / "task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:
                continue
            found.extend(int(child) for child in children)
    return found


def tree_rss_bytes(pid: int) -> int:
    """RSS summed over `pid` and its descendants (sshd forks a process per session)."""
    return sum(rss_bytes(member) for member in descendants(pid))


_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
_UTIME_INDEX: Final = 11
"""utime, stime, cutime, cstime follow at this index of /proc/<pid>/stat's fields after `comm`."""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process and of its reaped children (0 when it is gone)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # `comm` may hold spaces and parentheses; the fields after its last ")" do not.
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(tick) for tick in fields[_UTIME_INDEX : _UTIME_INDEX + 4]) / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds summed over `pid` and its descendants."""
    return sum(cpu_seconds(member) for member in descendants(pid))


def raise_open_file_limit() -> int:
    """Lift the soft fd limit to the hard one; rows 7 and 8 hold thousands of sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def log_tail(log: Path, *, lines: int = 20) -> str:
    """The end of a child's log, indented, for a failure message (the log dies with workdir)."""
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return "  (no log)"
    return "\n".join(f"  | {line}" for line in text.splitlines()[-lines:])
