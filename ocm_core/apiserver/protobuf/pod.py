"""core/v1 PodSpec and everything under it (k8s.io/api ``core/v1/generated.proto`` numbers).

Shared by Pod, the apps workloads' PodTemplateSpec and anything else that embeds a pod. Volume
sources cover the ones a hub uses (secret, configMap, emptyDir, hostPath, projected,
downwardAPI, persistentVolumeClaim, nfs, csi, ephemeral, image); the legacy cloud-disk sources
are skipped like any unknown field.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import LABEL_SELECTOR, METADATA
from ocm_core.apiserver.protobuf.wire import (
    BOOL,
    INT,
    INT_OR_STRING,
    OPT_BOOL,
    OPT_INT,
    QUANTITY,
    STRING,
    TIME,
    Schema,
    inline,
    message,
    repeated,
    string_map,
)

LOCAL_OBJECT_REFERENCE: Final[Schema] = {1: ("name", STRING)}
_NAME_REF: Final = ("", inline(LOCAL_OBJECT_REFERENCE))
KEY_TO_PATH: Final[Schema] = {1: ("key", STRING), 2: ("path", STRING), 3: ("mode", OPT_INT)}
OBJECT_FIELD_SELECTOR: Final[Schema] = {1: ("apiVersion", STRING), 2: ("fieldPath", STRING)}
RESOURCE_FIELD_SELECTOR: Final[Schema] = {
    1: ("containerName", STRING),
    2: ("resource", STRING),
    3: ("divisor", QUANTITY),
}
_KEY_SELECTOR: Final[Schema] = {1: _NAME_REF, 2: ("key", STRING), 3: ("optional", OPT_BOOL)}
ENV_VAR: Final[Schema] = {
    1: ("name", STRING),
    2: ("value", STRING),
    3: (
        "valueFrom",
        message(
            {
                1: ("fieldRef", message(OBJECT_FIELD_SELECTOR)),
                2: ("resourceFieldRef", message(RESOURCE_FIELD_SELECTOR)),
                3: ("configMapKeyRef", message(_KEY_SELECTOR)),
                4: ("secretKeyRef", message(_KEY_SELECTOR)),
            }
        ),
    ),
}
_ENV_SOURCE: Final[Schema] = {1: _NAME_REF, 2: ("optional", OPT_BOOL)}
ENV_FROM_SOURCE: Final[Schema] = {
    1: ("prefix", STRING),
    2: ("configMapRef", message(_ENV_SOURCE)),
    3: ("secretRef", message(_ENV_SOURCE)),
}
RESOURCE_REQUIREMENTS: Final[Schema] = {
    1: ("limits", string_map(QUANTITY)),
    2: ("requests", string_map(QUANTITY)),
    3: ("claims", repeated(message({1: ("name", STRING), 2: ("request", STRING)}))),
}
VOLUME_MOUNT: Final[Schema] = {
    1: ("name", STRING),
    2: ("readOnly", BOOL),
    7: ("recursiveReadOnly", STRING),
    3: ("mountPath", STRING),
    4: ("subPath", STRING),
    5: ("mountPropagation", STRING),
    6: ("subPathExpr", STRING),
}
CONTAINER_PORT: Final[Schema] = {
    1: ("name", STRING),
    2: ("hostPort", INT),
    3: ("containerPort", OPT_INT),
    4: ("protocol", STRING),
    5: ("hostIP", STRING),
}
_EXEC: Final = ("exec", message({1: ("command", repeated(STRING))}))
_HTTP_GET: Final = (
    "httpGet",
    message(
        {
            1: ("path", STRING),
            2: ("port", INT_OR_STRING),
            3: ("host", STRING),
            4: ("scheme", STRING),
            5: ("httpHeaders", repeated(message({1: ("name", STRING), 2: ("value", STRING)}))),
        }
    ),
)
_TCP_SOCKET: Final = ("tcpSocket", message({1: ("port", INT_OR_STRING), 2: ("host", STRING)}))
PROBE: Final[Schema] = {
    1: (
        "",
        inline(
            {
                1: _EXEC,
                2: _HTTP_GET,
                3: _TCP_SOCKET,
                4: ("grpc", message({1: ("port", OPT_INT), 2: ("service", STRING)})),
            }
        ),
    ),
    2: ("initialDelaySeconds", INT),
    3: ("timeoutSeconds", INT),
    4: ("periodSeconds", INT),
    5: ("successThreshold", INT),
    6: ("failureThreshold", INT),
    7: ("terminationGracePeriodSeconds", OPT_INT),
}
LIFECYCLE_HANDLER: Final[Schema] = {
    1: _EXEC,
    2: _HTTP_GET,
    3: _TCP_SOCKET,
    4: ("sleep", message({1: ("seconds", OPT_INT)})),
}
LIFECYCLE: Final[Schema] = {
    1: ("postStart", message(LIFECYCLE_HANDLER)),
    2: ("preStop", message(LIFECYCLE_HANDLER)),
    3: ("stopSignal", STRING),
}
SE_LINUX_OPTIONS: Final[Schema] = {
    1: ("user", STRING),
    2: ("role", STRING),
    3: ("type", STRING),
    4: ("level", STRING),
}
WINDOWS_OPTIONS: Final[Schema] = {
    1: ("gmsaCredentialSpecName", STRING),
    2: ("gmsaCredentialSpec", STRING),
    3: ("runAsUserName", STRING),
    4: ("hostProcess", OPT_BOOL),
}
_PROFILE: Final[Schema] = {1: ("type", STRING), 2: ("localhostProfile", STRING)}
SECURITY_CONTEXT: Final[Schema] = {
    1: ("capabilities", message({1: ("add", repeated(STRING)), 2: ("drop", repeated(STRING))})),
    2: ("privileged", OPT_BOOL),
    3: ("seLinuxOptions", message(SE_LINUX_OPTIONS)),
    10: ("windowsOptions", message(WINDOWS_OPTIONS)),
    4: ("runAsUser", OPT_INT),
    8: ("runAsGroup", OPT_INT),
    5: ("runAsNonRoot", OPT_BOOL),
    6: ("readOnlyRootFilesystem", OPT_BOOL),
    7: ("allowPrivilegeEscalation", OPT_BOOL),
    9: ("procMount", STRING),
    11: ("seccompProfile", message(_PROFILE)),
    12: ("appArmorProfile", message(_PROFILE)),
}
POD_SECURITY_CONTEXT: Final[Schema] = {
    1: ("seLinuxOptions", message(SE_LINUX_OPTIONS)),
    8: ("windowsOptions", message(WINDOWS_OPTIONS)),
    2: ("runAsUser", OPT_INT),
    6: ("runAsGroup", OPT_INT),
    3: ("runAsNonRoot", OPT_BOOL),
    4: ("supplementalGroups", repeated(OPT_INT)),
    12: ("supplementalGroupsPolicy", STRING),
    5: ("fsGroup", OPT_INT),
    7: ("sysctls", repeated(message({1: ("name", STRING), 2: ("value", STRING)}))),
    9: ("fsGroupChangePolicy", STRING),
    10: ("seccompProfile", message(_PROFILE)),
    11: ("appArmorProfile", message(_PROFILE)),
    13: ("seLinuxChangePolicy", STRING),
}
CONTAINER: Final[Schema] = {
    1: ("name", STRING),
    2: ("image", STRING),
    3: ("command", repeated(STRING)),
    4: ("args", repeated(STRING)),
    5: ("workingDir", STRING),
    6: ("ports", repeated(message(CONTAINER_PORT))),
    19: ("envFrom", repeated(message(ENV_FROM_SOURCE))),
    7: ("env", repeated(message(ENV_VAR))),
    8: ("resources", message(RESOURCE_REQUIREMENTS)),
    23: (
        "resizePolicy",
        repeated(message({1: ("resourceName", STRING), 2: ("restartPolicy", STRING)})),
    ),
    24: ("restartPolicy", STRING),
    9: ("volumeMounts", repeated(message(VOLUME_MOUNT))),
    21: ("volumeDevices", repeated(message({1: ("name", STRING), 2: ("devicePath", STRING)}))),
    10: ("livenessProbe", message(PROBE)),
    11: ("readinessProbe", message(PROBE)),
    22: ("startupProbe", message(PROBE)),
    12: ("lifecycle", message(LIFECYCLE)),
    13: ("terminationMessagePath", STRING),
    20: ("terminationMessagePolicy", STRING),
    14: ("imagePullPolicy", STRING),
    15: ("securityContext", message(SECURITY_CONTEXT)),
    16: ("stdin", BOOL),
    17: ("stdinOnce", BOOL),
    18: ("tty", BOOL),
}
#: EphemeralContainer inlines EphemeralContainerCommon (Container's numbers) then targets one.
EPHEMERAL_CONTAINER: Final[Schema] = {
    1: ("", inline(CONTAINER)),
    2: ("targetContainerName", STRING),
}
_DOWNWARD_API_FILE: Final[Schema] = {
    1: ("path", STRING),
    2: ("fieldRef", message(OBJECT_FIELD_SELECTOR)),
    3: ("resourceFieldRef", message(RESOURCE_FIELD_SELECTOR)),
    4: ("mode", OPT_INT),
}
_PROJECTED_OBJECT: Final[Schema] = {
    1: _NAME_REF,
    2: ("items", repeated(message(KEY_TO_PATH))),
    4: ("optional", OPT_BOOL),
}
VOLUME_PROJECTION: Final[Schema] = {
    1: ("secret", message(_PROJECTED_OBJECT)),
    2: ("downwardAPI", message({1: ("items", repeated(message(_DOWNWARD_API_FILE)))})),
    3: ("configMap", message(_PROJECTED_OBJECT)),
    4: (
        "serviceAccountToken",
        message({1: ("audience", STRING), 2: ("expirationSeconds", OPT_INT), 3: ("path", STRING)}),
    ),
    5: (
        "clusterTrustBundle",
        message(
            {
                1: ("name", STRING),
                2: ("signerName", STRING),
                3: ("labelSelector", message(LABEL_SELECTOR)),
                5: ("optional", OPT_BOOL),
                4: ("path", STRING),
            }
        ),
    ),
}
_TYPED_LOCAL_REFERENCE: Final[Schema] = {
    1: ("apiGroup", STRING),
    2: ("kind", STRING),
    3: ("name", STRING),
}
PERSISTENT_VOLUME_CLAIM_SPEC: Final[Schema] = {
    1: ("accessModes", repeated(STRING)),
    4: ("selector", message(LABEL_SELECTOR)),
    2: (
        "resources",
        message({1: ("limits", string_map(QUANTITY)), 2: ("requests", string_map(QUANTITY))}),
    ),
    3: ("volumeName", STRING),
    5: ("storageClassName", STRING),
    6: ("volumeMode", STRING),
    7: ("dataSource", message(_TYPED_LOCAL_REFERENCE)),
    8: ("dataSourceRef", message({**_TYPED_LOCAL_REFERENCE, 4: ("namespace", STRING)})),
    9: ("volumeAttributesClassName", STRING),
}
VOLUME_SOURCE: Final[Schema] = {
    1: ("hostPath", message({1: ("path", STRING), 2: ("type", STRING)})),
    2: ("emptyDir", message({1: ("medium", STRING), 2: ("sizeLimit", QUANTITY)})),
    6: (
        "secret",
        message(
            {
                1: ("secretName", STRING),
                2: ("items", repeated(message(KEY_TO_PATH))),
                3: ("defaultMode", OPT_INT),
                4: ("optional", OPT_BOOL),
            }
        ),
    ),
    7: ("nfs", message({1: ("server", STRING), 2: ("path", STRING), 3: ("readOnly", BOOL)})),
    10: ("persistentVolumeClaim", message({1: ("claimName", STRING), 2: ("readOnly", BOOL)})),
    16: (
        "downwardAPI",
        message({1: ("items", repeated(message(_DOWNWARD_API_FILE))), 2: ("defaultMode", OPT_INT)}),
    ),
    19: (
        "configMap",
        message(
            {
                1: _NAME_REF,
                2: ("items", repeated(message(KEY_TO_PATH))),
                3: ("defaultMode", OPT_INT),
                4: ("optional", OPT_BOOL),
            }
        ),
    ),
    26: (
        "projected",
        message(
            {1: ("sources", repeated(message(VOLUME_PROJECTION))), 2: ("defaultMode", OPT_INT)}
        ),
    ),
    28: (
        "csi",
        message(
            {
                1: ("driver", STRING),
                2: ("readOnly", OPT_BOOL),
                3: ("fsType", STRING),
                4: ("volumeAttributes", string_map(STRING)),
                5: ("nodePublishSecretRef", message(LOCAL_OBJECT_REFERENCE)),
            }
        ),
    ),
    29: (
        "ephemeral",
        message(
            {
                1: (
                    "volumeClaimTemplate",
                    message({1: METADATA, 2: ("spec", message(PERSISTENT_VOLUME_CLAIM_SPEC))}),
                )
            }
        ),
    ),
    30: ("image", message({1: ("reference", STRING), 2: ("pullPolicy", STRING)})),
}
VOLUME: Final[Schema] = {1: ("name", STRING), 2: ("", inline(VOLUME_SOURCE))}
_NODE_SELECTOR_REQUIREMENT: Final[Schema] = {
    1: ("key", STRING),
    2: ("operator", STRING),
    3: ("values", repeated(STRING)),
}
NODE_SELECTOR_TERM: Final[Schema] = {
    1: ("matchExpressions", repeated(message(_NODE_SELECTOR_REQUIREMENT))),
    2: ("matchFields", repeated(message(_NODE_SELECTOR_REQUIREMENT))),
}
POD_AFFINITY_TERM: Final[Schema] = {
    1: ("labelSelector", message(LABEL_SELECTOR)),
    2: ("namespaces", repeated(STRING)),
    3: ("topologyKey", STRING),
    4: ("namespaceSelector", message(LABEL_SELECTOR)),
    5: ("matchLabelKeys", repeated(STRING)),
    6: ("mismatchLabelKeys", repeated(STRING)),
}
_POD_AFFINITY: Final[Schema] = {
    1: ("requiredDuringSchedulingIgnoredDuringExecution", repeated(message(POD_AFFINITY_TERM))),
    2: (
        "preferredDuringSchedulingIgnoredDuringExecution",
        repeated(
            message({1: ("weight", OPT_INT), 2: ("podAffinityTerm", message(POD_AFFINITY_TERM))})
        ),
    ),
}
AFFINITY: Final[Schema] = {
    1: (
        "nodeAffinity",
        message(
            {
                1: (
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    message({1: ("nodeSelectorTerms", repeated(message(NODE_SELECTOR_TERM)))}),
                ),
                2: (
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    repeated(
                        message(
                            {1: ("weight", OPT_INT), 2: ("preference", message(NODE_SELECTOR_TERM))}
                        )
                    ),
                ),
            }
        ),
    ),
    2: ("podAffinity", message(_POD_AFFINITY)),
    3: ("podAntiAffinity", message(_POD_AFFINITY)),
}
TOLERATION: Final[Schema] = {
    1: ("key", STRING),
    2: ("operator", STRING),
    3: ("value", STRING),
    4: ("effect", STRING),
    5: ("tolerationSeconds", OPT_INT),
}
TOPOLOGY_SPREAD_CONSTRAINT: Final[Schema] = {
    1: ("maxSkew", OPT_INT),
    2: ("topologyKey", STRING),
    3: ("whenUnsatisfiable", STRING),
    4: ("labelSelector", message(LABEL_SELECTOR)),
    5: ("minDomains", OPT_INT),
    6: ("nodeAffinityPolicy", STRING),
    7: ("nodeTaintsPolicy", STRING),
    8: ("matchLabelKeys", repeated(STRING)),
}
POD_DNS_CONFIG: Final[Schema] = {
    1: ("nameservers", repeated(STRING)),
    2: ("searches", repeated(STRING)),
    3: ("options", repeated(message({1: ("name", STRING), 2: ("value", STRING)}))),
}
POD_SPEC: Final[Schema] = {
    1: ("volumes", repeated(message(VOLUME))),
    20: ("initContainers", repeated(message(CONTAINER))),
    2: ("containers", repeated(message(CONTAINER))),
    34: ("ephemeralContainers", repeated(message(EPHEMERAL_CONTAINER))),
    3: ("restartPolicy", STRING),
    4: ("terminationGracePeriodSeconds", OPT_INT),
    5: ("activeDeadlineSeconds", OPT_INT),
    6: ("dnsPolicy", STRING),
    7: ("nodeSelector", string_map(STRING)),
    8: ("serviceAccountName", STRING),
    9: ("serviceAccount", STRING),
    21: ("automountServiceAccountToken", OPT_BOOL),
    10: ("nodeName", STRING),
    11: ("hostNetwork", BOOL),
    12: ("hostPID", BOOL),
    13: ("hostIPC", BOOL),
    27: ("shareProcessNamespace", OPT_BOOL),
    14: ("securityContext", message(POD_SECURITY_CONTEXT)),
    15: ("imagePullSecrets", repeated(message(LOCAL_OBJECT_REFERENCE))),
    16: ("hostname", STRING),
    17: ("subdomain", STRING),
    18: ("affinity", message(AFFINITY)),
    19: ("schedulerName", STRING),
    22: ("tolerations", repeated(message(TOLERATION))),
    23: ("hostAliases", repeated(message({1: ("ip", STRING), 2: ("hostnames", repeated(STRING))}))),
    24: ("priorityClassName", STRING),
    25: ("priority", OPT_INT),
    26: ("dnsConfig", message(POD_DNS_CONFIG)),
    28: ("readinessGates", repeated(message({1: ("conditionType", STRING)}))),
    29: ("runtimeClassName", STRING),
    30: ("enableServiceLinks", OPT_BOOL),
    31: ("preemptionPolicy", STRING),
    32: ("overhead", string_map(QUANTITY)),
    33: ("topologySpreadConstraints", repeated(message(TOPOLOGY_SPREAD_CONSTRAINT))),
    35: ("setHostnameAsFQDN", OPT_BOOL),
    36: ("os", message({1: ("name", STRING)})),
    37: ("hostUsers", OPT_BOOL),
    38: ("schedulingGates", repeated(message({1: ("name", STRING)}))),
    39: (
        "resourceClaims",
        repeated(
            message(
                {
                    1: ("name", STRING),
                    3: ("resourceClaimName", STRING),
                    4: ("resourceClaimTemplateName", STRING),
                }
            )
        ),
    ),
    40: ("resources", message(RESOURCE_REQUIREMENTS)),
}
POD_TEMPLATE_SPEC: Final[Schema] = {1: METADATA, 2: ("spec", message(POD_SPEC))}
_POD_CONDITION: Final[Schema] = {
    1: ("type", STRING),
    7: ("observedGeneration", INT),
    2: ("status", STRING),
    3: ("lastProbeTime", TIME),
    4: ("lastTransitionTime", TIME),
    5: ("reason", STRING),
    6: ("message", STRING),
}
#: The controller-written parts of PodStatus; container statuses are the kubelet's and skipped.
POD_STATUS: Final[Schema] = {
    17: ("observedGeneration", INT),
    1: ("phase", STRING),
    2: ("conditions", repeated(message(_POD_CONDITION))),
    3: ("message", STRING),
    4: ("reason", STRING),
    11: ("nominatedNodeName", STRING),
    5: ("hostIP", STRING),
    16: ("hostIPs", repeated(message({1: ("ip", STRING)}))),
    6: ("podIP", STRING),
    12: ("podIPs", repeated(message({1: ("ip", STRING)}))),
    7: ("startTime", TIME),
    9: ("qosClass", STRING),
}
POD: Final[Schema] = {
    1: METADATA,
    2: ("spec", message(POD_SPEC)),
    3: ("status", message(POD_STATUS)),
}
