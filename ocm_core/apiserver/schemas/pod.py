"""Pod, PodSpec and PodTemplateSpec (core/v1), shared with the workloads.

Every field of PodSpec is listed (containers in :mod:`container`, volumes in :mod:`volume`,
security contexts in :mod:`security`). Deep, rarely hand-written parts (affinity terms,
resource claims, container statuses) are objects whose fields are not checked: a valid
manifest must never be refused because this server does not know a field.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.container import (
    CONTAINER,
    EPHEMERAL_CONTAINER,
    RESOURCE_REQUIREMENTS,
)
from ocm_core.apiserver.schemas.meta import (
    LABEL_SELECTOR,
    LOCAL_OBJECT_REFERENCE,
    OBJECT_META,
    kind_schema,
)
from ocm_core.apiserver.schemas.security import POD_SECURITY_CONTEXT
from ocm_core.apiserver.schemas.vocabulary import (
    array,
    boolean,
    integer,
    obj,
    opaque,
    opaque_list,
    quantity_map,
    string,
    string_map,
    strings,
    timestamp,
    with_description,
)
from ocm_core.apiserver.schemas.volume import VOLUME

# --- scheduling ------------------------------------------------------------------------------

_AFFINITY: Final = obj(
    "If specified, the pod's scheduling constraints.",
    {
        "nodeAffinity": opaque("Describes node affinity scheduling rules for the pod."),
        "podAffinity": opaque(
            "Describes pod affinity scheduling rules (e.g. co-locate this pod in the same "
            "node, zone, etc. as some other pod(s))."
        ),
        "podAntiAffinity": opaque(
            "Describes pod anti-affinity scheduling rules (e.g. avoid putting this pod in the "
            "same node, zone, etc. as some other pod(s))."
        ),
    },
)
_TOLERATION: Final = obj(
    "The pod this Toleration is attached to tolerates any taint that matches the triple "
    "<key,value,effect> using the matching operator <operator>.",
    {
        "key": string("Key is the taint key that the toleration applies to."),
        "operator": string(
            "Operator represents a key's relationship to the value: Exists or Equal."
        ),
        "value": string("Value is the taint value the toleration matches to."),
        "effect": string(
            "Effect indicates the taint effect to match: NoSchedule, "
            "PreferNoSchedule and NoExecute."
        ),
        "tolerationSeconds": integer(
            "TolerationSeconds represents the period of time the toleration tolerates the taint."
        ),
    },
)
_TOPOLOGY_SPREAD_CONSTRAINT: Final = obj(
    "TopologySpreadConstraint specifies how to spread matching pods among the given topology.",
    {
        "maxSkew": integer(
            "MaxSkew describes the degree to which pods may be unevenly distributed."
        ),
        "topologyKey": string("TopologyKey is the key of node labels."),
        "whenUnsatisfiable": string(
            "WhenUnsatisfiable indicates how to deal with a pod if it "
            "doesn't satisfy the spread constraint."
        ),
        "labelSelector": with_description(
            LABEL_SELECTOR, "LabelSelector is used to find matching pods."
        ),
        "minDomains": integer("MinDomains indicates a minimum number of eligible domains."),
        "nodeAffinityPolicy": string(
            "NodeAffinityPolicy indicates how we will treat Pod's nodeAffinity/nodeSelector."
        ),
        "nodeTaintsPolicy": string("NodeTaintsPolicy indicates how we will treat node taints."),
        "matchLabelKeys": strings(
            "MatchLabelKeys is a set of pod label keys to select the pods "
            "over which spreading will be calculated."
        ),
    },
)

POD_SPEC: Final = obj(
    "PodSpec is a description of a pod.",
    {
        "volumes": array(
            "List of volumes that can be mounted by containers belonging to the pod.", VOLUME
        ),
        "initContainers": array(
            "List of initialization containers belonging to the pod.", CONTAINER
        ),
        "containers": array("List of containers belonging to the pod.", CONTAINER),
        "ephemeralContainers": array(
            "List of ephemeral containers run in this pod.", EPHEMERAL_CONTAINER
        ),
        "restartPolicy": string(
            "Restart policy for all containers within the pod: Always, OnFailure, Never."
        ),
        "terminationGracePeriodSeconds": integer(
            "Optional duration in seconds the pod needs to terminate gracefully."
        ),
        "activeDeadlineSeconds": integer(
            "Optional duration in seconds the pod may be active on the node relative to "
            "StartTime before the system will actively try to mark it failed and kill "
            "associated containers."
        ),
        "dnsPolicy": string('Set DNS policy for the pod. Defaults to "ClusterFirst".'),
        "nodeSelector": string_map(
            "NodeSelector is a selector which must be true for the pod to fit on a node."
        ),
        "serviceAccountName": string(
            "ServiceAccountName is the name of the ServiceAccount to use to run this pod."
        ),
        "serviceAccount": string(
            "DeprecatedServiceAccount is a deprecated alias for ServiceAccountName."
        ),
        "automountServiceAccountToken": boolean(
            "AutomountServiceAccountToken indicates whether a service account token should be "
            "automatically mounted."
        ),
        "nodeName": string("NodeName indicates in which node this pod is scheduled."),
        "hostNetwork": boolean("Host networking requested for this pod."),
        "hostPID": boolean("Use the host's pid namespace."),
        "hostIPC": boolean("Use the host's ipc namespace."),
        "shareProcessNamespace": boolean(
            "Share a single process namespace between all of the containers in a pod."
        ),
        "securityContext": with_description(
            POD_SECURITY_CONTEXT,
            "SecurityContext holds pod-level security attributes and common container settings.",
        ),
        "imagePullSecrets": array(
            "ImagePullSecrets is an optional list of references to secrets in the same "
            "namespace to use for pulling any of the images used by this PodSpec.",
            LOCAL_OBJECT_REFERENCE,
        ),
        "hostname": string("Specifies the hostname of the Pod."),
        "subdomain": string(
            "If specified, the fully qualified Pod hostname will be "
            '"<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>".'
        ),
        "affinity": _AFFINITY,
        "schedulerName": string("If specified, the pod will be dispatched by specified scheduler."),
        "tolerations": array("If specified, the pod's tolerations.", _TOLERATION),
        "hostAliases": array(
            "HostAliases is an optional list of hosts and IPs that will be injected into the "
            "pod's hosts file if specified.",
            obj(
                "HostAlias holds the mapping between IP and hostnames that will be injected "
                "as an entry in the pod's hosts file.",
                {
                    "ip": string("IP address of the host file entry."),
                    "hostnames": strings("Hostnames for the above IP address."),
                },
            ),
        ),
        "priorityClassName": string("If specified, indicates the pod's priority."),
        "priority": integer("The priority value."),
        "dnsConfig": obj(
            "Specifies the DNS parameters of a pod.",
            {
                "nameservers": strings("A list of DNS name server IP addresses."),
                "searches": strings("A list of DNS search domains for host-name lookup."),
                "options": array(
                    "A list of DNS resolver options.",
                    obj(
                        "PodDNSConfigOption defines DNS resolver options of a pod.",
                        {
                            "name": string("Name is this DNS resolver option's name."),
                            "value": string("Value is this DNS resolver option's value."),
                        },
                    ),
                ),
            },
        ),
        "readinessGates": array(
            "If specified, all readiness gates will be evaluated for pod readiness.",
            obj(
                "PodReadinessGate contains the reference to a pod condition",
                {
                    "conditionType": string(
                        "ConditionType refers to a condition in the pod's "
                        "condition list with matching type."
                    )
                },
            ),
        ),
        "runtimeClassName": string(
            "RuntimeClassName refers to a RuntimeClass object in the "
            "node.k8s.io group, which should be used to run this pod."
        ),
        "enableServiceLinks": boolean(
            "EnableServiceLinks indicates whether information about services should be "
            "injected into pod's environment variables."
        ),
        "preemptionPolicy": string(
            "PreemptionPolicy is the Policy for preempting pods with lower priority."
        ),
        "overhead": quantity_map(
            "Overhead represents the resource overhead associated with "
            "running a pod for a given RuntimeClass."
        ),
        "topologySpreadConstraints": array(
            "TopologySpreadConstraints describes how a group of pods ought to spread across "
            "topology domains.",
            _TOPOLOGY_SPREAD_CONSTRAINT,
        ),
        "setHostnameAsFQDN": boolean(
            "If true the pod's hostname will be configured as the "
            "pod's FQDN, rather than the leaf name (the default)."
        ),
        "os": obj(
            "Specifies the OS of the containers in the pod.",
            {"name": string("Name is the name of the operating system: linux or windows.")},
        ),
        "hostUsers": boolean("Use the host's user namespace."),
        "schedulingGates": array(
            "SchedulingGates is an opaque list of values that if specified will block "
            "scheduling the pod.",
            obj(
                "PodSchedulingGate is associated to a Pod to guard its scheduling.",
                {"name": string("Name of the scheduling gate.")},
            ),
        ),
        "evictionResponders": opaque_list(
            "evictionResponders are the responders consulted when the pod is evicted."
        ),
        "schedulingGroup": opaque("The scheduling group the pod belongs to."),
        "resourceClaims": opaque_list(
            "ResourceClaims defines which ResourceClaims must be allocated and reserved "
            "before the Pod is allowed to start."
        ),
        "resources": with_description(
            RESOURCE_REQUIREMENTS,
            "Resources is the total amount of CPU and Memory resources required by all "
            "containers in the pod.",
        ),
        "hostnameOverride": string(
            "HostnameOverride specifies an explicit override for the "
            "pod's hostname as perceived by the pod."
        ),
    },
)
POD_TEMPLATE_SPEC: Final = obj(
    "PodTemplateSpec describes the data a pod should have when created from a template.",
    {
        "metadata": OBJECT_META,
        "spec": with_description(POD_SPEC, "Specification of the desired behavior of the pod."),
    },
)

_POD_CONDITION: Final = obj(
    "PodCondition contains details for the current condition of this pod.",
    {
        "type": string("Type is the type of the condition."),
        "observedGeneration": integer(
            "If set, this represents the .metadata.generation that "
            "the pod condition was set based upon."
        ),
        "status": string("Status is the status of the condition: True, False, Unknown."),
        "lastProbeTime": timestamp("Last time we probed the condition."),
        "lastTransitionTime": timestamp(
            "Last time the condition transitioned from one status to another."
        ),
        "reason": string("Unique, one-word, CamelCase reason for the condition's last transition."),
        "message": string("Human-readable message indicating details about last transition."),
    },
)
_POD_IP: Final = obj(
    "PodIP represents a single IP address allocated to the pod.",
    {"ip": string("IP is the IP address assigned to the pod.")},
)
POD_STATUS: Final = obj(
    "PodStatus represents information about the status of a pod.",
    {
        "observedGeneration": integer(
            "If set, this represents the .metadata.generation that "
            "the pod status was set based upon."
        ),
        "phase": string("The phase of a Pod: Pending, Running, Succeeded, Failed, Unknown."),
        "conditions": array("Current service state of pod.", _POD_CONDITION),
        "message": string(
            "A human readable message indicating details about why the pod is in this condition."
        ),
        "reason": string(
            "A brief CamelCase message indicating details about why the pod is in this state."
        ),
        "nominatedNodeName": string(
            "nominatedNodeName is set only when this pod preempts other pods on the node."
        ),
        "hostIP": string("hostIP holds the IP address of the host to which the pod is assigned."),
        "hostIPs": array("hostIPs holds the IP addresses allocated to the host.", _POD_IP),
        "podIP": string("podIP address allocated to the pod."),
        "podIPs": array("podIPs holds the IP addresses allocated to the pod.", _POD_IP),
        "startTime": timestamp(
            "RFC 3339 date and time at which the object was acknowledged by the Kubelet."
        ),
        "initContainerStatuses": opaque_list("Statuses of init containers in this pod."),
        "containerStatuses": opaque_list("Statuses of containers in this pod."),
        "qosClass": string("The Quality of Service (QOS) classification assigned to the pod."),
        "ephemeralContainerStatuses": opaque_list("Statuses for any ephemeral containers."),
        "resize": string("Status of resources resize desired for pod's containers."),
        "resourceClaimStatuses": opaque_list("Status of resource claims."),
        "extendedResourceClaimStatus": opaque("Status of extended resource claim."),
        "allocatedResources": quantity_map(
            "AllocatedResources is the total requests allocated for this pod by the node."
        ),
        "resources": with_description(
            RESOURCE_REQUIREMENTS,
            "Resources represents the compute resource requests and limits that "
            "have been applied at the pod level.",
        ),
        "volumeHealth": opaque_list(
            "volumeHealth contains node-reported health information for the pod's volumes."
        ),
        "nodeAllocatableResourceClaimStatuses": opaque_list(
            "Statuses of the node-allocatable resource claims of the pod."
        ),
    },
)
POD: Final = kind_schema(
    "Pod is a collection of containers that can run on a host.",
    {
        "spec": with_description(POD_SPEC, "Specification of the desired behavior of the pod."),
        "status": with_description(POD_STATUS, "Most recently observed status of the pod."),
    },
)
