"""Command-line parsing for `bench/tunnel.py` (pure: argv in, BenchConfig out)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tunnelbench.config import ALL_PATHS, ALL_ROWS, BenchConfig

DEFAULT_RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _parse_rows(text: str) -> tuple[int, ...]:
    rows: list[int] = []
    for item in _comma_list(text):
        if not item.isdigit() or int(item) not in ALL_ROWS:
            raise argparse.ArgumentTypeError(
                f"unknown row {item!r}: rows are {', '.join(map(str, ALL_ROWS))}"
            )
        rows.append(int(item))
    if not rows:
        raise argparse.ArgumentTypeError("--rows needs at least one row number, e.g. --rows 1,3")
    return tuple(sorted(set(rows)))


def _parse_paths(text: str) -> tuple[str, ...]:
    paths = _comma_list(text)
    unknown = [path for path in paths if path not in ALL_PATHS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown path(s) {', '.join(unknown)}: choose from {', '.join(ALL_PATHS)}"
        )
    if not paths:
        raise argparse.ArgumentTypeError("--paths needs at least one path, e.g. --paths direct")
    # Keep the canonical order so that baselines always come first in the table.
    return tuple(path for path in ALL_PATHS if path in paths)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/tunnel.py",
        description=(
            "Benchmark the tunnel against a direct connection and OpenSSH `ssh -N -R` on "
            "127.0.0.1 (issue 3). Prints a table and writes JSON to bench/results/."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, every row (under 2 minutes)"
    )
    parser.add_argument(
        "--rows",
        type=_parse_rows,
        default=ALL_ROWS,
        help="comma-separated row numbers to run (default: all, 1-8)",
    )
    parser.add_argument(
        "--paths",
        type=_parse_paths,
        default=ALL_PATHS,
        help=f"comma-separated paths (default: {','.join(ALL_PATHS)})",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="never run apt-get; paths whose tools are missing are reported n/a",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=DEFAULT_RESULTS_DIR,
        help="where tunnel-<timestamp>.json is written (default: bench/results)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record py-spy profiles of the tunnel's server and agent per row (into the "
        "results dir); installs py-spy with pip if needed; perturbs the figures",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> BenchConfig:
    """Parse argv into a BenchConfig; argparse exits with a usage message on bad input."""
    args = build_parser().parse_args(argv)
    return BenchConfig(
        rows=args.rows,
        paths=args.paths,
        quick=args.quick,
        install=not args.no_install,
        results_dir=args.results_dir,
        profile=args.profile,
    )
