"""The hub side of cluster-proxy rendered from the ManagedProxyConfiguration `cluster-proxy`.

Objects (in `spec.proxyServer.namespace`): the ServiceAccount `cluster-proxy`; the Deployment
`cluster-proxy` running our `proxy-server` (replicas and `--server-count` from the spec, mTLS
on both ports from the `proxy-server` / `agent-server` secrets and the `proxy-server-ca`
bundle, agents bound to the cluster their certificate names, and the agent lane on 8096); the
ClusterIP Service `proxy-entrypoint` (8090 frontend, 8091 agents, 8096 agent lane); for
`LoadBalancerService` the Service `proxy-agent-entrypoint` with the configured annotations
(upstream drops them by mistake) and the same ports; for `PortForward` the Role and RoleBinding
letting agents port-forward to the server pods (only 8091 reaches the agent's 127.0.0.1, so
agents there try the lane once, fail, and stay on gRPC). The lane port is ours and fixed, not
in the upstream API: whoever fronts it on another number passes `--agent-lane-advertised-port`
in `spec.proxyServer.additionalArgs`. Each object carries the configuration generation and a
hash of what was rendered, so the controller updates only what changed. Pure functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api import gvr, proxy

Object = dict[str, Any]
SERVER_CERT_DIR: Final = "/etc/server-pki"
AGENT_SERVER_CERT_DIR: Final = "/etc/agent-server-pki"
CA_DIR: Final = "/etc/server-ca-pki"
#: Name of the lane's container and Service port.
AGENT_LANE: Final = "agent-lane"


def server_namespace(mpc: Mapping[str, Any]) -> str:
    server = (mpc.get("spec") or {}).get("proxyServer") or {}
    return str(server.get("namespace") or proxy.PROXY_SERVER_NAMESPACE_DEFAULT)


def entrypoint(mpc: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((mpc.get("spec") or {}).get("proxyServer") or {}).get("entrypoint") or {}


def entrypoint_port(mpc: Mapping[str, Any]) -> int:
    return int(entrypoint(mpc).get("port") or proxy.AGENT_SERVER_PORT)


def _labels() -> dict[str, str]:
    return {proxy.COMPONENT_NAME_LABEL: proxy.COMPONENT_PROXY_SERVER}


def owner_reference(mpc: Mapping[str, Any]) -> Object:
    """The configuration as owner: deleting it (helm uninstall) garbage-collects the hub side."""
    return {
        "apiVersion": gvr.MANAGED_PROXY_CONFIGURATIONS.api_version,
        "kind": gvr.MANAGED_PROXY_CONFIGURATIONS.kind,
        "name": (mpc.get("metadata") or {}).get("name"),
        "uid": (mpc.get("metadata") or {}).get("uid"),
    }


def _meta(mpc: Mapping[str, Any], name: str, namespace: str, generation: int) -> Object:
    return {
        "name": name,
        "namespace": namespace,
        "labels": _labels(),
        "annotations": {proxy.CONFIGURATION_GENERATION_ANNOTATION: str(generation)},
        "ownerReferences": [owner_reference(mpc)],
    }


def with_rendered_hash(obj: Object) -> Object:
    """Stamp `obj` with a hash of its content (what the controller compares)."""
    digest = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
    obj["metadata"]["annotations"][proxy.RENDERED_HASH_ANNOTATION] = digest
    return obj


def render(mpc: Mapping[str, Any]) -> list[Object]:
    spec = mpc.get("spec") or {}
    server = spec.get("proxyServer") or {}
    namespace = server_namespace(mpc)
    generation = int((mpc.get("metadata") or {}).get("generation") or 0)
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(mpc, proxy.SERVICE_ACCOUNT, namespace, generation),
        },
        _deployment(mpc, namespace, generation),
        _service(
            mpc,
            str(server.get("inClusterServiceName") or proxy.ENTRYPOINT_SERVICE),
            namespace,
            generation,
            "ClusterIP",
        ),
    ]
    kind = entrypoint(mpc).get("type")
    if kind == proxy.ENTRYPOINT_LOAD_BALANCER:
        balancer = entrypoint(mpc).get("loadBalancerService") or {}
        service = _service(
            mpc,
            str(balancer.get("name") or proxy.LOAD_BALANCER_SERVICE),
            namespace,
            generation,
            "LoadBalancer",
        )
        service["metadata"]["annotations"].update(
            {
                a["key"]: a.get("value", "")
                for a in balancer.get("annotations") or ()
                if a.get("key")
            }
        )
        objects.append(service)
    if kind == proxy.ENTRYPOINT_PORT_FORWARD:
        objects += _port_forward_rbac(mpc, namespace, generation)
    return [with_rendered_hash(o) for o in objects]


def _deployment(mpc: Mapping[str, Any], namespace: str, generation: int) -> Object:
    server = (mpc.get("spec") or {}).get("proxyServer") or {}
    replicas = int(server.get("replicas") or proxy.DEFAULT_REPLICAS)
    placement = server.get("nodePlacement") or {}
    args = [
        f"--server-count={replicas}",
        "--proxy-strategies=destHost",
        f"--server-port={proxy.PROXY_SERVER_PORT}",
        f"--agent-port={proxy.AGENT_SERVER_PORT}",
        f"--agent-lane-port={proxy.AGENT_LANE_PORT}",
        f"--health-port={proxy.HEALTH_SERVER_PORT}",
        f"--server-cert={SERVER_CERT_DIR}/tls.crt",
        f"--server-key={SERVER_CERT_DIR}/tls.key",
        f"--server-ca-cert={CA_DIR}/ca.crt",
        f"--cluster-cert={AGENT_SERVER_CERT_DIR}/tls.crt",
        f"--cluster-key={AGENT_SERVER_CERT_DIR}/tls.key",
        f"--cluster-ca-cert={CA_DIR}/ca.crt",
        *[str(a) for a in server.get("additionalArgs") or ()],
    ]
    pod_spec: Object = {
        "serviceAccountName": proxy.SERVICE_ACCOUNT,
        "containers": [
            {
                "name": "proxy-server",
                "image": server.get("image", ""),
                "command": ["proxy-server"],
                "args": args,
                "ports": [
                    {"name": "proxy-server", "containerPort": proxy.PROXY_SERVER_PORT},
                    {"name": "agent-server", "containerPort": proxy.AGENT_SERVER_PORT},
                    {"name": AGENT_LANE, "containerPort": proxy.AGENT_LANE_PORT},
                    {"name": "health", "containerPort": proxy.HEALTH_SERVER_PORT},
                ],
                "volumeMounts": [
                    {"name": "proxy-server", "mountPath": SERVER_CERT_DIR, "readOnly": True},
                    {"name": "agent-server", "mountPath": AGENT_SERVER_CERT_DIR, "readOnly": True},
                    {"name": "proxy-server-ca", "mountPath": CA_DIR, "readOnly": True},
                ],
            }
        ],
        "volumes": [
            {"name": "proxy-server", "secret": {"secretName": proxy.PROXY_SERVER_SECRET}},
            {"name": "agent-server", "secret": {"secretName": proxy.AGENT_SERVER_SECRET}},
            {"name": "proxy-server-ca", "secret": {"secretName": proxy.PROXY_SERVER_CA_SECRET}},
        ],
    }
    if placement.get("nodeSelector"):
        pod_spec["nodeSelector"] = dict(placement["nodeSelector"])
    if placement.get("tolerations"):
        pod_spec["tolerations"] = list(placement["tolerations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(mpc, proxy.CONFIGURATION_NAME, namespace, generation),
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": _labels()},
            "template": {"metadata": {"labels": _labels()}, "spec": pod_spec},
        },
    }


def _service(
    mpc: Mapping[str, Any], name: str, namespace: str, generation: int, service_type: str
) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(mpc, name, namespace, generation),
        "spec": {
            "type": service_type,
            "selector": _labels(),
            "ports": [
                {
                    "name": "proxy-server",
                    "port": proxy.PROXY_SERVER_PORT,
                    "targetPort": proxy.PROXY_SERVER_PORT,
                },
                {
                    "name": "agent-server",
                    "port": proxy.AGENT_SERVER_PORT,
                    "targetPort": proxy.AGENT_SERVER_PORT,
                },
                {
                    # Same number outside and in: the server tells agents the port it binds.
                    "name": AGENT_LANE,
                    "port": proxy.AGENT_LANE_PORT,
                    "targetPort": proxy.AGENT_LANE_PORT,
                },
            ],
        },
    }


def _port_forward_rbac(mpc: Mapping[str, Any], namespace: str, generation: int) -> list[Object]:
    name = proxy.PORT_FORWARD_ROLE
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(mpc, name, namespace, generation),
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(mpc, name, namespace, generation),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Group",
                    "name": proxy.AGENT_GROUP,
                }
            ],
        },
    ]
