"""Rollout strategies over a Placement's decision groups (`cluster/v1alpha1` RolloutStrategy).

Pure: a consumer (the ManifestWorkReplicaSet controller, add-on install) says where each
decided cluster stands (`ClusterStatus`) and `plan_rollout` answers which clusters to apply
to now, which timed out, whether the rollout is complete and when to look again.

- ``All``: every cluster at once.
- ``Progressive``: the mandatory decision groups first, all at once; once they all succeeded,
  the other clusters in group order, at most ``maxConcurrency`` in flight (a count or a
  percentage of all clusters; default the largest group's size).
- ``ProgressivePerGroup``: the mandatory groups first, then one whole group at a time.

A cluster is in flight while it is to be applied, progressing, failed within its
``progressDeadline``, or succeeded for less than ``minSuccessTime``. Failed and timed-out
clusters count as failures; once there are more than ``maxFailures`` (a count or a percentage
of all clusters, rounded up) no new cluster is started.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

PROGRESS_DEADLINE_NONE: Final = "None"
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_PERCENT: Final = re.compile(r"^(\d+)%$")
_UNITS: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class RolloutType(StrEnum):
    ALL = "All"
    PROGRESSIVE = "Progressive"
    PROGRESSIVE_PER_GROUP = "ProgressivePerGroup"


class ClusterState(StrEnum):
    """Where one cluster's rollout stands (upstream's RolloutStatus values)."""

    TO_APPLY = "ToApply"
    PROGRESSING = "Progressing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TIMEOUT = "TimeOut"


class InvalidRollout(ValueError):
    """A rolloutStrategy field cannot be read; the message names the field."""


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    cluster: str
    state: ClusterState
    since: datetime | None = None
    """When the cluster entered `state` (deadlines and minSuccessTime count from here)."""


@dataclass(frozen=True, slots=True)
class DecisionGroup:
    index: int
    name: str
    clusters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MandatoryGroup:
    name: str | None
    index: int | None

    def matches(self, group: DecisionGroup) -> bool:
        if self.name:
            return group.name == self.name
        return self.index is not None and group.index == self.index


@dataclass(frozen=True, slots=True)
class RolloutStrategy:
    type: RolloutType = RolloutType.ALL
    min_success_time: timedelta = timedelta(0)
    progress_deadline: timedelta | None = None
    max_failures: int | str = 0
    mandatory_groups: tuple[MandatoryGroup, ...] = ()
    max_concurrency: int | str | None = None

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> "RolloutStrategy":
        """Read a `rolloutStrategy` object; raises InvalidRollout naming the bad field."""
        spec = spec or {}
        try:
            kind = RolloutType(spec.get("type") or RolloutType.ALL)
        except ValueError as error:
            raise InvalidRollout(f"rolloutStrategy.type {spec.get('type')!r} is unknown") from error
        field = {
            RolloutType.ALL: "all",
            RolloutType.PROGRESSIVE: "progressive",
            RolloutType.PROGRESSIVE_PER_GROUP: "progressivePerGroup",
        }[kind]
        options = spec.get(field) or {}
        prefix = f"rolloutStrategy.{field}"
        deadline = options.get("progressDeadline") or PROGRESS_DEADLINE_NONE
        return cls(
            type=kind,
            min_success_time=parse_duration(
                options.get("minSuccessTime") or "0", f"{prefix}.minSuccessTime"
            ),
            progress_deadline=None
            if deadline == PROGRESS_DEADLINE_NONE
            else parse_duration(deadline, f"{prefix}.progressDeadline"),
            max_failures=_count_or_percent(options.get("maxFailures", 0), f"{prefix}.maxFailures"),
            mandatory_groups=tuple(
                MandatoryGroup(g.get("groupName") or None, g.get("groupIndex"))
                for g in options.get("mandatoryDecisionGroups") or []
            ),
            max_concurrency=_count_or_percent(
                options.get("maxConcurrency"), f"{prefix}.maxConcurrency"
            )
            if options.get("maxConcurrency") is not None
            else None,
        )


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    to_apply: tuple[str, ...]
    """Clusters whose workload should be written (created or updated) now."""
    timed_out: tuple[str, ...]
    failures: int
    complete: bool
    """Every cluster succeeded and has stayed so for minSuccessTime."""
    recheck_after: timedelta | None
    """The next deadline or minSuccessTime end: plan again then even if nothing changes."""


def parse_duration(text: str, field: str) -> timedelta:
    """A Go duration of hours, minutes, seconds and milliseconds ("90m", "1h30m", "0")."""
    if text == "0":
        return timedelta(0)
    position, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        seconds += float(match[1]) * _UNITS[match[2]]
        position = match.end()
    if position != len(text) or not text:
        raise InvalidRollout(f"{field} {text!r} is not a duration such as 90s, 5m or 1h30m")
    return timedelta(seconds=seconds)


def scaled(value: int | str, total: int) -> int:
    """A count, or a percentage of `total` rounded up."""
    if isinstance(value, int):
        return value
    match = _PERCENT.match(value)
    assert match is not None  # checked by _count_or_percent
    return math.ceil(int(match[1]) * total / 100)


def plan_rollout(
    strategy: RolloutStrategy,
    groups: Sequence[DecisionGroup],
    statuses: Mapping[str, ClusterStatus],
    now: datetime,
) -> RolloutPlan:
    """See the module docstring. Clusters missing from `statuses` are to be applied."""
    planner = _Planner(strategy, groups, statuses, now)
    return planner.plan()


class _Planner:
    def __init__(
        self,
        strategy: RolloutStrategy,
        groups: Sequence[DecisionGroup],
        statuses: Mapping[str, ClusterStatus],
        now: datetime,
    ) -> None:
        self.strategy = strategy
        self.groups = sorted(groups, key=lambda g: g.index)
        self.now = now
        self.order = [c for g in self.groups for c in g.clusters]
        self.deadlines: list[datetime] = []
        self.soaking: set[str] = set()
        self.states = {
            c: self._effective(statuses.get(c) or ClusterStatus(c, ClusterState.TO_APPLY))
            for c in self.order
        }
        self.failures = sum(
            1 for s in self.states.values() if s in (ClusterState.FAILED, ClusterState.TIMEOUT)
        )
        self.failure_budget = scaled(strategy.max_failures, len(self.order))

    def plan(self) -> RolloutPlan:
        if self.strategy.type is RolloutType.ALL:
            to_apply = [c for c in self.order if self._needs_write(c)]
        else:
            to_apply = self._progressive()
        return RolloutPlan(
            to_apply=tuple(to_apply),
            timed_out=tuple(c for c in self.order if self.states[c] is ClusterState.TIMEOUT),
            failures=self.failures,
            complete=all(self._done(c) for c in self.order),
            recheck_after=min(
                (moment - self.now for moment in self.deadlines if moment > self.now),
                default=None,
            ),
        )

    def _progressive(self) -> list[str]:
        mandatory = [
            g for g in self.groups if any(m.matches(g) for m in self.strategy.mandatory_groups)
        ]
        mandatory_clusters = [c for g in mandatory for c in g.clusters]
        to_apply = [c for c in mandatory_clusters if self._needs_write(c)]
        if not all(self._done(c) for c in mandatory_clusters):
            return to_apply
        rest = [g for g in self.groups if g not in mandatory]
        if self.strategy.type is RolloutType.PROGRESSIVE_PER_GROUP:
            return to_apply + self._next_group(rest)
        return to_apply + self._within_concurrency([c for g in rest for c in g.clusters])

    def _next_group(self, groups: Sequence[DecisionGroup]) -> list[str]:
        for group in groups:
            if all(self._settled(c) for c in group.clusters):
                continue
            return self._start_allowed([c for c in group.clusters if self._needs_write(c)])
        return []

    def _within_concurrency(self, clusters: Sequence[str]) -> list[str]:
        largest = max((len(g.clusters) for g in self.groups), default=0)
        limit = (
            largest
            if self.strategy.max_concurrency is None
            else max(1, scaled(self.strategy.max_concurrency, len(self.order)))
        )
        under_way = (ClusterState.PROGRESSING, ClusterState.FAILED)
        in_flight = sum(1 for c in clusters if self.states[c] in under_way or c in self.soaking)
        chosen = []
        for cluster in clusters:
            if self.states[cluster] in under_way:
                chosen.append(cluster)
            elif self.states[cluster] is ClusterState.TO_APPLY and in_flight < limit:
                chosen.append(cluster)
                in_flight += 1
        return self._start_allowed(chosen)

    def _start_allowed(self, clusters: Sequence[str]) -> list[str]:
        """Past the failure budget, only clusters already under way are written."""
        if self.failures <= self.failure_budget:
            return list(clusters)
        return [c for c in clusters if self.states[c] is not ClusterState.TO_APPLY]

    def _effective(self, status: ClusterStatus) -> ClusterState:
        deadline = self.strategy.progress_deadline
        if (
            status.state in (ClusterState.PROGRESSING, ClusterState.FAILED)
            and deadline is not None
            and status.since is not None
        ):
            expiry = status.since + deadline
            if self.now >= expiry:
                return ClusterState.TIMEOUT
            self.deadlines.append(expiry)
        if status.state is ClusterState.SUCCEEDED and status.since is not None:
            soaked = status.since + self.strategy.min_success_time
            if self.now < soaked:
                self.deadlines.append(soaked)
                self.soaking.add(status.cluster)
        return status.state

    def _needs_write(self, cluster: str) -> bool:
        return self.states[cluster] in (
            ClusterState.TO_APPLY,
            ClusterState.PROGRESSING,
            ClusterState.FAILED,
        )

    def _done(self, cluster: str) -> bool:
        return self.states[cluster] is ClusterState.SUCCEEDED and cluster not in self.soaking

    def _settled(self, cluster: str) -> bool:
        """Nothing more will happen without a change: succeeded and soaked, or given up on
        (failures within the budget let the next group start)."""
        if self._done(cluster):
            return True
        failed = self.states[cluster] in (ClusterState.FAILED, ClusterState.TIMEOUT)
        return failed and self.failures <= self.failure_budget


def _count_or_percent(value: Any, field: str) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, str) and _PERCENT.match(value):
        return value
    raise InvalidRollout(f"{field} {value!r} must be a non-negative integer or a percentage")
