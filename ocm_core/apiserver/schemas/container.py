"""Container (core/v1): image, command, env, ports, resources, mounts, probes, lifecycle.

Every field of Container and of its nested types is listed, so a typo in a container is an
unknown field as on a real cluster.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.security import SECURITY_CONTEXT
from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    int_or_string,
    integer,
    obj,
    opaque,
    quantity,
    quantity_map,
    string,
    strings,
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


OBJECT_FIELD_SELECTOR: Final = obj(
    "ObjectFieldSelector selects an APIVersioned field of an object.",
    {
        "apiVersion": string("Version of the schema the FieldPath is written in terms of."),
        "fieldPath": string("Path of the field to select in the specified API version."),
    },
)
RESOURCE_FIELD_SELECTOR: Final = obj(
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
                "fieldRef": OBJECT_FIELD_SELECTOR,
                "resourceFieldRef": RESOURCE_FIELD_SELECTOR,
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
RESOURCE_REQUIREMENTS: Final = obj(
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
    "resources": with_description(
        RESOURCE_REQUIREMENTS, "Compute Resources required by this container."
    ),
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
        SECURITY_CONTEXT,
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
EPHEMERAL_CONTAINER: Final = obj(
    "An EphemeralContainer is a temporary container that you may add to an existing Pod for "
    "user-initiated activities such as debugging.",
    {
        **_CONTAINER_FIELDS,
        "targetContainerName": string(
            "If set, the name of the container from PodSpec that this ephemeral container targets."
        ),
    },
)
