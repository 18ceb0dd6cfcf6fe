"""Names of the cluster-proxy add-on and its `proxy.open-cluster-management.io` API.

Owns the strings upstream cluster-proxy uses and that real spokes, add-on managers and hub
clients depend on (`specs/cluster-proxy.md` §1-§5): group, version, kinds, the well-known object
names (`cluster-proxy`, `cluster-proxy-signer`, the secrets and services), the agent signer, the
identities, ports, enum values, condition types and reasons, annotations, headers, and the two
host-name hashes agents advertise. Pure data and pure functions; no I/O.
"""

from __future__ import annotations

import hashlib
from typing import Final

# -- group, version, kinds, resources -----------------------------------------------------

GROUP: Final = "proxy.open-cluster-management.io"
VERSION: Final = "v1alpha1"
CONFIGURATION_KIND: Final = "ManagedProxyConfiguration"
CONFIGURATION_RESOURCE: Final = "managedproxyconfigurations"
"""Cluster-scoped; the only object used is named `cluster-proxy`."""
SERVICE_RESOLVER_KIND: Final = "ManagedProxyServiceResolver"
SERVICE_RESOLVER_RESOURCE: Final = "managedproxyserviceresolvers"
"""Cluster-scoped."""

# -- well-known names ---------------------------------------------------------------------

ADDON_NAME: Final = "cluster-proxy"
"""Name of the ClusterManagementAddOn and of every ManagedClusterAddOn."""
CONFIGURATION_NAME: Final = "cluster-proxy"
"""The ManagedProxyConfiguration the manager requires at startup."""
PLACEMENT_NAME: Final = "cluster-proxy-placement"
"""Placement the chart creates when none is given (on the `global` cluster set)."""
GLOBAL_CLUSTER_SET: Final = "global"

SIGNER_SECRET_NAME: Final = "cluster-proxy-signer"
"""Secret with the self-signed CA (`ca.crt`, `ca.key`); the manager creates it if missing."""
SIGNER_SECRET_NAMESPACE_DEFAULT: Final = "default"
"""Manager `--signer-secret-namespace` default (the chart passes its release namespace)."""
CA_CERT_KEY: Final = "ca.crt"
CA_KEY_KEY: Final = "ca.key"
CA_COMMON_NAME: Final = "open-cluster-management:cluster-proxy"
AGENT_SIGNER_NAME: Final = "open-cluster-management.io/proxy-agent-signer"
"""Custom signer of the proxy-agent client certificates."""

PROXY_SERVER_SECRET: Final = "proxy-server"
"""Frontend (konnectivity client) serving certificate of the proxy-server."""
AGENT_SERVER_SECRET: Final = "agent-server"
"""Agent-tunnel serving certificate of the proxy-server."""
PROXY_CLIENT_SECRET: Final = "proxy-client"
"""Client certificate of hub konnectivity clients (the user-server)."""
PROXY_SERVER_CA_SECRET: Final = "proxy-server-ca"
"""Holds only `ca.crt`."""
USER_SERVER_SECRET: Final = "cluster-proxy-user-serving-cert"
"""user-server serving certificate; issued only when `spec.userServer` is set."""
SERVICE_PROXY_SERVER_CERT_SECRET: Final = "cluster-proxy-service-proxy-server-cert"
"""Hub copy of the service-proxy serving certificate."""
SPOKE_SERVICE_PROXY_CERT_SECRET: Final = "cluster-proxy-service-proxy-server-certificates"
SPOKE_CA_SECRET: Final = "cluster-proxy-ca"
"""Spoke secret with the CA the agent trusts the proxy-server with."""
SPOKE_AGENT_CERT_SECRET: Final = (
    "cluster-proxy-open-cluster-management.io-proxy-agent-signer-client-cert"
)
"""Spoke secret with the agent client certificate from the custom signer."""
SPOKE_HUB_KUBECONFIG_SECRET: Final = "cluster-proxy-hub-kubeconfig"

