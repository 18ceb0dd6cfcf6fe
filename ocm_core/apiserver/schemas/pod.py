"""Pod, PodSpec, Container, Volume and PodTemplateSpec (core/v1), shared with the workloads.

Every field of PodSpec, Container and Volume is listed, so a typo there is an unknown field as
on a real cluster. Deep, rarely hand-written parts (affinity terms, the legacy in-tree volume
plugins, seLinux/Windows options, container statuses) are objects whose fields are not
checked: a valid manifest must never be refused because this server does not know a field.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import (
    LABEL_SELECTOR,
    LOCAL_OBJECT_REFERENCE,
    OBJECT_META,
    kind_schema,
)
from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    int_or_string,
    integer,
    obj,
    opaque,
    opaque_list,
    quantity,
    quantity_map,
    string,
    string_map,
    strings,
    timestamp,
    with_description,
)

# --- environment -----------------------------------------------------------------------------


def _key_selector(what: str) -> SchemaDict:
    return obj(
        f"Selects a key of a {what}.",
        {
            "name": string(f"Name of the referent {what}."),
            "key": string("The key to select."),
            "optional": boolean(f"Specify whether the {what} or its key must be defined."),
        },
    )


_OBJECT_FIELD_SELECTOR: Final = obj(
    "ObjectFieldSelector selects an APIVersioned field of an object.",
    {
        "apiVersion": string("Version of the schema the FieldPath is written in terms of."),
        "fieldPath": string("Path of the field to select in the specified API version."),
    },
)
_RESOURCE_FIELD_SELECTOR: Final = obj(
    "ResourceFieldSelector represents container resources (cpu, memory) and their output format.",
    {
        "containerName": string("Container name: required for volumes, optional for env vars."),
        "resource": string("Required: resource to select."),
        "divisor": quantity("Specifies the output format of the exposed resources."),
    },
)
_ENV_VAR: Final = obj(
    "EnvVar represents an environment variable present in a Container.",
    {
        "name": string("Name of the environment variable."),
        "value": string(
            "Variable references $(VAR_NAME) are expanded using the previously "
            "defined environment variables in the container."
        ),
        "valueFrom": obj(
            "Source for the environment variable's value.",
            {
                "fieldRef": _OBJECT_FIELD_SELECTOR,
                "resourceFieldRef": _RESOURCE_FIELD_SELECTOR,
                "configMapKeyRef": _key_selector("ConfigMap"),
                "secretKeyRef": _key_selector("Secret"),
                "fileKeyRef": opaque("FileKeyRef selects a key of the env file."),
            },
        ),
    },
)


def _env_source(what: str) -> SchemaDict:
    return obj(
        f"The {what} to select from.",
        {
            "name": string(f"Name of the referent {what}."),
            "optional": boolean(f"Specify whether the {what} must be defined."),
        },
    )


_ENV_FROM_SOURCE: Final = obj(
    "EnvFromSource represents the source of a set of ConfigMaps or Secrets.",
    {
        "prefix": string("Optional text to prepend to the name of each environment variable."),
        "configMapRef": _env_source("ConfigMap"),
        "secretRef": _env_source("Secret"),
    },
)

# --- probes and lifecycle --------------------------------------------------------------------

_EXEC: Final = obj(
    "Exec specifies a command to execute in the container.",
    {"command": strings("Command is the command line to execute inside the container.")},
)
_HTTP_GET: Final = obj(
    "HTTPGet specifies an HTTP GET request to perform.",
    {
        "path": string("Path to access on the HTTP server."),
        "port": int_or_string("Name or number of the port to access on the container."),
        "host": string("Host name to connect to, defaults to the pod IP."),
        "scheme": string("Scheme to use for connecting to the host. Defaults to HTTP."),
        "protocol": string(
            "Protocol selects the wire protocol for the probe connection. Nil defaults to HTTP/1.1."
        ),
        "httpHeaders": array(
            "Custom headers to set in the request.",
            obj(
                "HTTPHeader describes a custom header to be used in HTTP probes.",
                {"name": string("The header field name."), "value": string("The header value.")},
            ),
        ),
    },
)
_TCP_SOCKET: Final = obj(
    "TCPSocket specifies a connection to a TCP port.",
    {
        "port": int_or_string("Number or name of the port to access on the container."),
        "host": string("Optional: Host name to connect to, defaults to the pod IP."),
    },
)
_PROBE: Final = obj(
    "Probe describes a health check to be performed against a container to determine whether "
    "it is alive or ready to receive traffic.",
    {
        "exec": _EXEC,
        "httpGet": _HTTP_GET,
        "tcpSocket": _TCP_SOCKET,
        "grpc": obj(
            "GRPC specifies a GRPC HealthCheckRequest.",
            {
                "port": integer("Port number of the gRPC service."),
                "mode": string(
                    "mode specifies the connection mode for the gRPC health probe: TLS or "
                    "Plaintext."
                ),
                "service": string(
                    "Service is the name of the service to place in the gRPC HealthCheckRequest."
                ),
            },
        ),
        "initialDelaySeconds": integer(
            "Number of seconds after the container has started before liveness probes are "
            "initiated."
        ),
        "timeoutSeconds": integer("Number of seconds after which the probe times out."),
        "periodSeconds": integer("How often (in seconds) to perform the probe."),
        "successThreshold": integer(
            "Minimum consecutive successes for the probe to be considered successful after "
            "having failed."
        ),
        "failureThreshold": integer(
            "Minimum consecutive failures for the probe to be considered failed after having "
            "succeeded."
        ),
        "terminationGracePeriodSeconds": integer(
            "Optional duration in seconds the pod needs to terminate gracefully upon probe failure."
        ),
    },
)
_LIFECYCLE_HANDLER: Final = obj(
    "LifecycleHandler defines a specific action that should be taken in a lifecycle hook.",
    {
        "exec": _EXEC,
        "httpGet": _HTTP_GET,
        "tcpSocket": _TCP_SOCKET,
        "sleep": obj(
            "Sleep represents a duration that the container should sleep.",
            {"seconds": integer("Seconds is the number of seconds to sleep.")},
        ),
    },
)
_LIFECYCLE: Final = obj(
    "Actions that the management system should take in response to container lifecycle events.",
    {
        "postStart": with_description(
            _LIFECYCLE_HANDLER,
            "PostStart is called immediately after a container is created.",
        ),
        "preStop": with_description(
            _LIFECYCLE_HANDLER,
            "PreStop is called immediately before a container is terminated.",
        ),
        "stopSignal": string(
            "StopSignal defines which signal will be sent to a container when it is being stopped."
        ),
    },
)

# --- security --------------------------------------------------------------------------------

_SECCOMP_PROFILE: Final = obj(
    "The seccomp options to use by this container.",
    {
        "type": string(
            "type indicates which kind of seccomp profile will be applied: "
            "Localhost, RuntimeDefault or Unconfined."
        ),
        "localhostProfile": string(
            "localhostProfile indicates a profile defined in a file on the node should be used."
        ),
    },
)
_APP_ARMOR_PROFILE: Final = obj(
    "appArmorProfile is the AppArmor options to use by this container.",
    {
        "type": string("type indicates which kind of AppArmor profile will be applied."),
        "localhostProfile": string(
            "localhostProfile indicates a profile loaded on the node that should be used."
        ),
    },
)
_SE_LINUX_OPTIONS: Final = opaque("The SELinux context to be applied to the container.")
_WINDOWS_OPTIONS: Final = opaque("The Windows specific settings applied to all containers.")
_SECURITY_CONTEXT: Final = obj(
    "SecurityContext holds security configuration that will be applied to a container.",
    {
        "capabilities": obj(
            "The capabilities to add/drop when running containers.",
            {
                "add": strings("Added capabilities."),
                "drop": strings("Removed capabilities."),
            },
        ),
        "privileged": boolean("Run container in privileged mode."),
        "seLinuxOptions": _SE_LINUX_OPTIONS,
        "windowsOptions": _WINDOWS_OPTIONS,
        "runAsUser": integer("The UID to run the entrypoint of the container process."),
        "runAsGroup": integer("The GID to run the entrypoint of the container process."),
        "runAsNonRoot": boolean("Indicates that the container must run as a non-root user."),
        "readOnlyRootFilesystem": boolean(
            "Whether this container has a read-only root filesystem."
        ),
        "allowPrivilegeEscalation": boolean(
            "AllowPrivilegeEscalation controls whether a process can gain more privileges "
            "than its parent process."
        ),
        "procMount": string("procMount denotes the type of proc mount to use for the containers."),
        "seccompProfile": _SECCOMP_PROFILE,
        "appArmorProfile": _APP_ARMOR_PROFILE,
    },
)
_POD_SECURITY_CONTEXT: Final = obj(
    "PodSecurityContext holds pod-level security attributes and common container settings.",
    {
        "seLinuxOptions": _SE_LINUX_OPTIONS,
        "windowsOptions": _WINDOWS_OPTIONS,
        "runAsUser": integer("The UID to run the entrypoint of the container process."),
        "runAsGroup": integer("The GID to run the entrypoint of the container process."),
        "runAsNonRoot": boolean("Indicates that the container must run as a non-root user."),
        "supplementalGroups": {
            "type": "array",
            "description": "A list of groups applied to the first process run in each "
            "container, in addition to the container's primary GID.",
            "items": {"type": "integer"},
        },
        "supplementalGroupsPolicy": string(
            "Defines how supplemental groups of the first container processes are calculated."
        ),
        "fsGroup": integer("A special supplemental group that applies to all containers in a pod."),
        "sysctls": array(
            "Sysctls hold a list of namespaced sysctls used for the pod.",
            obj(
                "Sysctl defines a kernel parameter to be set.",
                {
                    "name": string("Name of a property to set."),
                    "value": string("Value of a property to set."),
                },
            ),
        ),
        "fsGroupChangePolicy": string(
            "fsGroupChangePolicy defines behavior of changing ownership and permission of the "
            "volume before being exposed inside Pod."
        ),
        "seccompProfile": _SECCOMP_PROFILE,
        "appArmorProfile": _APP_ARMOR_PROFILE,
        "seLinuxChangePolicy": string(
            "seLinuxChangePolicy defines how the container's SELinux label is applied to all "
            "volumes used by the Pod."
        ),
    },
)

# --- containers ------------------------------------------------------------------------------

_CONTAINER_PORT: Final = obj(
    "ContainerPort represents a network port in a single container.",
    {
        "name": string("An IANA_SVC_NAME that can be referred to by services."),
        "hostPort": integer("Number of port to expose on the host."),
        "containerPort": integer("Number of port to expose on the pod's IP address."),
        "protocol": string('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".'),
        "hostIP": string("What host IP to bind the external port to."),
    },
)
_RESOURCES: Final = obj(
    "ResourceRequirements describes the compute resource requirements.",
    {
        "limits": quantity_map("Limits describes the maximum amount of compute resources allowed."),
        "requests": quantity_map(
            "Requests describes the minimum amount of compute resources required."
        ),
        "claims": array(
            "Claims lists the names of resources, defined in spec.resourceClaims, that are "
            "used by this container.",
            obj(
                "ResourceClaim references one entry in PodSpec.ResourceClaims.",
                {
                    "name": string(
                        "Name must match the name of one entry in pod.spec.resourceClaims."
                    ),
                    "request": string(
                        "Request is the name chosen for a request in the referenced claim."
                    ),
                },
            ),
        ),
    },
)
_VOLUME_MOUNT: Final = obj(
    "VolumeMount describes a mounting of a Volume within a container.",
    {
        "name": string("This must match the Name of a Volume."),
        "readOnly": boolean("Mounted read-only if true, read-write otherwise."),
        "recursiveReadOnly": string(
            "RecursiveReadOnly specifies whether read-only mounts should be handled recursively."
        ),
        "mountPath": string("Path within the container at which the volume should be mounted."),
        "subPath": string(
            "Path within the volume from which the container's volume should be mounted."
        ),
        "mountPropagation": string(
            "mountPropagation determines how mounts are propagated "
            "from the host to container and the other way around."
        ),
        "bindMountOptions": strings(
            "bindMountOptions is the list of options passed to the bind mount."
        ),
        "subPathExpr": string(
            "Expanded path within the volume from which the container's volume should be mounted."
        ),
    },
)
_CONTAINER_FIELDS: Final[dict[str, SchemaDict]] = {
    "name": string("Name of the container specified as a DNS_LABEL."),
    "image": string("Container image name."),
    "command": strings("Entrypoint array. Not executed within a shell."),
    "args": strings("Arguments to the entrypoint."),
    "workingDir": string("Container's working directory."),
    "ports": array("List of ports to expose from the container.", _CONTAINER_PORT),
    "envFrom": array(
        "List of sources to populate environment variables in the container.", _ENV_FROM_SOURCE
    ),
    "env": array("List of environment variables to set in the container.", _ENV_VAR),
    "resources": with_description(_RESOURCES, "Compute Resources required by this container."),
    "resizePolicy": array(
        "Resources resize policy for the container.",
        obj(
            "ContainerResizePolicy represents resource resize policy for the container.",
            {
                "resourceName": string(
                    "Name of the resource to which this resource resize policy applies."
                ),
                "restartPolicy": string(
                    "Restart policy to apply when specified resource is resized."
                ),
            },
        ),
    ),
    "restartPolicy": string(
        "RestartPolicy defines the restart behavior of individual containers in a pod."
    ),
    "restartPolicyRules": array(
        "Represents a list of rules to be checked to determine if the container should be "
        "restarted on exit.",
        obj(
            "ContainerRestartRule describes how a container exit is handled.",
            {
                "action": string(
                    "Specifies the action taken on a container exit if the "
                    "requirements are satisfied."
                ),
                "exitCodes": obj(
                    "Represents the exit codes to check on container exits.",
                    {
                        "operator": string(
                            "Represents the relationship between the container "
                            "exit code(s) and the specified values: In, NotIn."
                        ),
                        "values": {
                            "type": "array",
                            "description": "Specifies the set of values to check for container "
                            "exit codes.",
                            "items": {"type": "integer"},
                        },
                    },
                ),
            },
        ),
    ),
    "volumeMounts": array("Pod volumes to mount into the container's filesystem.", _VOLUME_MOUNT),
    "volumeDevices": array(
        "volumeDevices is the list of block devices to be used by the container.",
        obj(
            "volumeDevice describes a mapping of a raw block device within a container.",
            {
                "name": string("name must match the name of a persistentVolumeClaim in the pod"),
                "devicePath": string(
                    "devicePath is the path inside of the container that the "
                    "device will be mapped to."
                ),
            },
        ),
    ),
    "livenessProbe": with_description(_PROBE, "Periodic probe of container liveness."),
    "readinessProbe": with_description(_PROBE, "Periodic probe of container service readiness."),
    "startupProbe": with_description(
        _PROBE, "StartupProbe indicates that the Pod has successfully initialized."
    ),
    "lifecycle": _LIFECYCLE,
    "terminationMessagePath": string(
        "Path at which the file to which the container's termination message will be written "
        "is mounted into the container's filesystem."
    ),
    "terminationMessagePolicy": string(
        "Indicate how the termination message should be populated: File or FallbackToLogsOnError."
    ),
    "imagePullPolicy": string("Image pull policy: Always, Never, IfNotPresent."),
    "securityContext": with_description(
        _SECURITY_CONTEXT,
        "SecurityContext defines the security options the container should be run with.",
    ),
    "stdin": boolean(
        "Whether this container should allocate a buffer for stdin in the container runtime."
    ),
    "stdinOnce": boolean(
        "Whether the container runtime should close the stdin channel after "
        "it has been opened by a single attach."
    ),
    "tty": boolean("Whether this container should allocate a TTY for itself."),
}
CONTAINER: Final = obj(
    "A single application container that you want to run within a pod.", _CONTAINER_FIELDS
)
_EPHEMERAL_CONTAINER: Final = obj(
    "An EphemeralContainer is a temporary container that you may add to an existing Pod for "
    "user-initiated activities such as debugging.",
    {
        **_CONTAINER_FIELDS,
        "targetContainerName": string(
            "If set, the name of the container from PodSpec that this ephemeral container targets."
        ),
    },
)

# --- volumes ---------------------------------------------------------------------------------

_FILE_USER: Final = integer("user is Optional: The owner UID of the created file.")
_DEFAULT_USER: Final = integer("defaultUser is Optional: The owner UID of the created files.")
_KEY_TO_PATH: Final = obj(
    "Maps a string key to a path within a volume.",
    {
        "key": string("key is the key to project."),
        "path": string("path is the relative path of the file to map the key to."),
        "mode": integer("mode is Optional: mode bits used to set permissions on this file."),
        "user": _FILE_USER,
    },
)
_DOWNWARD_API_FILE: Final = obj(
    "DownwardAPIVolumeFile represents information to create the file containing the pod field.",
    {
        "path": string("Required: Path is the relative path name of the file to be created."),
        "fieldRef": _OBJECT_FIELD_SELECTOR,
        "resourceFieldRef": _RESOURCE_FIELD_SELECTOR,
        "mode": integer("Optional: mode bits used to set permissions on this file."),
        "user": _FILE_USER,
    },
)
_DEFAULT_MODE: Final = integer("Mode bits used to set permissions on created files by default.")


def _projection(what: str, name_field: str) -> SchemaDict:
    """A Secret or ConfigMap projected into a ``projected`` volume."""
    return obj(
        f"Adapts a {what} into a projected volume.",
        {
            name_field: string(f"Name of the {what}."),
            "items": array(f"Which keys of the {what} to project, and where.", _KEY_TO_PATH),
            "optional": boolean(f"Specify whether the {what} or its keys must be defined."),
        },
    )


def _files_volume(what: str, name_field: str) -> SchemaDict:
    """A Secret or ConfigMap volume: a projection with the files' default owner and mode."""
    projection = _projection(what, name_field)
    fields = {**projection["properties"], "defaultMode": _DEFAULT_MODE}
    return obj(f"Adapts a {what} into a volume.", {**fields, "defaultUser": _DEFAULT_USER})


