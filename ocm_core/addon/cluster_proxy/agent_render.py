"""The spoke side of cluster-proxy for one cluster: what the ManifestWork delivers.

Objects in the install namespace (default `open-cluster-management-cluster-proxy`, or the
AddOnDeploymentConfig's `agentInstallNamespace`): the Namespace (removed with the add-on), the
ServiceAccount `cluster-proxy`, the Secret `cluster-proxy-ca` (the CA bundle the agent trusts
the proxy-server with), the ConfigMap `cluster-proxy-exposure` (the agent's exposure file), and
the Deployment `cluster-proxy-proxy-agent` running `proxy-agent` with `--cluster-name`,
`--kube-apiserver` and `--exposure-file`, its client certificate from the
`open-cluster-management.io/proxy-agent-signer` Secret (the framework's custom-signer
registration writes it on the spoke), next to the `addon-agent` container (`ocm addon-agent`)
renewing the add-on Lease on the hub while the proxy-agent is ready. Proxy env, node placement
and image mirrors are added afterwards by the framework from the AddOnDeploymentConfig.
Pure functions.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.addon.cluster_proxy.exposure import EXPOSURE_FILE, KUBE_APISERVER
from ocm_core.api import proxy

Object = dict[str, Any]
EXPOSURE_CONFIGMAP: Final = "cluster-proxy-exposure"
CA_DIR: Final = "/etc/ca"
TLS_DIR: Final = "/etc/tls"
EXPOSURE_DIR: Final = "/etc/exposure"
HUB_KUBECONFIG_DIR: Final = "/etc/hub-kubeconfig"
GRACE_PERIOD_SECONDS: Final = 40
AGENT_COMPONENT: Final = "proxy-agent"


@dataclass(frozen=True)
class AgentInputs:
    cluster: str
    namespace: str
    image: str
    replicas: int
    server_host: str
    server_port: int
    ca_bundle_pem: bytes
    exposure_yaml: str
    additional_args: tuple[str, ...] = ()
    image_pull_secrets: tuple[str, ...] = ()


def render(inputs: AgentInputs) -> list[Object]:
    ns = inputs.namespace
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            # Not orphaned (upstream keeps it): uninstalling leaves nothing on the spoke.
            "metadata": {"name": ns},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": proxy.SERVICE_ACCOUNT, "namespace": ns},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": proxy.SPOKE_CA_SECRET, "namespace": ns},
            "type": "Opaque",
            "data": {proxy.CA_CERT_KEY: base64.b64encode(inputs.ca_bundle_pem).decode()},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": EXPOSURE_CONFIGMAP, "namespace": ns},
            "data": {EXPOSURE_FILE: inputs.exposure_yaml},
        },
        _deployment(inputs),
    ]


def agent_args(inputs: AgentInputs) -> list[str]:
    return [
        f"--proxy-server-host={inputs.server_host}",
        f"--proxy-server-port={inputs.server_port}",
        f"--cluster-name={inputs.cluster}",
        f"--kube-apiserver={KUBE_APISERVER}",
        f"--exposure-file={EXPOSURE_DIR}/{EXPOSURE_FILE}",
        f"--ca-cert={CA_DIR}/{proxy.CA_CERT_KEY}",
        f"--agent-cert={TLS_DIR}/tls.crt",
        f"--agent-key={TLS_DIR}/tls.key",
        f"--health-server-port={proxy.AGENT_HEALTH_PORT}",
        *inputs.additional_args,
    ]


def _deployment(inputs: AgentInputs) -> Object:
    labels = {proxy.COMPONENT_NAME_LABEL: AGENT_COMPONENT}
    pod_spec: Object = {
        "serviceAccountName": proxy.SERVICE_ACCOUNT,
        "terminationGracePeriodSeconds": GRACE_PERIOD_SECONDS,
        "containers": [
            {
                "name": "proxy-agent",
                "image": inputs.image,
                "command": ["proxy-agent"],
                "args": agent_args(inputs),
                "ports": [{"name": "health", "containerPort": proxy.AGENT_HEALTH_PORT}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": proxy.AGENT_HEALTH_PORT}},
                "readinessProbe": {"httpGet": {"path": "/readyz", "port": proxy.AGENT_HEALTH_PORT}},
                "volumeMounts": [
                    {"name": "ca", "mountPath": CA_DIR, "readOnly": True},
                    {"name": "agent-cert", "mountPath": TLS_DIR, "readOnly": True},
                    {"name": "exposure", "mountPath": EXPOSURE_DIR, "readOnly": True},
                ],
            },
            {
                # Upstream's addon-agent: the add-on Lease on the hub, renewed only while the
                # proxy-agent is ready (has its tunnel), so Available means reachable.
                "name": "addon-agent",
                "image": inputs.image,
                "command": ["ocm", "addon-agent"],
                "args": [
                    f"--hub-kubeconfig={HUB_KUBECONFIG_DIR}/kubeconfig",
                    f"--cluster-name={inputs.cluster}",
                    f"--addon-name={proxy.ADDON_NAME}",
                    f"--probe-port={proxy.AGENT_HEALTH_PORT}",
                ],
                "volumeMounts": [
                    {"name": "hub-kubeconfig", "mountPath": HUB_KUBECONFIG_DIR, "readOnly": True},
                ],
            },
        ],
        "volumes": [
            {"name": "ca", "secret": {"secretName": proxy.SPOKE_CA_SECRET}},
            {"name": "agent-cert", "secret": {"secretName": proxy.SPOKE_AGENT_CERT_SECRET}},
            {"name": "exposure", "configMap": {"name": EXPOSURE_CONFIGMAP}},
            {"name": "hub-kubeconfig", "secret": {"secretName": proxy.SPOKE_HUB_KUBECONFIG_SECRET}},
        ],
    }
    if inputs.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": n} for n in inputs.image_pull_secrets]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": proxy.AGENT_DEPLOYMENT, "namespace": inputs.namespace},
        "spec": {
            "replicas": inputs.replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
