"""Placement scheduling as pure functions: clusters in, PlacementDecisions and status out.

`schedule()` is the entry point; the modules hold one step each (selection, predicates,
taints, prioritizers, spread, groups, decisions, status). `rollout` plans rollouts over
decision groups (ManifestWorkReplicaSet, add-on install). `controller` (with `triggers`) is
the one I/O edge: the hub controller that runs `schedule` and writes its output.
"""

from ocm_core.placement.model import Misconfigured, Rejection, Stage
from ocm_core.placement.scheduler import SchedulingResult, schedule

__all__ = ["Misconfigured", "Rejection", "SchedulingResult", "Stage", "schedule"]