_PROJECTED: Final = obj(
    "Represents a projected volume source.",
    {
        "sources": array(
            "sources is the list of volume projections.",
            obj(
                "Projection that may be projected along with other supported volume types.",
                {
                    "secret": _projection("Secret", "name"),
                    "configMap": _projection("ConfigMap", "name"),
                    "downwardAPI": obj(
                        "Information about the downwardAPI data to project.",
                        {
                            "items": array(
                                "Items is a list of DownwardAPIVolume file.", _DOWNWARD_API_FILE
                            )
                        },
                    ),
                    "serviceAccountToken": obj(
                        "Information about the serviceAccountToken data to project.",
                        {
                            "audience": string("Intended audience of the token."),
                            "expirationSeconds": integer(
                                "The requested duration of validity of the service account token."
                            ),
                            "path": string(
                                "Path is the path relative to the mount point of "
                                "the file to project the token into."
                            ),
                            "user": _FILE_USER,
                        },
                    ),
                    "clusterTrustBundle": opaque(
                        "ClusterTrustBundle allows a pod to access "
                        "the spec.trustBundle field of "
                        "ClusterTrustBundle objects."
                    ),
                    "podCertificate": opaque("Projects an auto-rotating credential bundle."),
                },
            ),
        ),
        "defaultMode": _DEFAULT_MODE,
        "defaultUser": _DEFAULT_USER,
    },
)
#: Volume sources this server describes field by field (the rest are in-tree plugins).
_DESCRIBED_VOLUME_SOURCES: Final[dict[str, SchemaDict]] = {
    "emptyDir": obj(
        "emptyDir represents a temporary directory that shares a pod's lifetime.",
        {
            "medium": string(
                "medium represents what type of storage medium should back this directory."
            ),
            "sizeLimit": quantity(
                "sizeLimit is the total amount of local storage required for this EmptyDir volume."
            ),
            "mode": integer("mode specifies the permission bits for the emptyDir directory."),
        },
    ),
    "secret": _files_volume("Secret", "secretName"),
    "configMap": _files_volume("ConfigMap", "name"),
    "hostPath": obj(
        "hostPath represents a pre-existing file or directory on the host machine.",
        {
            "path": string("path of the directory on the host."),
            "type": string('type for HostPath Volume. Defaults to "".'),
        },
    ),
    "persistentVolumeClaim": obj(
        "persistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim "
        "in the same namespace.",
        {
            "claimName": string(
                "claimName is the name of a PersistentVolumeClaim in the same "
                "namespace as the pod using this volume."
            ),
            "readOnly": boolean("readOnly Will force the ReadOnly setting in VolumeMounts."),
        },
    ),
    "projected": _PROJECTED,
    "downwardAPI": obj(
        "downwardAPI represents downward API about the pod that should populate this volume.",
        {
            "items": array("Items is a list of downward API volume file.", _DOWNWARD_API_FILE),
            "defaultMode": _DEFAULT_MODE,
            "defaultUser": _DEFAULT_USER,
        },
    ),
}
_OPAQUE_VOLUME_SOURCES: Final = (
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "image",
    "iscsi",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
)
VOLUME: Final = obj(
    "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
    {
        "name": string("name of the volume. Must be a DNS_LABEL and unique within the pod."),
        **_DESCRIBED_VOLUME_SOURCES,
        **{source: opaque(f"{source} volume source.") for source in _OPAQUE_VOLUME_SOURCES},
    },
)

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
            "List of ephemeral containers run in this pod.", _EPHEMERAL_CONTAINER
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
            _POD_SECURITY_CONTEXT,
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
            _RESOURCES,
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
            _RESOURCES,
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
