"""Rollout planning: All, Progressive and ProgressivePerGroup over decision groups."""

from datetime import timedelta

import pytest

from ocm_core.placement.rollout import (
    ClusterState,
    ClusterStatus,
    DecisionGroup,
    InvalidRollout,
    RolloutStrategy,
    RolloutType,
    parse_duration,
    plan_rollout,
)
from tests.support.placement_builders import NOW

ONE_GROUP = [DecisionGroup(0, "", ("c1", "c2", "c3", "c4", "c5"))]
TWO_GROUPS = [DecisionGroup(0, "canary", ("a", "b")), DecisionGroup(1, "", ("c", "d"))]


def states(**by_cluster: ClusterState) -> dict[str, ClusterStatus]:
    return {c: ClusterStatus(c, s, NOW - timedelta(minutes=10)) for c, s in by_cluster.items()}


def strategy(**fields: object) -> RolloutStrategy:
    return RolloutStrategy.parse(fields)


def test_all_writes_every_cluster_and_completes_when_all_succeeded() -> None:
    plan = plan_rollout(strategy(), ONE_GROUP, {}, NOW)
    assert plan.to_apply == ("c1", "c2", "c3", "c4", "c5")
    assert not plan.complete
    done = states(**{c: ClusterState.SUCCEEDED for c in ONE_GROUP[0].clusters})
    plan = plan_rollout(strategy(), ONE_GROUP, done, NOW)
    assert (plan.to_apply, plan.complete) == ((), True)


def test_progressive_keeps_max_concurrency_clusters_in_flight() -> None:
    rollout = strategy(type="Progressive", progressive={"maxConcurrency": 2})
    assert plan_rollout(rollout, ONE_GROUP, {}, NOW).to_apply == ("c1", "c2")
    moving = states(c1=ClusterState.SUCCEEDED, c2=ClusterState.PROGRESSING)
    assert plan_rollout(rollout, ONE_GROUP, moving, NOW).to_apply == ("c2", "c3")


def test_progressive_max_concurrency_may_be_a_percentage() -> None:
    rollout = strategy(type="Progressive", progressive={"maxConcurrency": "40%"})
    assert plan_rollout(rollout, ONE_GROUP, {}, NOW).to_apply == ("c1", "c2")


def test_mandatory_groups_go_first_and_must_all_succeed() -> None:
    rollout = strategy(
        type="Progressive",
        progressive={"mandatoryDecisionGroups": [{"groupName": "canary"}], "maxConcurrency": 1},
    )
    assert plan_rollout(rollout, TWO_GROUPS, {}, NOW).to_apply == ("a", "b")
    half = states(a=ClusterState.SUCCEEDED, b=ClusterState.PROGRESSING)
    assert plan_rollout(rollout, TWO_GROUPS, half, NOW).to_apply == ("b",)
    canaries_done = states(a=ClusterState.SUCCEEDED, b=ClusterState.SUCCEEDED)
    assert plan_rollout(rollout, TWO_GROUPS, canaries_done, NOW).to_apply == ("c",)


def test_progressive_per_group_finishes_a_group_before_the_next() -> None:
    rollout = strategy(type="ProgressivePerGroup")
    assert plan_rollout(rollout, TWO_GROUPS, {}, NOW).to_apply == ("a", "b")
    first_done = states(a=ClusterState.SUCCEEDED, b=ClusterState.SUCCEEDED)
    assert plan_rollout(rollout, TWO_GROUPS, first_done, NOW).to_apply == ("c", "d")


def test_min_success_time_holds_the_next_cluster_and_asks_to_look_again() -> None:
    rollout = strategy(
        type="Progressive", progressive={"maxConcurrency": 1, "minSuccessTime": "15m"}
    )
    recent = states(c1=ClusterState.SUCCEEDED)  # succeeded 10 minutes ago
    plan = plan_rollout(rollout, ONE_GROUP, recent, NOW)
    assert plan.to_apply == ()
    assert plan.recheck_after == timedelta(minutes=5)
    later = plan_rollout(rollout, ONE_GROUP, recent, NOW + timedelta(minutes=5))
    assert later.to_apply == ("c2",)


def test_a_cluster_past_its_progress_deadline_times_out_and_stops_new_ones() -> None:
    stuck = states(c1=ClusterState.PROGRESSING)  # progressing for 10 minutes
    rollout = strategy(
        type="Progressive", progressive={"maxConcurrency": 1, "progressDeadline": "5m"}
    )
    plan = plan_rollout(rollout, ONE_GROUP, stuck, NOW)
    assert (plan.timed_out, plan.failures, plan.to_apply) == (("c1",), 1, ())
    tolerant = strategy(
        type="Progressive",
        progressive={"maxConcurrency": 1, "progressDeadline": "5m", "maxFailures": 1},
    )
    assert plan_rollout(tolerant, ONE_GROUP, stuck, NOW).to_apply == ("c2",)


def test_a_deadline_still_ahead_is_the_recheck_time() -> None:
    rollout = strategy(type="All", all={"progressDeadline": "1h"})
    plan = plan_rollout(rollout, ONE_GROUP, states(c1=ClusterState.PROGRESSING), NOW)
    assert plan.recheck_after == timedelta(minutes=50)


def test_defaults_are_upstreams() -> None:
    default = RolloutStrategy.parse(None)
    assert default.type is RolloutType.ALL
    assert default.progress_deadline is None
    assert default.min_success_time == timedelta(0)
    assert default.max_failures == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", timedelta(0)), ("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90))],
)
def test_durations_are_go_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, "f") == expected


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"type": "Sideways"}, "rolloutStrategy.type"),
        ({"type": "All", "all": {"progressDeadline": "soon"}}, "all.progressDeadline"),
        ({"type": "Progressive", "progressive": {"maxConcurrency": "x%"}}, "maxConcurrency"),
        ({"type": "All", "all": {"maxFailures": -1}}, "all.maxFailures"),
    ],
)
def test_bad_fields_are_named(spec: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRollout, match=field):
        RolloutStrategy.parse(spec)
