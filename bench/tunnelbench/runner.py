"""One benchmark run: set every path up, run each row on each path, report, tear down.

Teardown is an AsyncExitStack, so target services, sshd, ssh and the tunnel processes are
stopped in reverse order whether the run finished, failed or was interrupted (Ctrl-C or
SIGTERM cancel the main task).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from tunnelbench import (
    cputime,
    installing,
    ourtunnel,
    paths,
    processes,
    profiling,
    report,
    sshd,
)
from tunnelbench.config import PATH_DIRECT, PATH_SSH, BenchConfig
from tunnelbench.paths import BenchPath
from tunnelbench.rows import MEASUREMENTS, RowContext, describe_workload
from tunnelbench.targetproc import target_services

MIN_MEASUREMENT_S: Final = 1.0
SSH_DIR: Final = "ssh"
"""Subdirectory of the run's temporary directory with sshd's keys, config and log."""


async def _ssh_path(
    config: BenchConfig, stack: contextlib.AsyncExitStack, targets: dict[str, int], workdir: Path
) -> BenchPath:
    sshd_binary = await installing.ensure_tool(
        "sshd", "openssh-server", allow_install=config.install
    )
    ssh = installing.find_tool("ssh")
    keygen = installing.find_tool("ssh-keygen")
    if sshd_binary is None or ssh is None or keygen is None:
        return paths.unavailable(PATH_SSH, "n/a (OpenSSH server or client not installed)")
    ssh_dir = workdir / SSH_DIR
    ssh_dir.mkdir(mode=0o700)
    return await stack.enter_async_context(
        sshd.ssh_reverse_path(
            sshd=sshd_binary, ssh=ssh, ssh_keygen=keygen, targets=targets, workdir=ssh_dir
        )
    )


async def _set_up_paths(
    config: BenchConfig, stack: contextlib.AsyncExitStack, targets: dict[str, int], workdir: Path
) -> list[BenchPath]:
    chosen: list[BenchPath] = []
    if PATH_DIRECT in config.paths:
        chosen.append(paths.direct(targets))
    if PATH_SSH in config.paths:
        try:
            chosen.append(await _ssh_path(config, stack, targets, workdir))
        except Exception as error:  # the other paths can still be measured
            log = processes.log_tail(workdir / SSH_DIR / sshd.LOG_NAME)
            print(f"[setup] ssh failed: {error}\n{log}", flush=True)
            chosen.append(paths.unavailable(PATH_SSH, f"error: setup failed: {error}"))
    wanted = [p for p in config.paths if p not in (PATH_DIRECT, PATH_SSH)]
    if wanted:
        chosen += await ourtunnel.tunnel_paths(
            stack, wanted=wanted, targets=targets, workdir=workdir
        )
    return chosen


OVER_BUDGET: Final = "skipped: the run's time budget is spent"


def measurement_timeout(*, now: float, deadline: float, cap_s: float) -> float | None:
    """How long the next measurement may take: its cap, cut to what is left of the run's
    budget; None when too little is left to measure anything."""
    left = deadline - now
    if left < MIN_MEASUREMENT_S:
        return None
    return min(cap_s, left)


async def _measure(
    row: int, path: BenchPath, ctx: RowContext, timeout_s: float
) -> report.PathResult:
    if path.unavailable:
        return report.PathResult(path.name, note=path.unavailable)
    try:
        before = cputime.snapshot(path)
        async with asyncio.timeout(timeout_s):
            result = await MEASUREMENTS[row](path, ctx)
        result.values |= cputime.per_work(before, cputime.snapshot(path), result.work)
    except TimeoutError:
        return report.PathResult(path.name, note=f"error: did not finish in {timeout_s:g} s")
    except Exception as error:  # a broken path must not stop the other rows
        return report.PathResult(path.name, note=f"error: {type(error).__name__}: {error}")
    return result


def _tool_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def _environment(
    config: BenchConfig,
    *,
    wrk: Path | None,
    load_at_start: list[float],
    host_at_start: cputime.HostTimes | None,
) -> dict[str, Any]:
    return {
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": config.quick,
        "rows": list(config.rows),
        "paths": list(config.paths),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": list(os.getloadavg()),
        "load_average_at_start": load_at_start,
        "host_steal_pct": cputime.steal_percent(host_at_start, cputime.HostTimes.now()),
        "openssh": _tool_version(["ssh", "-V"]),
        "wrk": _tool_version([str(wrk), "-v"]) if wrk else "not used",
        "workload": dataclasses.asdict(config.workload),
    }


def write_results(config: BenchConfig, document: dict[str, Any], *, stamp: str) -> Path:
    config.results_dir.mkdir(parents=True, exist_ok=True)
    target = config.results_dir / f"tunnel-{stamp}.json"
    target.write_text(json.dumps(document, indent=2) + "\n")
    return target


@dataclasses.dataclass
class _Run:
    """What every measurement of one run shares."""

    config: BenchConfig
    ctx: RowContext
    deadline: float
    py_spy: Path | None
    profile_dir: Path

    async def measure(self, row: int, path: BenchPath) -> report.PathResult:
        self.ctx.progress(f"row {row} on {path.name} ...")
        timeout_s = measurement_timeout(
            now=time.monotonic(),
            deadline=self.deadline,
            cap_s=self.config.workload.measurement_cap_s,
        )
        if timeout_s is None:
            result = report.PathResult(path.name, note=OVER_BUDGET)
        else:
            host_before = cputime.HostTimes.now()
            async with profiling.profiled(
                self.py_spy, path, row=row, out_dir=self.profile_dir
            ) as profiles:
                result = await _measure(row, path, self.ctx, timeout_s)
            steal = cputime.steal_percent(host_before, cputime.HostTimes.now())
            if steal is not None and steal >= NOTABLE_STEAL_PCT:
                _add_note(result, f"the hypervisor took {steal:.0f} % of the CPU meanwhile")
            if profiles:
                _add_note(result, "profiles: " + ", ".join(profile.name for profile in profiles))
        self.ctx.progress(f"row {row} on {path.name}: {_brief(result)}")
        return result


NOTABLE_STEAL_PCT: Final = 5.0
"""Host steal from which a measurement's figures are flagged as slowed by other guests."""


