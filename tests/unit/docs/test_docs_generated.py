"""The generated docs match the code: docs/configuration.md and docs/tunnel-states.md."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ocm_core.cli.__main__ import SUBCOMMANDS
from scripts import gen_docs


@pytest.mark.parametrize("path", [gen_docs.CONFIGURATION_DOC, gen_docs.TUNNEL_STATES_DOC])
def test_generated_doc_is_fresh(path: Path) -> None:
    expected = gen_docs.expected_docs()[path]
    assert path.is_file(), f"{path.name} is missing: run `python scripts/gen_docs.py`"
    assert path.read_text() == expected, (
        f"{path.name} is stale (the code changed): run `python scripts/gen_docs.py`"
    )


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of a parser and its subcommands, --help excepted."""
    options: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                options += _options(sub)
        elif not isinstance(action, argparse._HelpAction):
            options += action.option_strings
    return options


def test_every_flag_of_every_program_is_documented() -> None:
    text = gen_docs.render_configuration(gen_docs.build_parsers())
    for program, parser in gen_docs.build_parsers():
        assert f"\n## {program.name}\n" in text
        options = _options(parser)
        assert options
        for option in options:
            assert f"`{option}" in text or f", {option}" in text, f"{program.name} {option}"


def test_every_ocm_subcommand_gets_a_section() -> None:
    # Other work adds subcommands; the reference follows SUBCOMMANDS without edits here.
    text = gen_docs.render_configuration(gen_docs.build_parsers())
    registered = argparse.ArgumentParser(prog="probe").add_subparsers()
    for module in SUBCOMMANDS:
        module.register(registered)
    assert registered.choices, "SUBCOMMANDS registered nothing"
    for name in registered.choices:
        assert f"\n### ocm {name}\n" in text, f"ocm {name} is missing from the reference"


def _toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy", description="a toy command")
    parser.add_argument("--port", type=int, default=8090, help="port (default %(default)s)")
    parser.add_argument("--mode", choices=["a", "b"], default="a", help="a | b")
    parser.add_argument("--data-dir", type=Path, required=True, help="where state lives")
    parser.add_argument("--dry-run", action="store_true", help="change nothing")
    parser.add_argument("--hidden", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", aliases=["r"], help="run it", description="Runs the toy.")
    run.add_argument("--times", type=int, action="append", help="repeat")
    run.add_argument("cluster", help="which cluster")
    return parser


def test_rows_show_type_default_and_help() -> None:
    program = gen_docs.Program("toy", "toy.py", _toy_parser)
    text = gen_docs.render_configuration([(program, _toy_parser())])
    assert "| `--port PORT` | integer | `8090` | Port (default 8090) |" in text
    assert "| `--mode MODE` | one of `a`, `b` | `a` | A \\| b |" in text
    assert "| `--data-dir DATA_DIR` | path | **required** | Where state lives |" in text
    assert "| `--dry-run` | switch | off | Change nothing |" in text
    assert "--hidden" not in text
    assert "\n### toy run\n\nRun it\n\nRuns the toy.\n" in text
    assert "| `--times TIMES` | integer (repeatable) |  | Repeat |" in text
    assert "| `cluster` | string | **required** | Which cluster |" in text
    assert text.count("### toy run") == 1  # the alias is not a second section
    assert "  - [toy run](#toy-run)" in text


def test_a_new_flag_makes_the_reference_stale() -> None:
    before = gen_docs.render_configuration(gen_docs.build_parsers())
    parsers = gen_docs.build_parsers()
    parsers[0][1].add_argument("--brand-new", help="added after the docs were generated")
    after = gen_docs.render_configuration(parsers)
    assert after != before
    assert "`--brand-new BRAND_NEW`" in after


def test_environment_does_not_leak_into_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROXY_SERVER_ID", "from-my-shell")
    text = gen_docs.render_configuration(gen_docs.build_parsers())
    assert "from-my-shell" not in text


def test_check_mode_names_the_stale_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "docs" / "configuration.md"
    stale.parent.mkdir()
    stale.write_text("old\n")
    fresh = tmp_path / "docs" / "tunnel-states.md"
    fresh.write_text(gen_docs.render_tunnel_states_doc())
    monkeypatch.setattr(gen_docs, "ROOT", tmp_path)
    monkeypatch.setattr(gen_docs, "CONFIGURATION_DOC", stale)
    monkeypatch.setattr(gen_docs, "TUNNEL_STATES_DOC", fresh)
    assert gen_docs.main(["--check"]) == 1
    assert capsys.readouterr().err == (
        "docs/configuration.md is stale: run `python scripts/gen_docs.py`\n"
    )
    assert gen_docs.main([]) == 0
    assert gen_docs.main(["--check"]) == 0


def test_tunnel_states_doc_lists_every_transition() -> None:
    from protos.tunnel.states import TRANSITIONS

    text = gen_docs.render_tunnel_states_doc()
    for (state, event), after in TRANSITIONS.items():
        assert f"| {state.value} | {event.value} | {after.value} |" in text
