"""`AddonCatalog`: the add-ons one manager runs, and how a cluster's render context is built.

The catalog maps add-on names to `AgentAddon`s and keeps the informers of every config resource
they support, so a controller can turn a ManagedClusterAddOn's `status.configReferences` into
the config bodies its renderer reads. No I/O beyond informer caches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ocm_core.addon.agent import AddonConfigs, AgentAddon, RenderContext, ResolvedConfig
from ocm_core.addon.configs import ConfigRef
from ocm_core.addon.deploymentconfig import DeploymentConfig
from ocm_core.api import addon, gvr
from ocm_core.api.gvr import Resource
from ocm_core.api.spechash import config_spec_hash
from ocm_core.runtime import Informer


class AddonCatalog:
    """Add-ons by name plus the config informers they need."""

    def __init__(self, addons: Iterable[AgentAddon], configs: Mapping[Resource, Informer]) -> None:
        self._addons = {a.name: a for a in addons}
        self.config_informers = dict(configs)

    def get(self, name: str) -> AgentAddon | None:
        return self._addons.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._addons)

    def resource_of(self, ref: ConfigRef) -> Resource | None:
        for resource in self.config_informers:
            if ref.matches(resource):
                return resource
        return None

    def lookup(self, ref: ConfigRef) -> ResolvedConfig | None:
        """The config object a reference names, with its spec hash (None: not found)."""
        resource = self.resource_of(ref)
        if resource is None:
            return None
        namespace = ref.namespace if resource.namespaced else None
        body = self.config_informers[resource].cache.get_named(ref.name, namespace)
        if body is None:
            return None
        return ResolvedConfig(resource, ref.namespace, ref.name, config_spec_hash(body), body)

    def configs_of(self, config_references: Sequence[Mapping[str, Any]]) -> AddonConfigs:
        """The configs behind `status.configReferences` desired configs (missing ones left out)."""
        items = []
        for entry in config_references:
            desired = entry.get("desiredConfig") or {}
            ref = ConfigRef(
                str(entry.get("group") or ""),
                str(entry.get("resource") or ""),
                str(desired.get("namespace") or ""),
                str(desired.get("name") or ""),
            )
            found = self.lookup(ref)
            if found is not None:
                items.append(found)
        return AddonConfigs(tuple(items))


def install_namespace(agent: AgentAddon, mca: Mapping[str, Any], configs: AddonConfigs) -> str:
    """ADC `agentInstallNamespace`, else the v1alpha1 annotation, else the add-on's default."""
    adc = DeploymentConfig.from_adc(configs.first(gvr.ADDON_DEPLOYMENT_CONFIGS))
    if adc.install_namespace:
        return adc.install_namespace
    annotations = (mca.get("metadata") or {}).get("annotations") or {}
    return str(
        annotations.get(addon.INSTALL_NAMESPACE_ANNOTATION) or agent.default_install_namespace
    )


def render_context(
    agent: AgentAddon, cluster: Mapping[str, Any], mca: Mapping[str, Any], configs: AddonConfigs
) -> RenderContext:
    return RenderContext(
        cluster=cluster,
        addon=mca,
        configs=configs,
        install_namespace=install_namespace(agent, mca, configs),
    )
