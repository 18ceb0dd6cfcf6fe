"""The benchmark's table and JSON document, built from hand-made results."""

from tunnelbench.report import PathResult, RowResult, render_row, to_document, verdicts


def _row_one() -> RowResult:
    return RowResult(
        1,
        "1 GiB each way",
        [
            PathResult("direct", {"up_mbps": 4000.0, "down_mbps": 4000.0}),
            PathResult("ssh", {"up_mbps": 500.0, "down_mbps": 400.0}),
            PathResult("tunnel-grpc", {"up_mbps": 600.0, "down_mbps": 300.0}),
            PathResult("tunnel-http-connect", note="n/a (tunnel not built yet)"),
        ],
    )


def _line(lines: list[str], *words: str) -> str:
    matches = [line for line in lines if all(word in line for word in words)]
    assert len(matches) == 1, (words, lines)
    return matches[0]


def test_each_figure_shows_ratios_to_direct_and_ssh_and_its_verdict() -> None:
    lines = render_row(_row_one())
    up = _line(lines, "tunnel-grpc", "up MB/s")
    assert "600" in up
    assert "0.15x" in up  # vs direct
    assert "1.20x" in up  # vs ssh
    assert up.endswith(">= 1.0x ssh PASS")
    assert _line(lines, "tunnel-grpc", "down MB/s").endswith("MISS")


def test_a_path_without_figures_prints_its_reason_once() -> None:
    line = _line(render_row(_row_one()), "tunnel-http-connect")
    assert "n/a (tunnel not built yet)" in line


def test_the_heading_names_the_row_and_its_workload() -> None:
    assert render_row(_row_one())[0] == "Row 1: single-connection throughput (1 GiB each way)"


def test_yes_no_metrics_print_words() -> None:
    row = RowResult(7, "2000 connections", [PathResult("ssh", {"failed": 0.0, "released": 0.0})])
    assert _line(render_row(row), "released").endswith("yes MISS")


def test_verdict_counts_cover_every_targeted_figure() -> None:
    assert verdicts([_row_one()]) == {"PASS": 5, "MISS": 1, "n/a": 2}


def test_json_document_carries_values_targets_and_verdicts() -> None:
    document = to_document([_row_one()], environment={"quick": True})
    row = document["rows"][0]
    assert document["environment"] == {"quick": True}
    assert row["title"] == "single-connection throughput"
    assert row["targets"] == {"up_mbps": ">= 1.0x ssh", "down_mbps": ">= 1.0x ssh"}
    assert row["verdicts"]["tunnel-grpc"] == {"up_mbps": "PASS", "down_mbps": "MISS"}
    assert row["paths"][2]["values"]["up_mbps"] == 600.0


def test_optional_metrics_are_left_out_where_a_path_cannot_produce_them() -> None:
    row = RowResult(
        5,
        "50 conns",
        [
            PathResult("direct", {"req_per_s": 20_000.0, "p99_ms": 2.0, "wrk_req_per_s": 60_000.0}),
            PathResult("tunnel-grpc", {"req_per_s": 16_000.0, "p99_ms": 3.0}),
        ],
    )
    lines = render_row(row)
    assert _line(lines, "direct", "wrk rate")
    assert not [line for line in lines if "tunnel-grpc" in line and "wrk" in line]
    assert verdicts([row]) == {"PASS": 5, "MISS": 0, "n/a": 0}
