"""`ClusterProxyAddon`: cluster-proxy as an `AgentAddon` of the framework.

Per cluster it renders the proxy-agent (see `agent_render`) from the ManagedProxyConfiguration
`cluster-proxy` (a supported config, so its spec hash re-renders agents when it changes), the
AddOnDeploymentConfig (install namespace, proxy env, placement, mirrors), the hub state the
configuration controller maintains (`HubState`: CA bundle and the address agents dial), the
ManagedProxyServiceResolvers and the exposed-services allow list.

Registrations: a custom-signer certificate from `open-cluster-management.io/proxy-agent-signer`
whose subject comes from `proxy_server.identity.agent_subject(cluster)`, which is what the
proxy-server's identity binding checks (so a cluster's agent can only claim that cluster), with
upstream's OU naming the CA (a new CA forces new agent certificates); and a hub kubeconfig for
the agent's lease (CSR, or with `driver="token"` short-lived ServiceAccount tokens).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocm_core import pki
from ocm_core.addon.agent import (
    CustomSignerRegistration,
    HealthCheck,
    KubeClientRegistration,
    NotReadyError,
    Object,
    Registration,
    RenderContext,
)
from ocm_core.addon.cluster_proxy import agent_render
from ocm_core.addon.cluster_proxy.exposure import (
    AllowListError,
    ExposedService,
    exposure_document,
    parse_allow_list,
    resolver_services,
)
from ocm_core.addon.cluster_proxy.hub_render import entrypoint, entrypoint_port, server_namespace
from ocm_core.addon.cluster_proxy.signer import SignerState, ou_for
from ocm_core.api import addon, gvr, proxy
from ocm_core.api.gvr import Resource
from ocm_core.runtime import Informer
from proxy_server.identity import agent_subject

logger = logging.getLogger(__name__)
AGENT_NAME = "proxy-agent"


@dataclass
class HubState:
    """What the configuration controller knows that agents need; updated in place."""

    signer: SignerState | None = None
    entrypoint_address: str | None = None
    """Where agents dial: the Hostname value, the LB ingress IP, or None for the default."""
    allow_list: list[ExposedService] = field(default_factory=list)
    """Last good allow list (a malformed ConfigMap keeps the previous one)."""


@dataclass(frozen=True)
class ClusterProxyOptions:
    install_namespace: str = proxy.AGENT_INSTALL_NAMESPACE_DEFAULT
    registration_driver: str = addon.DRIVER_CSR
    signer_namespace: str = proxy.SIGNER_SECRET_NAMESPACE_DEFAULT


class ClusterProxyAddon:
    def __init__(
        self,
        state: HubState,
        *,
        configurations: Informer,
        resolvers: Informer,
        options: ClusterProxyOptions | None = None,
    ) -> None:
        self.state = state
        self.configurations = configurations
        self.resolvers = resolvers
        self.options = options or ClusterProxyOptions()

    @property
    def name(self) -> str:
        return proxy.ADDON_NAME

    @property
    def supported_configs(self) -> Sequence[Resource]:
        return (gvr.ADDON_DEPLOYMENT_CONFIGS, gvr.MANAGED_PROXY_CONFIGURATIONS)

    @property
    def health_check(self) -> HealthCheck:
        return HealthCheck.LEASE

    @property
    def default_install_namespace(self) -> str:
        return self.options.install_namespace

    def registrations(self, context: RenderContext) -> Sequence[Registration]:
        common_name, organization = agent_subject(
            context.cluster_name, proxy.ADDON_NAME, AGENT_NAME
        )
        signer = self.state.signer
        return (
            CustomSignerRegistration(
                signer_name=proxy.AGENT_SIGNER_NAME,
                user=common_name,
                groups=(organization,),
                organization_unit=ou_for(signer.current) if signer else None,
            ),
            KubeClientRegistration(driver=self.options.registration_driver),
        )

    def signer_ca(self, signer_name: str) -> pki.CertificateAuthority | None:
        if signer_name != proxy.AGENT_SIGNER_NAME or self.state.signer is None:
            return None
        return self.state.signer.current

    def manifests(self, context: RenderContext) -> list[Object]:
        mpc = context.configs.first(
            gvr.MANAGED_PROXY_CONFIGURATIONS
        ) or self.configurations.cache.get(proxy.CONFIGURATION_NAME)
        if mpc is None:
            raise NotReadyError(f"ManagedProxyConfiguration {proxy.CONFIGURATION_NAME!r} not found")
        if self.state.signer is None:
            raise NotReadyError("the cluster-proxy CA is not ready yet")
        agent = (mpc.get("spec") or {}).get("proxyAgent") or {}
        services = [
            *resolver_services(context.cluster, self.resolvers.cache),
            *self.state.allow_list,
        ]
        inputs = agent_render.AgentInputs(
            cluster=context.cluster_name,
            namespace=context.install_namespace,
            image=str(agent.get("image") or ""),
            replicas=int(agent.get("replicas") or proxy.DEFAULT_REPLICAS),
            server_host=self._server_host(mpc),
            server_port=entrypoint_port(mpc),
            ca_bundle_pem=self.state.signer.bundle.pem(),
            exposure_yaml=exposure_document(context.cluster_name, services),
            additional_args=tuple(str(a) for a in agent.get("additionalArgs") or ()),
            image_pull_secrets=tuple(str(s) for s in agent.get("imagePullSecrets") or ()),
        )
        return agent_render.render(inputs)

    def _server_host(self, mpc: Mapping[str, Any]) -> str:
        kind = entrypoint(mpc).get("type")
        if kind == proxy.ENTRYPOINT_PORT_FORWARD:
            return "127.0.0.1"
        if kind in (proxy.ENTRYPOINT_HOSTNAME, proxy.ENTRYPOINT_LOAD_BALANCER):
            if not self.state.entrypoint_address:
                raise NotReadyError(f"the {kind} entrypoint has no address yet")
            return self.state.entrypoint_address
        service = ((mpc.get("spec") or {}).get("proxyServer") or {}).get("inClusterServiceName")
        return f"{service or proxy.ENTRYPOINT_SERVICE}.{server_namespace(mpc)}"

    def update_allow_list(self, configmap: Object | None) -> bool:
        """Parse the allow list; keep the last good one on error. Returns whether it changed."""
        try:
            parsed = parse_allow_list(configmap)
        except AllowListError as exc:
            logger.warning("keeping the last good allow list: %s", exc)
            return False
        if parsed == self.state.allow_list:
            return False
        self.state.allow_list = parsed
        return True
