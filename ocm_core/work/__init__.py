"""ManifestWork delivery: the spoke agent (`ocm_core.work.spoke`), the hub-side validation
rules (`ocm_core.work.validation`) the API server's admission hook applies, and the hub
controllers (`ocm_core.work.hub`: ManifestWorkReplicaSet)."""

from __future__ import annotations

from ocm_core.work.spoke import WorkAgent, run_work_agent

__all__ = ["WorkAgent", "run_work_agent"]
