"""core/v1 kinds other than Pod and Event: ConfigMap, Secret, Namespace, ServiceAccount,
Service, Endpoints."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import (
    CONDITION,
    LOCAL_OBJECT_REFERENCE,
    OBJECT_REFERENCE,
    kind_schema,
)
from ocm_core.apiserver.schemas.vocabulary import (
    array,
    boolean,
    int_or_string,
    integer,
    obj,
    string,
    string_map,
    strings,
    with_description,
)

_IMMUTABLE: Final = boolean(
    "Immutable, if set to true, ensures that data stored cannot be updated."
)

CONFIG_MAP: Final = kind_schema(
    "ConfigMap holds configuration data for pods to consume.",
    {
        "data": string_map("Data contains the configuration data (UTF-8 values)."),
        "binaryData": string_map("BinaryData contains the binary data (base64 values)."),
        "immutable": _IMMUTABLE,
    },
)
SECRET: Final = kind_schema(
    "Secret holds secret data of a certain type.",
    {
        "data": string_map("Data contains the secret data (base64 values)."),
        "stringData": string_map(
            "stringData allows specifying non-binary secret data in "
            "string form; it is merged into data on write."
        ),
        "type": string("Used to facilitate programmatic handling of secret data."),
        "immutable": _IMMUTABLE,
    },
)
NAMESPACE: Final = kind_schema(
    "Namespace provides a scope for Names.",
    {
        "spec": obj(
            "Spec defines the behavior of the Namespace.",
            {
                "finalizers": strings(
                    "Finalizers is an opaque list of values that must be empty to permanently "
                    "remove object from storage."
                )
            },
        ),
        "status": obj(
            "Status describes the current status of a Namespace.",
            {
                "phase": string("Phase is the current lifecycle phase of the namespace."),
                "conditions": array(
                    "Represents the latest available observations of a namespace's current state.",
                    obj(
                        "NamespaceCondition contains details about state of namespace.",
                        {
                            "type": string("Type of namespace controller condition."),
                            "status": string(
                                "Status of the condition, one of True, False, Unknown."
                            ),
                            "lastTransitionTime": CONDITION["properties"]["lastTransitionTime"],
                            "reason": string(
                                "Unique, one-word, CamelCase reason for the "
                                "condition's last transition."
                            ),
                            "message": string(
                                "Human-readable message indicating details about last transition."
                            ),
                        },
                    ),
                ),
            },
        ),
    },
)
SERVICE_ACCOUNT: Final = kind_schema(
    "ServiceAccount binds together a name, a principal that can be authenticated and "
    "authorized, and a set of secrets.",
    {
        "secrets": array(
            "Secrets is a list of the secrets in the same namespace that pods running using "
            "this ServiceAccount are allowed to use.",
            OBJECT_REFERENCE,
        ),
        "imagePullSecrets": array(
            "ImagePullSecrets is a list of references to secrets for pulling images.",
            LOCAL_OBJECT_REFERENCE,
        ),
        "automountServiceAccountToken": boolean(
            "Whether pods running as this service account should have an API token "
            "automatically mounted."
        ),
    },
)

_SERVICE_PORT: Final = obj(
    "ServicePort contains information on service's port.",
    {
        "name": string("The name of this port within the service."),
        "protocol": string('The IP protocol for this port: "TCP", "UDP" or "SCTP".'),
        "appProtocol": string("The application protocol for this port."),
        "port": integer("The port that will be exposed by this service."),
        "targetPort": int_or_string(
            "Number or name of the port to access on the pods targeted by the service."
        ),
        "nodePort": integer(
            "The port on each node on which this service is exposed when type is NodePort or "
            "LoadBalancer."
        ),
    },
)
_SERVICE_SPEC: Final = obj(
    "ServiceSpec describes the attributes that a user creates on a service.",
    {
        "ports": array("The list of ports that are exposed by this service.", _SERVICE_PORT),
        "selector": string_map(
            "Route service traffic to pods with label keys and values matching this selector."
        ),
        "clusterIP": string("clusterIP is the IP address of the service."),
        "clusterIPs": strings("ClusterIPs is a list of IP addresses assigned to this service."),
        "type": string(
            "type determines how the Service is exposed: ClusterIP, NodePort, LoadBalancer or "
            "ExternalName."
        ),
        "externalIPs": strings(
            "externalIPs is a list of IP addresses for which nodes in the cluster will also "
            "accept traffic for this service."
        ),
        "sessionAffinity": string('Supports "ClientIP" and "None".'),
        "loadBalancerIP": string("Only applies to Service Type: LoadBalancer. Deprecated."),
        "loadBalancerSourceRanges": strings(
            "If specified and supported by the platform, traffic through the load-balancer "
            "will be restricted to the specified client IPs."
        ),
        "externalName": string(
            "externalName is the external reference that discovery mechanisms will return as "
            "an alias for this service (e.g. a DNS CNAME record)."
        ),
        "externalTrafficPolicy": string(
            "externalTrafficPolicy describes how nodes distribute service traffic they "
            'receive on one of the Service\'s "externally-facing" addresses.'
        ),
        "healthCheckNodePort": integer(
            "healthCheckNodePort specifies the healthcheck nodePort for the service."
        ),
        "publishNotReadyAddresses": boolean(
            "publishNotReadyAddresses indicates that any agent which deals with endpoints for "
            "this Service should disregard any indications of ready/not-ready."
        ),
        "sessionAffinityConfig": obj(
            "sessionAffinityConfig contains the configurations of session affinity.",
            {
                "clientIP": obj(
                    "clientIP contains the configurations of Client IP based session affinity.",
                    {
                        "timeoutSeconds": integer(
                            "timeoutSeconds specifies the seconds of ClientIP type session "
                            "sticky time."
                        )
                    },
                )
            },
        ),
        "ipFamilies": strings(
            "IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service."
        ),
        "ipFamilyPolicy": string(
            "IPFamilyPolicy represents the dual-stack-ness requested or required by this Service."
        ),
        "allocateLoadBalancerNodePorts": boolean(
            "allocateLoadBalancerNodePorts defines if NodePorts will be automatically "
            "allocated for services with type LoadBalancer."
        ),
        "loadBalancerClass": string(
            "loadBalancerClass is the class of the load balancer implementation this Service "
            "belongs to."
        ),
        "internalTrafficPolicy": string(
            "InternalTrafficPolicy describes how nodes distribute service traffic they "
            "receive on the ClusterIP."
        ),
        "trafficDistribution": string(
            "TrafficDistribution offers a way to express preferences for how traffic is "
            "distributed to Service endpoints."
        ),
    },
)
_PORT_STATUS: Final = obj(
    "PortStatus represents the error condition of a service port.",
    {
        "port": integer(
            "Port is the port number of the service port of which status is recorded here."
        ),
        "protocol": string("Protocol is the protocol of the service port."),
        "error": string("Error is to record the problem with the service port."),
    },
)
_LOAD_BALANCER_INGRESS: Final = obj(
    "LoadBalancerIngress represents the status of a load-balancer ingress point.",
    {
        "ip": string("IP is set for load-balancer ingress points that are IP based."),
        "hostname": string("Hostname is set for load-balancer ingress points that are DNS based."),
        "ipMode": string("IPMode specifies how the load-balancer IP behaves."),
        "ports": array("Ports is a list of records of service ports.", _PORT_STATUS),
    },
)
SERVICE: Final = kind_schema(
    "Service is a named abstraction of software service (for example, mysql) consisting of "
    "local port (for example 3306) that the proxy listens on, and the selector that "
    "determines which pods will answer requests sent through the proxy.",
    {
        "spec": with_description(_SERVICE_SPEC, "Spec defines the behavior of a service."),
        "status": obj(
            "Most recently observed status of the service.",
            {
                "loadBalancer": obj(
                    "LoadBalancer contains the current status of the load-balancer, if one "
                    "is present.",
                    {
                        "ingress": array(
                            "Ingress is a list containing ingress points for the load-balancer.",
                            _LOAD_BALANCER_INGRESS,
                        )
                    },
                ),
                "conditions": array("Current service state.", CONDITION),
            },
        ),
    },
)

_ENDPOINT_ADDRESS: Final = obj(
    "EndpointAddress is a tuple that describes single IP address.",
    {
        "ip": string("The IP of this endpoint."),
        "hostname": string("The Hostname of this endpoint."),
        "nodeName": string("Optional: Node hosting this endpoint."),
        "targetRef": with_description(
            OBJECT_REFERENCE, "Reference to object providing the endpoint."
        ),
    },
)
_ENDPOINT_PORT: Final = obj(
    "EndpointPort is a tuple that describes a single port.",
    {
        "name": string("The name of this port."),
        "port": integer("The port number of the endpoint."),
        "protocol": string("The IP protocol for this port."),
        "appProtocol": string("The application protocol for this port."),
    },
)
ENDPOINTS: Final = kind_schema(
    "Endpoints is a collection of endpoints that implement the actual service.",
    {
        "subsets": array(
            "The set of all endpoints is the union of all subsets.",
            obj(
                "EndpointSubset is a group of addresses with a common set of ports.",
                {
                    "addresses": array(
                        "IP addresses which offer the related ports that are marked as ready.",
                        _ENDPOINT_ADDRESS,
                    ),
                    "notReadyAddresses": array(
                        "IP addresses which offer the related ports but are not currently "
                        "marked as ready.",
                        _ENDPOINT_ADDRESS,
                    ),
                    "ports": array(
                        "Port numbers available on the related IP addresses.", _ENDPOINT_PORT
                    ),
                },
            ),
        )
    },
)
