"""The add-on interface: what an add-on tells the framework about itself.

An add-on is any object satisfying `AgentAddon`. The framework calls `manifests` to render the
agent for one cluster (the rendered objects go to the spoke as ManifestWorks), reads
`registrations` to know which hub credentials the agent asks for, and `health_check` to know
how the add-on's Available condition is decided. Everything here is plain data; no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocm_core import pki
from ocm_core.api import addon as addon_api
from ocm_core.api.gvr import Resource

Object = dict[str, Any]


class NotReadyError(Exception):
    """An add-on cannot render its agent yet (e.g. its CA does not exist); retried shortly."""


class HealthCheck(enum.Enum):
    """How the framework decides Available (upstream's prober types, reduced to three)."""

    LEASE = "lease"
    """The agent renews a Lease named after the add-on; fresh means Available."""
    WORK = "work"
    """Available once every add-on ManifestWork is applied and available."""
    NONE = "none"
    """Always Available once deployed (upstream maps this to mode Customized)."""

    @property
    def mode(self) -> str:
        """`status.healthCheck.mode` as the API spells it (no `None` mode exists upstream)."""
        return (
            addon_api.HEALTH_CHECK_LEASE
            if self is HealthCheck.LEASE
            else addon_api.HEALTH_CHECK_CUSTOMIZED
        )


@dataclass(frozen=True)
class KubeClientRegistration:
    """The agent gets a hub kubeconfig: a CSR for kube-apiserver-client, or a bound token."""

    user: str | None = None
    """Hub user of the agent; None means upstream's default for the cluster and add-on."""
    groups: tuple[str, ...] = ()
    driver: str = addon_api.DRIVER_CSR
    """`csr` (certificate from the hub's kube-apiserver-client signer) or `token`."""


@dataclass(frozen=True)
class CustomSignerRegistration:
    """The agent gets a client certificate from the add-on's own signer (the framework signs)."""

    signer_name: str
    user: str
    groups: tuple[str, ...] = ()
    organization_unit: str | None = None


Registration = KubeClientRegistration | CustomSignerRegistration


@dataclass(frozen=True)
class ResolvedConfig:
    """One config object the add-on's manifests may read, with its upstream spec hash."""

    resource: Resource
    namespace: str
    name: str
    spec_hash: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class AddonConfigs:
    """The configs that apply to one ManagedClusterAddOn, after precedence was applied."""

    items: tuple[ResolvedConfig, ...] = ()

    def of(self, resource: Resource) -> list[Mapping[str, Any]]:
        """Bodies of the configs of `resource`, in precedence order."""
        return [c.body for c in self.items if c.resource == resource]

    def first(self, resource: Resource) -> Mapping[str, Any] | None:
        found = self.of(resource)
        return found[0] if found else None


@dataclass(frozen=True)
class RenderContext:
    """What the framework knows when rendering one cluster's agent."""

    cluster: Mapping[str, Any]
    """The ManagedCluster."""
    addon: Mapping[str, Any]
    """The ManagedClusterAddOn (v1beta1)."""
    configs: AddonConfigs = field(default_factory=AddonConfigs)
    install_namespace: str = addon_api.DEFAULT_INSTALL_NAMESPACE

    @property
    def cluster_name(self) -> str:
        return str((self.cluster.get("metadata") or {}).get("name", ""))


class AgentAddon(Protocol):
    """An add-on the framework manages."""

    @property
    def name(self) -> str:
        """The add-on name: of the ClusterManagementAddOn and every ManagedClusterAddOn."""
        ...

    @property
    def supported_configs(self) -> Sequence[Resource]:
        """Config resources the add-on reads; changes of these objects re-render its agents."""
        ...

    @property
    def health_check(self) -> HealthCheck: ...

    @property
    def default_install_namespace(self) -> str: ...

    def registrations(self, context: RenderContext) -> Sequence[Registration]:
        """Hub credentials the agent on this cluster asks for."""
        ...

    def manifests(self, context: RenderContext) -> list[Object]:
        """The agent objects for this cluster (before AddOnDeploymentConfig decoration)."""
        ...

    def signer_ca(self, signer_name: str) -> pki.CertificateAuthority | None:
        """The CA signing CSRs of a custom signer this add-on owns (None: not ready yet)."""
        ...


def registration_status(registration: Registration, cluster: str, addon_name: str) -> Object:
    """One v1beta1 `status.registrations[]` entry for a registration."""
    if isinstance(registration, CustomSignerRegistration):
        subject: Object = {"user": registration.user, "groups": list(registration.groups)}
        if registration.organization_unit:
            subject["organizationUnits"] = [registration.organization_unit]
        return {
            "type": addon_api.REGISTRATION_CUSTOM_SIGNER,
            "customSigner": {"signerName": registration.signer_name, "subject": subject},
        }
    if registration.driver == addon_api.DRIVER_TOKEN:
        user = addon_api.token_agent_user(cluster, addon_name)
        groups: list[str] = []
    else:
        user = registration.user or addon_api.default_agent_user(cluster, addon_name)
        groups = list(registration.groups) or [addon_api.default_agent_group(cluster, addon_name)]
    return {
        "type": addon_api.REGISTRATION_KUBE_CLIENT,
        "kubeClient": {"subject": {"user": user, "groups": groups}, "driver": registration.driver},
    }


def uses_token_driver(registrations: Sequence[Registration]) -> bool:
    return any(
        isinstance(r, KubeClientRegistration) and r.driver == addon_api.DRIVER_TOKEN
        for r in registrations
    )