ENTRYPOINT_SERVICE: Final = "proxy-entrypoint"
"""Default `inClusterServiceName`: ClusterIP Service with ports 8090, 8091 and 8096 (lane)."""
LOAD_BALANCER_SERVICE: Final = "proxy-agent-entrypoint"
"""Default `loadBalancerService.name`."""
USER_SERVER_SERVICE: Final = "cluster-proxy-addon-user"
"""Service and Deployment of the user-server (port 9092)."""
MANAGER_DEPLOYMENT: Final = "cluster-proxy-addon-manager"
AGENT_DEPLOYMENT: Final = "cluster-proxy-proxy-agent"
SERVICE_ACCOUNT: Final = "cluster-proxy"
"""ServiceAccount of the proxy-server and the spoke agent."""
AGENT_LEASE: Final = "cluster-proxy"
PORT_FORWARD_ROLE: Final = "cluster-proxy-addon-agent:portforward"
EXPOSED_SERVICES_CONFIGMAP: Final = "cluster-proxy-exposed-services"
"""Allow list of services reachable through the service path (user-server namespace)."""
TLS_PROFILE_CONFIGMAP: Final = "ocm-tls-profile"

# -- namespaces ---------------------------------------------------------------------------

PROXY_SERVER_NAMESPACE_DEFAULT: Final = "open-cluster-management-cluster-proxy"
"""Default `spec.proxyServer.namespace`."""
AGENT_INSTALL_NAMESPACE_DEFAULT: Final = "open-cluster-management-cluster-proxy"
"""Manager `--agent-install-namespace` default."""
CHART_NAMESPACE: Final = "open-cluster-management-addon"
"""Namespace the README installs the chart into."""

# -- identities ---------------------------------------------------------------------------

AGENT_GROUP: Final = "open-cluster-management:cluster-proxy"
"""Group of both agent identities."""
ADDON_AGENT_USER: Final = "open-cluster-management:cluster-proxy:addon-agent"
"""User of the kubeClient registration (the addon-agent's hub kubeconfig)."""
PROXY_AGENT_USER: Final = "open-cluster-management:cluster-proxy:proxy-agent"
"""User of the custom-signer registration (the proxy-agent's tunnel certificate)."""
HUB_SERVICE_ACCOUNT_PREFIX: Final = "cluster:hub:"
"""Prefix of impersonated hub ServiceAccount users on the spoke (plain users unprefixed)."""

# -- ports --------------------------------------------------------------------------------

PROXY_SERVER_PORT: Final = 8090
"""proxy-server frontend (konnectivity clients)."""
AGENT_SERVER_PORT: Final = 8091
"""proxy-server agent tunnels; default entrypoint port."""
AGENT_LANE_PORT: Final = 8096
"""proxy-server agent lane (ours, not upstream's): our agents move their link here from 8091
when they can reach it on the entrypoint host, and stay on gRPC when they cannot."""
HEALTH_SERVER_PORT: Final = 8092
ADMIN_SERVER_PORT: Final = 8095
AGENT_HEALTH_PORT: Final = 8093
AGENT_ADMIN_PORT: Final = 8094
ADDON_AGENT_HEALTH_PORT: Final = 8888
SERVICE_PROXY_PORT: Final = 7443
SERVICE_PROXY_HEALTH_PORT: Final = 8000
USER_SERVER_PORT: Final = 9092
MANAGER_METRICS_PORT: Final = 58080
MANAGER_PROBE_PORT: Final = 58081

# -- spec enums and defaults --------------------------------------------------------------

