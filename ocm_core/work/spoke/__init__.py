"""The spoke work agent: applies the ManifestWorks of one cluster namespace to the spoke cluster
and reports their status back to the hub (`specs/ocm-apis.md` §2.3-2.4)."""

from __future__ import annotations

from ocm_core.work.spoke.agent import WorkAgent, run_work_agent
from ocm_core.work.spoke.controller import AgentSettings, ManifestWorkController
from ocm_core.work.spoke.executor import Executor, PermissionChecker

__all__ = [
    "AgentSettings",
    "Executor",
    "ManifestWorkController",
    "PermissionChecker",
    "WorkAgent",
    "run_work_agent",
]
