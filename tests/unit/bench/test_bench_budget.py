"""The benchmark stays bounded in time: per-measurement caps and a budget for the run."""

import pytest
from tunnelbench.config import FULL, QUICK
from tunnelbench.runner import measurement_timeout


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(0.0, 120.0, id="capped"),
        pytest.param(350.0, 50.0, id="cut-to-budget"),
        pytest.param(399.5, None, id="budget-spent"),
    ],
)
def test_measurements_are_bounded_by_their_cap_and_the_runs_budget(
    now: float, expected: float | None
) -> None:
    assert measurement_timeout(now=now, deadline=400.0, cap_s=120.0) == expected


def test_quick_fits_in_two_minutes_and_full_leaves_room_for_setup_in_ten() -> None:
    assert QUICK.budget_s <= 100
    assert FULL.budget_s <= 8 * 60