SIGNER_SELF_SIGNED: Final = "SelfSigned"
"""The only signer type."""
ENTRYPOINT_HOSTNAME: Final = "Hostname"
ENTRYPOINT_LOAD_BALANCER: Final = "LoadBalancerService"
ENTRYPOINT_PORT_FORWARD: Final = "PortForward"
DEFAULT_REPLICAS: Final = 3
"""Default proxy-server and proxy-agent replicas (the server count agents look for)."""
CLUSTER_SELECTOR_CLUSTER_SET: Final = "ManagedClusterSet"
"""The only ManagedProxyServiceResolver cluster selector type."""
SERVICE_SELECTOR_SERVICE_REF: Final = "ServiceRef"
"""The only ManagedProxyServiceResolver service selector type."""
CERT_VALIDITY_DAYS: Final = 180
"""Validity of every leaf certificate; re-issued in the last 20 % of it."""

# -- conditions ---------------------------------------------------------------------------

CONDITION_PROXY_SERVER_DEPLOYED: Final = "ProxyServerDeployed"
CONDITION_PROXY_SERVER_SECRET_SIGNED: Final = "ProxyServerSecretSigned"
CONDITION_AGENT_SERVER_SECRET_SIGNED: Final = "AgentServerSecretSigned"
CONDITION_USER_SERVER_SECRET_SIGNED: Final = "UserServerSecretSigned"
CONDITION_PROXY_CLIENT_SECRET_SIGNED: Final = "ProxyClientSecretSigned"
REASON_SUCCESSFULLY_DEPLOYED: Final = "SuccessfullyDeployed"
REASON_NOT_YET_DEPLOYED: Final = "NotYetDeployed"

CONDITION_SERVICE_RESOLVER_AVAILABLE: Final = "ServiceResolverAvaliable"
"""Upstream spelling ("Avaliable"), kept for compatibility."""
REASON_SERVICE_RESOLVER_AVAILABLE: Final = "ManagedProxyServiceResolverAvaliable"
REASON_SERVICE_RESOLVER_NOT_LEGAL: Final = "ManagedProxyServiceResolverNotLegal"
REASON_CLUSTER_SET_NOT_EXISTED: Final = "ManagedClusterSetNotExisted"
REASON_CLUSTER_SET_DELETING: Final = "ManagedClusterSetDeleting"

# -- annotations, labels, headers ---------------------------------------------------------

CONFIGURATION_GENERATION_ANNOTATION: Final = (
    "proxy.open-cluster-management.io/configuration-generation"
)
RENDERED_HASH_ANNOTATION: Final = "proxy.open-cluster-management.io/rendered-hash"
TLS_CONFIG_HASH_ANNOTATION: Final = "proxy.open-cluster-management.io/tls-config-hash"
COMPONENT_NAME_LABEL: Final = "proxy.open-cluster-management.io/component-name"
COMPONENT_PROXY_SERVER: Final = "proxy-server"

HEADER_PROTO: Final = "Cluster-Proxy-Proto"
HEADER_NAMESPACE: Final = "Cluster-Proxy-Namespace"
HEADER_SERVICE: Final = "Cluster-Proxy-Service"
HEADER_PORT: Final = "Cluster-Proxy-Port"

# -- host names agents advertise ----------------------------------------------------------

SERVICE_PROXY_HOST_SUFFIX: Final = ".open-cluster-management.proxy"
_SERVICE_PROXY_HOST_PREFIX_LENGTH: Final = 56
_RESOLVER_HOST_LENGTH: Final = 63


def service_proxy_host(cluster: str) -> str:
    """Host of a cluster's service-proxy: `cluster-<sha256>` cut to 56 chars plus the suffix."""
    digest = hashlib.sha256(cluster.encode("utf-8")).hexdigest()
    return f"cluster-{digest}"[:_SERVICE_PROXY_HOST_PREFIX_LENGTH] + SERVICE_PROXY_HOST_SUFFIX


def service_resolver_host(cluster: str, namespace: str, service: str) -> str:
    """Host a ManagedProxyServiceResolver exposes a service under (cut to 63 characters)."""
    digest = hashlib.sha256(f"{cluster} {namespace} {service}".encode()).hexdigest()
    return f"cluster-proxy-{digest}"[:_RESOLVER_HOST_LENGTH]
