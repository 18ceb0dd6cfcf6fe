"""Targets, verdicts and the number/ratio formatting of the benchmark table."""

import pytest
from tunnelbench.targets import (
    AtLeast,
    AtLeastTimesSsh,
    AtMost,
    Verdict,
    format_number,
    format_ratio,
)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        pytest.param(AtLeast(15_000), 15_000.0, Verdict.PASS, id="at-least-boundary"),
        pytest.param(AtLeast(15_000), 14_999.9, Verdict.MISS, id="at-least-below"),
        pytest.param(AtMost(400), 400.0, Verdict.PASS, id="at-most-boundary"),
        pytest.param(AtMost(400), 401.0, Verdict.MISS, id="at-most-above"),
        pytest.param(AtMost(400), None, Verdict.NOT_APPLICABLE, id="no-figure"),
    ],
)
def test_absolute_targets(target: AtLeast | AtMost, value: float | None, expected: Verdict) -> None:
    assert target.judge(value) is expected


def test_ssh_relative_target_compares_with_the_same_runs_ssh_figure() -> None:
    target = AtLeastTimesSsh(1.0)
    assert target.judge(600.0, ssh_value=500.0) is Verdict.PASS
    assert target.judge(499.0, ssh_value=500.0) is Verdict.MISS


@pytest.mark.parametrize("ssh_value", [None, 0.0], ids=["ssh-missing", "ssh-zero"])
def test_ssh_relative_target_is_not_applicable_without_an_ssh_figure(
    ssh_value: float | None,
) -> None:
    assert AtLeastTimesSsh(1.0).judge(600.0, ssh_value=ssh_value) is Verdict.NOT_APPLICABLE


def test_targets_describe_themselves() -> None:
    assert AtLeast(15_000).describe() == ">= 15,000"
    assert AtMost(0.8).describe() == "<= 0.80"
    assert AtLeastTimesSsh(1.0).describe() == ">= 1.0x ssh"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(123456.7, "123,457", id="large"),
        pytest.param(42.25, "42.2", id="tens"),
        pytest.param(3.14159, "3.14", id="units"),
        pytest.param(0.0, "0", id="zero"),
        pytest.param(25.0, "25", id="whole"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "baseline", "text"),
    [
        pytest.param(250.0, 500.0, "0.50x", id="half"),
        pytest.param(500.0, 500.0, "1.00x", id="same"),
        pytest.param(None, 500.0, "-", id="no-value"),
        pytest.param(500.0, None, "-", id="no-baseline"),
        pytest.param(500.0, 0.0, "-", id="zero-baseline"),
    ],
)
def test_format_ratio(value: float | None, baseline: float | None, text: str) -> None:
    assert format_ratio(value, baseline) == text
