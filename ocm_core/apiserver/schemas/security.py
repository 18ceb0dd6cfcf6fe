"""Security contexts (core/v1): the container's SecurityContext and the PodSecurityContext.

The SELinux and Windows options are objects whose fields are not checked.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.vocabulary import (
    array,
    boolean,
    integer,
    obj,
    opaque,
    string,
    strings,
)

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
SECURITY_CONTEXT: Final = obj(
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
POD_SECURITY_CONTEXT: Final = obj(
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
