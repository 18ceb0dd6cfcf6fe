"""The taint/toleration filter over `ManagedCluster.spec.taints` and `spec.tolerations`.

- `PreferNoSelect` taints never exclude a cluster;
- `NoSelectIfNew` taints are tolerated for clusters already in this Placement's decisions;
- any other taint needs a matching toleration: empty effect/key match all, operator `Equal`
  (the default) compares values, `Exists` matches any value;
- a toleration with `tolerationSeconds` stops matching that many seconds after the taint's
  `timeAdded` (a taint with no `timeAdded` counts as added long ago, like upstream's zero time).
  The earliest such expiry among tolerated clusters is returned so the caller can requeue.
"""

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ocm_core.api.cluster import TAINT_NO_SELECT_IF_NEW, TAINT_PREFER_NO_SELECT
from ocm_core.api.placement import TOLERATION_OP_EQUAL, TOLERATION_OP_EXISTS
from ocm_core.placement.model import Cluster, Misconfigured, Rejection, Stage, Taint

PLUGIN: Final = "TaintToleration"


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str
    operator: str
    value: str
    effect: str
    seconds: int | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "Toleration":
        seconds = obj.get("tolerationSeconds")
        return cls(
            key=obj.get("key") or "",
            operator=obj.get("operator") or TOLERATION_OP_EQUAL,
            value=obj.get("value") or "",
            effect=obj.get("effect") or "",
            seconds=int(seconds) if seconds is not None else None,
        )

    def matches(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == TOLERATION_OP_EXISTS:
            return True
        return self.operator == TOLERATION_OP_EQUAL and self.value == taint.value

    def expiry(self, taint: Taint) -> datetime | None:
        """When this toleration stops covering the taint; None means never."""
        if self.seconds is None:
            return None
        added = taint.time_added or datetime.min
        return added + timedelta(seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class TaintVerdict:
    """The outcome for one cluster: the first untolerated taint, or the earliest expiry."""

    untolerated: Taint | None
    expires_at: datetime | None


def parse_tolerations(items: Sequence[Mapping[str, Any]]) -> tuple[Toleration, ...]:
    """Read `spec.tolerations`, rejecting the combinations upstream rejects."""
    tolerations = tuple(Toleration.from_dict(item or {}) for item in items)
    for toleration in tolerations:
        if toleration.operator not in (TOLERATION_OP_EQUAL, TOLERATION_OP_EXISTS):
            raise Misconfigured(
                PLUGIN, f"operator {toleration.operator!r} is not one of Equal, Exists."
            )
        if not toleration.key and toleration.operator != TOLERATION_OP_EXISTS:
            raise Misconfigured(PLUGIN, "If the key is empty, operator must be Exists.")
        if toleration.operator == TOLERATION_OP_EXISTS and toleration.value:
            raise Misconfigured(PLUGIN, "If the operator is Exists, the value should be empty.")
    return tolerations


def check_cluster(
    cluster: Cluster, tolerations: Sequence[Toleration], in_decisions: bool, now: datetime
) -> TaintVerdict:
    earliest: datetime | None = None
    for taint in cluster.taints:
        if taint.effect == TAINT_PREFER_NO_SELECT:
            continue
        if taint.effect == TAINT_NO_SELECT_IF_NEW and in_decisions:
            continue
        tolerated, expires_at = _tolerate(taint, tolerations, now)
        if not tolerated:
            return TaintVerdict(untolerated=taint, expires_at=None)
        if expires_at is not None and (earliest is None or expires_at < earliest):
            earliest = expires_at
    return TaintVerdict(untolerated=None, expires_at=earliest)


def filter_by_taints(
    clusters: Sequence[Cluster],
    tolerations: Sequence[Toleration],
    decided: Set[str],
    now: datetime,
) -> tuple[list[Cluster], list[Rejection], datetime | None]:
    """Tolerated clusters, rejections, and the earliest toleration expiry among the tolerated."""
    passed: list[Cluster] = []
    rejected: list[Rejection] = []
    earliest: datetime | None = None
    for cluster in clusters:
        verdict = check_cluster(cluster, tolerations, cluster.name in decided, now)
        if verdict.untolerated is not None:
            message = f"taint {verdict.untolerated.describe()} is not tolerated"
            rejected.append(Rejection(cluster.name, Stage.TAINT, message))
            continue
        passed.append(cluster)
        if verdict.expires_at is not None and (earliest is None or verdict.expires_at < earliest):
            earliest = verdict.expires_at
    return passed, rejected, earliest


def _tolerate(
    taint: Taint, tolerations: Sequence[Toleration], now: datetime
) -> tuple[bool, datetime | None]:
    for toleration in tolerations:
        if not toleration.matches(taint):
            continue
        expires_at = toleration.expiry(taint)
        if expires_at is None or _before(now, expires_at):
            return True, expires_at
    return False, None


def _before(now: datetime, deadline: datetime) -> bool:
    if deadline.tzinfo is None:
        # A missing timeAdded: the toleration window lies in the distant past.
        return False
    return now < deadline
