"""Argument parsing of bench/tunnel.py."""

from pathlib import Path

import pytest
from tunnelbench.cli import parse_args
from tunnelbench.config import ALL_PATHS, ALL_ROWS, FULL, QUICK


def test_defaults_run_every_row_on_every_path_with_the_full_workload() -> None:
    config = parse_args([])
    assert config.rows == ALL_ROWS
    assert config.paths == ALL_PATHS
    assert config.workload is FULL
    assert config.install


def test_quick_selects_the_smaller_workload() -> None:
    config = parse_args(["--quick"])
    assert config.workload is QUICK
    assert QUICK.single_bytes < FULL.single_bytes


def test_rows_are_deduplicated_and_sorted() -> None:
    assert parse_args(["--rows", "3,1, 3"]).rows == (1, 3)


def test_paths_keep_baselines_first_whatever_the_order_given() -> None:
    assert parse_args(["--paths", "tunnel-grpc,ssh,direct"]).paths == (
        "direct",
        "ssh",
        "tunnel-grpc",
    )


def test_no_install_results_dir_and_profile() -> None:
    config = parse_args(["--no-install", "--results-dir", "/tmp/x", "--profile"])
    assert not config.install
    assert config.results_dir == Path("/tmp/x")
    assert config.profile
    assert not parse_args([]).profile


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--rows", "9"], "unknown row '9'", id="row-out-of-range"),
        pytest.param(["--rows", "one"], "unknown row 'one'", id="row-not-a-number"),
        pytest.param(["--rows", ","], "at least one row", id="no-rows"),
        pytest.param(["--paths", "wireguard"], "unknown path(s) wireguard", id="bad-path"),
    ],
)
def test_bad_arguments_exit_with_a_message_that_says_what_is_valid(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
