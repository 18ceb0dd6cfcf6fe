"""CRDs of proxy.open-cluster-management.io: ManagedProxyConfiguration and
ManagedProxyServiceResolver.
"""

from __future__ import annotations

from typing import Any

from scripts.crd_schemas import (
    array,
    conditions,
    crd,
    integer,
    node_placement,
    obj,
    root_schema,
    string,
    strings,
    version,
)

PROXY = "proxy.open-cluster-management.io"


# -- proxy.open-cluster-management.io -----------------------------------------------------


def managed_proxy_configuration() -> dict[str, Any]:
    authentication = obj(
        "How proxy-server and agent certificates are signed and stored.",
        {
            "signer": obj(
                "The signer.",
                {
                    "type": string("Signer type.", default="SelfSigned", enum=["SelfSigned"]),
                    "selfSigned": obj(
                        "Self-signed CA settings.",
                        {"additionalSANs": strings("Extra SANs of the server certificates.")},
                    ),
                },
            ),
            "dump": obj(
                "Where signed certificates are stored.",
                {
                    "secrets": obj(
                        "Secret names.",
                        {
                            "signingProxyServerSecretName": string(
                                "Frontend serving certificate.", default="proxy-server"
                            ),
                            "signingProxyClientSecretName": string(
                                "Frontend client certificate.", default="proxy-client"
                            ),
                            "signingAgentServerSecretName": string(
                                "Agent-tunnel serving certificate.", default="agent-server"
                            ),
                        },
                    )
                },
            ),
        },
    )
    entrypoint = obj(
        "How agents reach the proxy-servers.",
        {
            "type": string(
                "Hostname, LoadBalancerService or PortForward.",
                enum=["Hostname", "LoadBalancerService", "PortForward"],
            ),
            "loadBalancerService": obj(
                "A LoadBalancer Service in front of the servers.",
                {
                    "name": string("Service name.", default="proxy-agent-entrypoint"),
                    "annotations": array(
                        "Annotations of the Service.",
                        obj(
                            "An annotation.",
                            {"key": string("Key."), "value": string("Value.")},
                            required=["key"],
                        ),
                    ),
                },
            ),
            "hostname": obj(
                "A fixed host name.", {"value": string("Host name.")}, required=["value"]
            ),
            "port": integer("Port agents dial.", default=8091, minimum=1),
        },
        required=["type"],
    )
    proxy_server = obj(
        "The proxy-server Deployment.",
        {
            "image": string("Container image."),
            "replicas": integer("Replicas (also --server-count).", default=3),
            "inClusterServiceName": string("ClusterIP Service name.", default="proxy-entrypoint"),
            "namespace": string(
                "Namespace of the servers.", default="open-cluster-management-cluster-proxy"
            ),
            "entrypoint": entrypoint,
            "additionalArgs": strings("Extra proxy-server arguments."),
            "nodePlacement": node_placement("Where server pods run."),
        },
        required=["image"],
    )
    proxy_agent = obj(
        "The proxy-agent Deployment on every managed cluster.",
        {
            "image": string("Container image."),
            "replicas": integer("Replicas.", default=3),
            "additionalArgs": strings("Extra proxy-agent arguments."),
            "additionalServiceProxyArgs": strings("Extra service-proxy arguments."),
            "imagePullSecrets": strings("Image pull secret names."),
            "additionalServiceCAConfigMap": string(
                "Spoke ConfigMap whose service-ca.crt the service-proxy also trusts."
            ),
        },
        required=["image"],
    )
    ports = obj(
        "Server ports (declared; the servers use the defaults).",
        {
            "proxyServer": integer("Frontend port.", default=8090),
            "agentServer": integer("Agent port.", default=8091),
            "healthServer": integer("Health port.", default=8092),
            "adminServer": integer("Admin port.", default=8095),
        },
    )
    spec = obj(
        "Proxy-server and agent deployment settings.",
        {
            "authentication": authentication,
            "proxyServer": proxy_server,
            "proxyAgent": proxy_agent,
            "deploy": obj("Deployment details.", {"ports": ports}, required=["ports"]),
            "userServer": obj(
                "Present to issue the user-server serving certificate.",
                {"additionalSANs": strings("Extra SANs of the user-server certificate.")},
            ),
        },
        required=["authentication", "proxyServer", "proxyAgent"],
    )
    status = obj(
        "What the manager deployed.",
        {
            "lastObservedGeneration": integer("Generation last reconciled.", fmt="int64"),
            "conditions": conditions(
                "ProxyServerDeployed, ProxyServerSecretSigned, AgentServerSecretSigned, ..."
            ),
        },
    )
    schema = root_schema(
        "Configuration of the cluster-proxy add-on (named cluster-proxy).", spec, status
    )
    return crd(
        PROXY,
        "ManagedProxyConfiguration",
        "managedproxyconfigurations",
        scope="Cluster",
        versions=[version("v1alpha1", schema)],
    )


def managed_proxy_service_resolver() -> dict[str, Any]:
    spec = obj(
        "A service to expose from every cluster of a cluster set.",
        {
            "managedClusterSelector": obj(
                "The clusters.",
                {
                    "type": string(
                        "Selector type.", default="ManagedClusterSet", enum=["ManagedClusterSet"]
                    ),
                    "managedClusterSet": obj(
                        "A ManagedClusterSet.", {"name": string("Its name.")}, required=["name"]
                    ),
                },
            ),
            "serviceSelector": obj(
                "The service.",
                {
                    "type": string("Selector type.", default="ServiceRef", enum=["ServiceRef"]),
                    "serviceRef": obj(
                        "A Service.",
                        {"namespace": string("Its namespace."), "name": string("Its name.")},
                        required=["namespace", "name"],
                    ),
                },
            ),
        },
        required=["managedClusterSelector", "serviceSelector"],
    )
    status = obj(
        "Whether the resolver is in effect.",
        {"conditions": conditions("ServiceResolverAvaliable (upstream spelling).")},
        required=["conditions"],
    )
    schema = root_schema("Exposes a service of a set of managed clusters to the hub.", spec, status)
    return crd(
        PROXY,
        "ManagedProxyServiceResolver",
        "managedproxyserviceresolvers",
        scope="Cluster",
        versions=[version("v1alpha1", schema)],
    )
