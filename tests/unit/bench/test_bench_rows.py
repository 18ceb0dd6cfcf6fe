"""Row headings describe the workload that ran."""

import pytest
from tunnelbench.config import FULL, QUICK
from tunnelbench.rows import MEASUREMENTS, describe_workload, format_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [(1 << 30, "1 GiB"), (256 << 20, "256 MiB"), (1536 << 20, "1536 MiB"), (100, "100 B")],
)
def test_format_bytes(count: int, text: str) -> None:
    assert format_bytes(count) == text


def test_full_workload_headings_match_the_issue() -> None:
    assert describe_workload(1, FULL, wrk=False) == "1 GiB each way"
    assert describe_workload(2, FULL, wrk=False) == "8 x 128 MiB each way"
    assert describe_workload(3, FULL, wrk=False) == "2000 x 100 B, sequential"
    assert describe_workload(4, FULL, wrk=False) == "500 sequential dials"
    assert describe_workload(7, FULL, wrk=False) == "2000 connections"
    assert describe_workload(8, FULL, wrk=False) == "1000 agents, 500 dials"


def test_row_five_says_which_load_generators_ran() -> None:
    assert describe_workload(5, QUICK, wrk=False).endswith("asyncio generator")
    assert describe_workload(5, QUICK, wrk=True).endswith("plus wrk on plain ports")


def test_every_row_has_a_measurement_and_a_heading() -> None:
    assert sorted(MEASUREMENTS) == list(range(1, 9))
    for row in MEASUREMENTS:
        assert describe_workload(row, QUICK, wrk=False)
