"""The cluster-proxy add-on: the hub proxy-server and its certificates from the
ManagedProxyConfiguration `cluster-proxy`, and a proxy-agent on every cluster the add-on is
installed on, delivered by the add-on framework.

`build_controllers(manager, options)` adds everything to a runtime `Manager` (this is what
`ocm hub` calls): the add-on framework controllers with `ClusterProxyAddon`, the configuration
controller, the ManagedProxyServiceResolver status controller, and the hooks that re-render
agents when the CA bundle, the agent address, the ManagedProxyServiceResolvers or the
exposed-services allow list change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.addon.cluster_proxy import resolver_status
from ocm_core.addon.cluster_proxy.addon import ClusterProxyAddon, ClusterProxyOptions, HubState
from ocm_core.addon.cluster_proxy.configuration import ManagedProxyConfigurationController
from ocm_core.addon.manager import AddonControllers, AddonManagerOptions, build_addon_controllers
from ocm_core.api import gvr, proxy
from ocm_core.runtime import EventHandler, Manager, Source

CONFIGURATION_RESYNC_SECONDS: Final = 300.0
"""Re-check the hub objects this often (a deleted Secret or Deployment comes back)."""


@dataclass(frozen=True)
class ClusterProxyManagerOptions:
    addon: ClusterProxyOptions = field(default_factory=ClusterProxyOptions)
    framework: AddonManagerOptions = field(default_factory=AddonManagerOptions)
    allow_list_namespace: str = proxy.PROXY_SERVER_NAMESPACE_DEFAULT
    """Namespace of the `cluster-proxy-exposed-services` ConfigMap (the user-server's)."""


@dataclass
class ClusterProxyControllers:
    state: HubState
    addon: ClusterProxyAddon
    framework: AddonControllers


def build_controllers(
    manager: Manager, options: ClusterProxyManagerOptions | None = None
) -> ClusterProxyControllers:
    """Add the cluster-proxy add-on manager to `manager`."""
    options = options or ClusterProxyManagerOptions()
    state = HubState()
    configurations = manager.informer(gvr.MANAGED_PROXY_CONFIGURATIONS)
    resolvers = manager.informer(gvr.MANAGED_PROXY_SERVICE_RESOLVERS)
    configmaps = manager.informer(gvr.CONFIGMAPS, namespace=options.allow_list_namespace)
    cluster_proxy = ClusterProxyAddon(
        state, configurations=configurations, resolvers=resolvers, options=options.addon
    )
    framework = build_addon_controllers(manager, [cluster_proxy], options.framework)

    def rerender() -> None:
        framework.rerender(cluster_proxy.name)

    def on_allow_list(_obj: Mapping[str, Any]) -> None:
        configmap = configmaps.cache.get_named(
            proxy.EXPOSED_SERVICES_CONFIGMAP, options.allow_list_namespace
        )
        if cluster_proxy.update_allow_list(configmap):
            rerender()

    def on_resolver(_obj: Mapping[str, Any]) -> None:
        rerender()

    configmaps.add_handler(
        EventHandler(
            on_add=on_allow_list,
            on_update=lambda _old, new: on_allow_list(new),
            on_delete=on_allow_list,
        )
    )
    resolvers.add_handler(
        EventHandler(
            on_add=on_resolver, on_update=lambda _old, new: on_resolver(new), on_delete=on_resolver
        )
    )
    manager.controller(
        "managedproxyconfiguration",
        ManagedProxyConfigurationController(
            manager.api,
            state,
            configurations=configurations,
            clock=manager.clock,
            signer_namespace=options.addon.signer_namespace,
            on_agents_changed=rerender,
        ),
        [Source(configurations)],
        resync=CONFIGURATION_RESYNC_SECONDS,
    )
    resolver_status.build(manager, resolvers)
    return ClusterProxyControllers(state, cluster_proxy, framework)
