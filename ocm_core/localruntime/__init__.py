"""The lab's kubelet stand-in: runs this project's own Deployments as local processes.

A spoke (or hub) of the local lab has no kubelet. `LocalRuntimeController` watches Deployments
and runs, as processes on this machine, those whose container image is one of this project's
images (`PROJECT_IMAGES`), with the container's command, args and env, Secrets and ConfigMaps
mounted as files, restart with backoff, and status written back. Other Deployments are only
stored, as the API server already does.
"""

from ocm_core.localruntime.controller import LocalRuntimeController, build
from ocm_core.localruntime.podspec import PROJECT_IMAGES, PlanError, ProcessPlan, is_ours

__all__ = [
    "PROJECT_IMAGES",
    "LocalRuntimeController",
    "PlanError",
    "ProcessPlan",
    "build",
    "is_ours",
]
