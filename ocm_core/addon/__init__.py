"""The add-on framework: the `AgentAddon` interface and the hub controllers that install add-ons,
resolve their configs, deliver their agents as ManifestWorks, register their agents (CSRs and
tokens) and report their health. `ocm_core.addon.cluster_proxy` is the add-on built on it.

Entry point for a hub process: `build_addon_controllers(manager, [addon, ...])`.
"""

from __future__ import annotations

from ocm_core.addon.agent import (
    AddonConfigs,
    AgentAddon,
    CustomSignerRegistration,
    HealthCheck,
    KubeClientRegistration,
    Registration,
    RenderContext,
)
from ocm_core.addon.manager import AddonControllers, AddonManagerOptions, build_addon_controllers

__all__ = [
    "AddonConfigs",
    "AddonControllers",
    "AddonManagerOptions",
    "AgentAddon",
    "CustomSignerRegistration",
    "HealthCheck",
    "KubeClientRegistration",
    "Registration",
    "RenderContext",
    "build_addon_controllers",
]
