"""Volume (core/v1): the sources pods mount.

emptyDir, secret, configMap, hostPath, persistentVolumeClaim, projected and downwardAPI are
described field by field; the in-tree plugins, CSI, ephemeral and image volumes are objects
whose fields are not checked.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.container import OBJECT_FIELD_SELECTOR, RESOURCE_FIELD_SELECTOR
from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    integer,
    obj,
    opaque,
    quantity,
    string,
)

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
        "fieldRef": OBJECT_FIELD_SELECTOR,
        "resourceFieldRef": RESOURCE_FIELD_SELECTOR,
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
