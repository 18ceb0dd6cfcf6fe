"""CPU time per unit of work: read from /proc, given per unit, left out where not measurable."""

import os

import pytest
from tunnelbench import cputime
from tunnelbench.catalog import AGENT_CPU_KEY, ROWS, SERVER_CPU_KEY
from tunnelbench.paths import BenchPath
from tunnelbench.processes import cpu_seconds, tree_cpu_seconds


def _burn_cpu() -> None:
    sum(i * i for i in range(200_000))


def test_cpu_seconds_of_this_process_grow_with_work() -> None:
    before = cpu_seconds(os.getpid())
    _burn_cpu()
    assert cpu_seconds(os.getpid()) >= before
    assert tree_cpu_seconds(os.getpid()) >= cpu_seconds(os.getpid())


def test_a_gone_process_counts_nothing() -> None:
    assert cpu_seconds(2**22 + 1) == 0.0


def test_per_work_divides_each_side_by_the_work() -> None:
    before = cputime.CpuSnapshot(server_s=1.0, agent_s=2.0)
    after = cputime.CpuSnapshot(server_s=1.5, agent_s=2.25)
    figures = cputime.per_work(before, after, 1000)
    assert figures[SERVER_CPU_KEY] == pytest.approx(500.0)
    assert figures[AGENT_CPU_KEY] == pytest.approx(250.0)


@pytest.mark.parametrize("work", [None, 0])
def test_per_work_is_empty_without_work(work: float | None) -> None:
    snap = cputime.CpuSnapshot(server_s=1.0, agent_s=1.0)
    assert cputime.per_work(snap, snap, work) == {}


def test_a_path_without_processes_has_no_snapshot() -> None:
    assert cputime.snapshot(BenchPath(name="direct")) is None
    own = cputime.snapshot(BenchPath(name="x", server_pids=(os.getpid(),)))
    assert own is not None
    assert own.server_s > 0
    assert own.agent_s == 0


def test_rows_with_a_unit_of_work_report_cpu_per_unit() -> None:
    with_unit = {n for n, spec in ROWS.items() if spec.work_unit}
    assert with_unit == {1, 2, 3, 4, 5}
    for number in with_unit:
        keys = [m.key for m in ROWS[number].metrics]
        assert SERVER_CPU_KEY in keys
        assert AGENT_CPU_KEY in keys


PROC_STAT_SAMPLE = """cpu  400 5 100 900 10 0 20 65 0 0
cpu0 200 2 50 450 5 0 10 30 0 0
intr 12345
"""


def test_host_times_add_every_state_up_to_steal_and_pick_steal() -> None:
    times = cputime.HostTimes.parse(PROC_STAT_SAMPLE)
    assert times == cputime.HostTimes(total=400 + 5 + 100 + 900 + 10 + 0 + 20 + 65, steal=65)


def test_host_times_without_a_cpu_line_are_unknown() -> None:
    assert cputime.HostTimes.parse("intr 1\n") is None
    assert cputime.HostTimes.parse("cpu  1 2 3\n") is None  # kernels before steal existed


def test_steal_percent_is_the_share_of_ticks_stolen_between_readings() -> None:
    before = cputime.HostTimes(total=1000, steal=10)
    after = cputime.HostTimes(total=2000, steal=110)
    assert cputime.steal_percent(before, after) == pytest.approx(10.0)
    assert cputime.steal_percent(before, before) is None
    assert cputime.steal_percent(None, after) is None


def test_this_machine_reports_host_times() -> None:
    times = cputime.HostTimes.now()
    assert times is not None
    assert 0 <= times.steal <= times.total