def _add_note(result: report.PathResult, note: str) -> None:
    result.note = "; ".join(filter(None, (result.note, note)))


async def run(config: BenchConfig) -> int:
    """Run the benchmark; returns the process exit code (0 even when targets are missed)."""
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    load_at_start = list(os.getloadavg())
    host_at_start = cputime.HostTimes.now()
    processes.raise_open_file_limit()
    _warn_if_busy()
    results: list[report.RowResult] = []
    async with contextlib.AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tunnelbench-")))
        targets = await stack.enter_async_context(target_services(workdir))
        wrk = None
        if 5 in config.rows:
            wrk = await installing.ensure_tool("wrk", "wrk", allow_install=config.install)
        py_spy = await profiling.ensure_py_spy() if config.profile else None
        bench_paths = await _set_up_paths(config, stack, targets, workdir)
        run_state = _Run(
            config=config,
            ctx=RowContext(workload=config.workload, wrk=wrk, started=started),
            deadline=time.monotonic() + config.workload.budget_s,
            py_spy=py_spy,
            profile_dir=config.results_dir / f"profiles-{stamp}",
        )
        for row in config.rows:
            row_result = report.RowResult(
                row, describe_workload(row, config.workload, wrk=wrk is not None)
            )
            for path in bench_paths:
                row_result.paths.append(await run_state.measure(row, path))
            results.append(row_result)
    print()
    print(report.render_table(results))
    environment = _environment(
        config, wrk=wrk, load_at_start=load_at_start, host_at_start=host_at_start
    )
    document = report.to_document(results, environment=environment)
    target = write_results(config, document, stamp=stamp)
    counts = report.verdicts(results)
    steal = environment["host_steal_pct"]
    print(
        f"\n{counts['PASS']} PASS, {counts['MISS']} MISS, {counts['n/a']} n/a; "
        f"{time.monotonic() - started:.0f} s"
        + (f"; host steal {steal:.1f} %" if steal is not None else "")
        + f"; results in {target}"
    )
    sys.stdout.flush()
    return 0


BUSY_LOAD: Final = 1.0
"""1-minute load average above which figures are worth distrusting on this 2-core machine."""


def _warn_if_busy() -> None:
    load = os.getloadavg()[0]
    print(f"[setup] load average {load:.2f} on {os.cpu_count()} CPUs", flush=True)
    if load > BUSY_LOAD:
        print(
            "[setup] warning: the machine is busy; every path shares the CPU, so expect low "
            "and noisy figures (ratios within one run stay comparable)",
            flush=True,
        )


def _brief(result: report.PathResult) -> str:
    shown = ", ".join(
        f"{key}={value:.4g}" for key, value in result.values.items() if value is not None
    )
    return shown or result.note or "n/a"
