"""Percentiles and summaries of the benchmark (pure arithmetic)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tunnelbench.stats import megabytes_per_second, percentile, summarize


def test_percentile_is_nearest_rank_so_p99_of_100_samples_is_the_99th() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.99) == 99.0
    assert percentile(samples, 0.50) == 50.0
    assert percentile(samples, 1.0) == 100.0


def test_percentile_ignores_input_order() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0


def test_p99_of_2000_samples_sees_a_stall_in_the_top_one_percent() -> None:
    samples = [0.1] * 1975 + [40.0] * 25
    assert percentile(samples, 0.99) == 40.0


def test_percentile_of_a_single_sample_is_that_sample() -> None:
    assert percentile([7.0], 0.0) == 7.0
    assert percentile([7.0], 0.99) == 7.0


@pytest.mark.parametrize(
    ("samples", "fraction", "message"),
    [
        pytest.param([], 0.5, "empty", id="empty"),
        pytest.param([1.0], 1.5, "within", id="fraction-above-one"),
        pytest.param([1.0], -0.1, "within", id="negative-fraction"),
    ],
)
def test_percentile_rejects_bad_input(samples: list[float], fraction: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        percentile(samples, fraction)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.floats(0, 1))
def test_percentile_is_always_an_observed_sample(samples: list[float], fraction: float) -> None:
    assert percentile(samples, fraction) in samples


def test_summary_reports_p50_p99_max_and_mean() -> None:
    summary = summarize([1.0, 2.0, 3.0, 4.0])
    assert (summary.count, summary.p50, summary.p99, summary.max) == (4, 2.0, 4.0, 4.0)
    assert summary.mean == pytest.approx(2.5)


def test_summary_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        summarize([])


def test_throughput_is_in_decimal_megabytes_per_second() -> None:
    assert megabytes_per_second(1 << 30, 2.0) == pytest.approx(536.870912)


def test_throughput_needs_positive_time() -> None:
    with pytest.raises(ValueError, match="positive"):
        megabytes_per_second(100, 0.0)
