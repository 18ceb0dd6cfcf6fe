"""ManifestWork delivery: the spoke agent (`ocm_core.work.spoke`) and the hub-side validation
rules (`ocm_core.work.validation`) the API server's admission hook applies."""

from __future__ import annotations

from ocm_core.work.spoke import WorkAgent, run_work_agent

__all__ = ["WorkAgent", "run_work_agent"]
