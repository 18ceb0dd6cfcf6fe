"""The command lines the charts render are accepted by the programs they start.

Every container's args begin with a console script of this project (the image has no
entrypoint). For each one the test loads the script's `build_parser` and parses the rendered
arguments, so a flag renamed in the code, or a chart flag the program does not know, fails here.
A program or `ocm` subcommand that does not exist yet is reported as an expected failure naming
it; the check turns itself on when the program lands.
"""

from __future__ import annotations

import argparse
import importlib
import tomllib
from collections.abc import Callable

import pytest

from tests.support.helm import REPO_ROOT, Manifest, render

ParserFactory = Callable[[], argparse.ArgumentParser]


def _console_scripts() -> dict[str, str]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        scripts: dict[str, str] = tomllib.load(handle)["project"]["scripts"]
    return scripts


def _command_lines() -> list[tuple[str, list[str]]]:
    """(chart/Deployment/container, args) of every container both charts can render."""
    lines = []
    everything = {
        "cluster-proxy": ["manager.enabled=true", "proxyServer.renderInChart=true"],
        "ocm-hub": [],
    }
    for chart, sets in everything.items():
        manifests: list[Manifest] = render(chart, namespace="ns", sets=sets)
        for manifest in manifests:
            if manifest["kind"] != "Deployment":
                continue
            for item in manifest["spec"]["template"]["spec"]["containers"]:
                where = f"{chart}/{manifest['metadata']['name']}/{item['name']}"
                lines.append((where, list(item["args"])))
    return lines


COMMAND_LINES = _command_lines()


def _parser_of(script: str) -> ParserFactory:
    entry = _console_scripts().get(script)
    if entry is None:
        pytest.xfail(f"`{script}` is not a console script of the project yet")
    module = importlib.import_module(entry.split(":", 1)[0])
    factory: ParserFactory | None = getattr(module, "build_parser", None)
    if factory is None:
        pytest.xfail(f"{entry} has no build_parser to check the arguments against")
    return factory


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    names: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names |= set(action.choices)
    return names


@pytest.mark.parametrize(("where", "args"), COMMAND_LINES, ids=[w for w, _ in COMMAND_LINES])
def test_rendered_arguments_parse(
    where: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _parser_of(args[0])()
    subcommands = _subcommands(parser)
    if subcommands and args[1] not in subcommands:
        pytest.xfail(f"`{args[0]} {args[1]}` does not exist yet (have: {sorted(subcommands)})")
    try:
        parser.parse_args(args[1:])
    except SystemExit:
        pytest.fail(f"{where}: {' '.join(args)} is refused: {capsys.readouterr().err.strip()}")


def test_every_container_starts_a_program_of_the_image() -> None:
    assert len(COMMAND_LINES) == 4
    starters = {args[0] for _, args in COMMAND_LINES}
    assert starters == {"proxy-server", "ocm", "user-server"}
