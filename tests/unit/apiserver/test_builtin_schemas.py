"""The built-in kinds' schemas: complete against upstream, valid objects pass Strict, typos are
reported with kube's paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes.client as k8s
import pytest
import yaml

from ocm_core.addon.cluster_proxy import agent_render, hub_render
from ocm_core.api import proxy
from ocm_core.api.schema import PRESERVE_UNKNOWN, Schema
from ocm_core.apiserver import errors, fieldvalidation
from ocm_core.apiserver.handlers.auth_endpoints import register_review_resources
from ocm_core.apiserver.registry import RBAC, Registry
from ocm_core.apiserver.schemas import BUILTIN_SCHEMAS, schema_for
from ocm_core.apiserver.schemas.meta import OBJECT_META

DEPLOYMENT = ("apps", "Deployment")
POD = ("", "Pod")
CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
CHARTS = Path(__file__).resolve().parents[3] / "charts"
#: The kubernetes Python client's model of each kind: its attribute maps are upstream's fields.
CLIENT_MODELS: dict[tuple[str, str], type[Any]] = {
    ("", "ConfigMap"): k8s.V1ConfigMap,
    ("", "Secret"): k8s.V1Secret,
    ("", "Namespace"): k8s.V1Namespace,
    ("", "ServiceAccount"): k8s.V1ServiceAccount,
    ("", "Service"): k8s.V1Service,
    ("", "Endpoints"): k8s.V1Endpoints,
    ("", "Event"): k8s.CoreV1Event,
    ("", "Pod"): k8s.V1Pod,
    ("events.k8s.io", "Event"): k8s.EventsV1Event,
    ("apps", "Deployment"): k8s.V1Deployment,
    ("apps", "ReplicaSet"): k8s.V1ReplicaSet,
    ("coordination.k8s.io", "Lease"): k8s.V1Lease,
    ("certificates.k8s.io", "CertificateSigningRequest"): k8s.V1CertificateSigningRequest,
    (RBAC, "Role"): k8s.V1Role,
    (RBAC, "ClusterRole"): k8s.V1ClusterRole,
    (RBAC, "RoleBinding"): k8s.V1RoleBinding,
    (RBAC, "ClusterRoleBinding"): k8s.V1ClusterRoleBinding,
    CRD: k8s.V1CustomResourceDefinition,
    ("authentication.k8s.io", "TokenReview"): k8s.V1TokenReview,
    ("authentication.k8s.io", "SelfSubjectReview"): k8s.V1SelfSubjectReview,
    ("authorization.k8s.io", "SubjectAccessReview"): k8s.V1SubjectAccessReview,
    ("authorization.k8s.io", "LocalSubjectAccessReview"): k8s.V1LocalSubjectAccessReview,
    ("authorization.k8s.io", "SelfSubjectAccessReview"): k8s.V1SelfSubjectAccessReview,
    ("authorization.k8s.io", "SelfSubjectRulesReview"): k8s.V1SelfSubjectRulesReview,
}


def _served_registry() -> Registry:
    registry = Registry.with_builtins()
    register_review_resources(registry)
    return registry


def _model_type(type_name: str) -> type[Any] | None:
    """The client model class a field's type names (``List[V1Container]`` -> V1Container)."""
    inner = re.fullmatch(r"List\[(.+)\]", type_name)
    name = inner.group(1) if inner else type_name
    model = getattr(k8s, name, None)
    return model if hasattr(model, "attribute_map") else None


def _differences(model: type[Any], schema: Schema, path: str) -> list[str]:
    """Fields the client model has and the schema lacks ("missing ...") or the other way."""
    if schema.get("type") == "array":
        schema = schema["items"]
    if schema.get(PRESERVE_UNKNOWN):
        return []
    properties = schema.get("properties") or {}
    found = []
    for attribute, name in model.attribute_map.items():
        if name not in properties:
            found.append(f"missing {path}.{name}")
            continue
        nested = _model_type(model.openapi_types[attribute])
        if nested is not None:
            found += _differences(nested, properties[name], f"{path}.{name}")
    upstream = set(model.attribute_map.values())
    found += [f"not upstream {path}.{name}" for name in properties if name not in upstream]
    return found


def _check(kind: tuple[str, str], obj: Any, *, patch: bool = False) -> list[str]:
    return fieldvalidation.unknown_fields(BUILTIN_SCHEMAS[kind], obj, patch=patch)


def test_every_served_built_in_kind_has_a_schema() -> None:
    missing = [
        f"{info.group}/{info.kind}" for info in _served_registry().all() if schema_for(info) is None
    ]
    assert missing == []
    assert set(CLIENT_MODELS) == set(BUILTIN_SCHEMAS)


@pytest.mark.parametrize("kind", sorted(CLIENT_MODELS), ids=lambda kind: "/".join(kind))
def test_the_schema_has_exactly_the_fields_of_the_upstream_type(kind: tuple[str, str]) -> None:
    """Walks the kubernetes client's model (upstream's OpenAPI) against the schema, down to
    the parts the schema leaves open."""
    assert _differences(CLIENT_MODELS[kind], BUILTIN_SCHEMAS[kind], kind[1]) == []


def test_object_meta_describes_exactly_the_checked_metadata_fields() -> None:
    assert set(OBJECT_META["properties"]) == fieldvalidation.OBJECT_META_FIELDS


FULL_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: "1"}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  progressDeadlineSeconds: 600
  minReadySeconds: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [front]}]
  template:
    metadata:
      labels: {app: web, tier: front}
      annotations: {kubectl.kubernetes.io/restartedAt: "2024-01-01T00:00:00Z"}
      creationTimestamp: null
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      priorityClassName: high
      nodeSelector: {kubernetes.io/os: linux}
      tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      - {key: k, operator: Equal, value: v, effect: NoExecute, tolerationSeconds: 30}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {matchLabels: {app: web}}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector: {matchLabels: {app: web}}
        matchLabelKeys: [pod-template-hash]
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        fsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
        sysctls: [{name: net.ipv4.ip_local_port_range, value: "1024 65535"}]
      imagePullSecrets: [{name: registry}]
      hostAliases: [{ip: 127.0.0.1, hostnames: [local]}]
      dnsPolicy: ClusterFirst
      dnsConfig: {options: [{name: ndots, value: "2"}]}
      initContainers:
      - name: init
        image: busybox
        command: [sh, -c, "true"]
        restartPolicy: Always
      containers:
      - name: app
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        args: [--port=8080]
        workingDir: /srv
        ports:
        - {name: http, containerPort: 8080, protocol: TCP}
        env:
        - {name: PLAIN, value: x}
        - name: POD_NAME
          valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
        - name: LIMIT
          valueFrom: {resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}}
        - name: FROM_CM
          valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: true}}
        - name: FROM_SECRET
          valueFrom: {secretKeyRef: {name: s, key: k}}
        envFrom:
        - {prefix: CFG_, configMapRef: {name: cfg}}
        - secretRef: {name: s, optional: true}
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: "1", memory: 128Mi, ephemeral-storage: 1Gi}
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
            scheme: HTTP
            httpHeaders: [{name: X-Probe, value: "1"}]
          initialDelaySeconds: 3
          periodSeconds: 10
          timeoutSeconds: 1
          successThreshold: 1
          failureThreshold: 3
        readinessProbe:
          tcpSocket: {port: 8080}
        startupProbe:
          exec: {command: [cat, /tmp/ready]}
          failureThreshold: 30
        lifecycle:
          preStop: {sleep: {seconds: 5}}
          postStart: {exec: {command: ["true"]}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
          privileged: false
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
        - {name: cfg, mountPath: /etc/cfg, readOnly: true, subPath: app.yaml}
        - {name: token, mountPath: /var/run/secrets/tokens}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        stdin: false
        tty: false
      - name: grpc
        image: example/grpc
        readinessProbe: {grpc: {port: 9090, service: health}}
      volumes:
      - {name: tmp, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
      - name: cfg
        configMap:
          name: cfg
          defaultMode: 420
          items: [{key: app.yaml, path: app.yaml, mode: 256}]
      - {name: certs, secret: {secretName: certs, optional: true}}
      - {name: data, persistentVolumeClaim: {claimName: data}}
      - {name: host, hostPath: {path: /var/log, type: Directory}}
      - name: info
        downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      - name: token
        projected:
          defaultMode: 420
          sources:
          - serviceAccountToken: {audience: api, expirationSeconds: 3600, path: token}
          - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
          - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
      - {name: nfs, nfs: {server: nfs.example.com, path: /exports}}
      - name: scratch
        ephemeral:
          volumeClaimTemplate:
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
      - {name: drv, csi: {driver: secrets-store.csi.k8s.io, readOnly: true}}
status:
  observedGeneration: 1
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - type: Available
    status: "True"
    lastUpdateTime: "2024-01-01T00:00:00Z"
    lastTransitionTime: "2024-01-01T00:00:00Z"
    reason: MinimumReplicasAvailable
    message: Deployment has minimum availability.
"""

KUBECTL_STYLE = """
# kubectl create deployment web --image=nginx --port=80 -o yaml --dry-run=client
apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels: {app: web}
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels: {app: web}
    spec:
      containers:
      - image: nginx
        name: nginx
        ports: [{containerPort: 80}]
        resources: {}
status: {}
---
# kubectl create service clusterip web --tcp=80:8080 -o yaml --dry-run=client
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels: {app: web}
  name: web
spec:
  ports: [{name: 80-8080, port: 80, protocol: TCP, targetPort: 8080}]
  selector: {app: web}
  type: ClusterIP
status:
  loadBalancer: {}
---
# kubectl run p --image=busybox -o yaml --dry-run=client
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels: {run: p}
  name: p
spec:
  containers:
  - image: busybox
    name: p
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
---
# kubectl create role r --verb=get --resource=pods -o yaml --dry-run=client
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {creationTimestamp: null, name: r}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate: "true"}}]
rules: []
---
# kubectl create rolebinding rb --role=r --serviceaccount=default:sa -o yaml --dry-run=client
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {creationTimestamp: null, name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: ServiceAccount, name: sa, namespace: default}
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader, namespace: kube-system}
spec:
  holderIdentity: hub-1
  leaseDurationSeconds: 15
  acquireTime: "2024-01-01T00:00:00.000000Z"
  renewTime: "2024-01-01T00:00:10.000000Z"
  leaseTransitions: 2
---
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: cluster1-abcde}
spec:
  request: LS0tLS1CRUdJTg==
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [digital signature, key encipherment, client auth]
  username: system:bootstrap:abc
  groups: [system:bootstrappers]
  extra: {scopes: [a]}
status:
  conditions:
  - {type: Approved, status: "True", reason: AutoApproved, message: ok,
     lastUpdateTime: "2024-01-01T00:00:00Z", lastTransitionTime: "2024-01-01T00:00:00Z"}
  certificate: LS0tLS1CRUdJTg==
---
apiVersion: v1
kind: Event
metadata: {name: web.17a, namespace: default}
involvedObject: {kind: Deployment, namespace: default, name: web, apiVersion: apps/v1}
reason: ScalingReplicaSet
message: Scaled up
source: {component: deployment-controller}
firstTimestamp: "2024-01-01T00:00:00Z"
lastTimestamp: "2024-01-01T00:00:00Z"
count: 1
type: Normal
reportingComponent: deployment-controller
reportingInstance: ""
eventTime: null
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.17b, namespace: default}
eventTime: "2024-01-01T00:00:00.000000Z"
reportingController: ocm.io/registration
reportingInstance: hub-1
action: Accept
reason: Accepted
regarding: {kind: ManagedCluster, name: cluster1}
note: accepted
type: Normal
series: {count: 2, lastObservedTime: "2024-01-01T00:00:00.000000Z"}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.0.0.1, nodeName: n1, targetRef: {kind: Pod, name: web-1, namespace: d}}]
  notReadyAddresses: [{ip: 10.0.0.2}]
  ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv4]
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ports: [{name: https, port: 443, targetPort: https, nodePort: 30443, appProtocol: https}]
status:
  loadBalancer: {ingress: [{ip: 1.2.3.4, ipMode: VIP, ports: [{port: 443, protocol: TCP}]}]}
"""


def _kind(obj: dict[str, Any]) -> tuple[str, str]:
    group = obj["apiVersion"].rpartition("/")[0]
    return group, obj["kind"]


def test_a_deployment_using_every_common_pod_feature_passes() -> None:
    deployment = yaml.safe_load(FULL_DEPLOYMENT)
    assert _check(DEPLOYMENT, deployment) == []
    assert _check(POD, {"spec": deployment["spec"]["template"]["spec"]}) == []


@pytest.mark.parametrize(
    "obj", list(yaml.safe_load_all(KUBECTL_STYLE)), ids=lambda obj: obj["kind"]
)
def test_objects_as_kubectl_and_controllers_write_them_pass(obj: dict[str, Any]) -> None:
    assert _check(_kind(obj), obj) == []


def test_objects_from_the_kubernetes_python_client_pass() -> None:
    container = k8s.V1Container(
        name="app",
        image="nginx",
        env=[k8s.V1EnvVar(name="A", value="b")],
        resources=k8s.V1ResourceRequirements(limits={"cpu": "1"}),
        liveness_probe=k8s.V1Probe(http_get=k8s.V1HTTPGetAction(path="/", port=80)),
        security_context=k8s.V1SecurityContext(run_as_non_root=True),
        volume_mounts=[k8s.V1VolumeMount(name="v", mount_path="/v")],
    )
    deployment = k8s.V1Deployment(
        api_version="apps/v1",
        kind="Deployment",
        metadata=k8s.V1ObjectMeta(name="web", labels={"app": "web"}),
        spec=k8s.V1DeploymentSpec(
            replicas=1,
            selector=k8s.V1LabelSelector(match_labels={"app": "web"}),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels={"app": "web"}),
                spec=k8s.V1PodSpec(
                    containers=[container],
                    volumes=[k8s.V1Volume(name="v", empty_dir=k8s.V1EmptyDirVolumeSource())],
                    tolerations=[k8s.V1Toleration(key="k", operator="Exists")],
                ),
            ),
        ),
    )
    client = k8s.ApiClient()
    body = client.sanitize_for_serialization(deployment)  # type: ignore[no-untyped-call]  # untyped upstream
    assert _check(DEPLOYMENT, body) == []


TYPOS = [
    (
        DEPLOYMENT,
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "foo": 1}]}}}},
        "spec.template.spec.containers[0].foo",
    ),
    (("", "Service"), {"spec": {"foo": 1, "ports": [{"port": 80}]}}, "spec.foo"),
    (DEPLOYMENT, {"spec": {"replica": 1}}, "spec.replica"),
    (
        DEPLOYMENT,
        {"spec": {"template": {"metadata": {"label": {}}}}},
        "spec.template.metadata.label",
    ),
    (POD, {"spec": {"volumes": [{"name": "v", "emptydir": {}}]}}, "spec.volumes[0].emptydir"),
    (
        POD,
        {"spec": {"containers": [{"env": [{"name": "A", "valeu": "b"}]}]}},
        "spec.containers[0].env[0].valeu",
    ),
    ((RBAC, "Role"), {"rules": [{"verb": ["get"]}]}, "rules[0].verb"),
    ((RBAC, "RoleBinding"), {"roleRef": {"kind": "Role", "nmae": "r"}}, "roleRef.nmae"),
    (("coordination.k8s.io", "Lease"), {"spec": {"holder": "x"}}, "spec.holder"),
    (("certificates.k8s.io", "CertificateSigningRequest"), {"spec": {"signer": 1}}, "spec.signer"),
    (CRD, {"spec": {"versio": 1}}, "spec.versio"),
]


@pytest.mark.parametrize(("kind", "obj", "path"), TYPOS, ids=[typo[2] for typo in TYPOS])
def test_unknown_fields_are_reported_with_kubes_paths(
    kind: tuple[str, str], obj: dict[str, Any], path: str
) -> None:
    assert _check(kind, obj) == [path]


def test_open_parts_accept_any_field() -> None:
    pod = {
        "spec": {
            "affinity": {"nodeAffinity": {"anything": {"deep": 1}}},
            "volumes": [{"name": "v", "csi": {"driver": "d", "volumeAttributes": {"x": "y"}}}],
        },
        "status": {"containerStatuses": [{"name": "c", "state": {"running": {}}}]},
    }
    assert _check(POD, pod) == []
    crd_version = {"name": "v1", "schema": {"openAPIV3Schema": {"x-kubernetes-foo": True}}}
    crd = {"spec": {"versions": [crd_version]}}
    assert _check(CRD, crd) == []


def test_kubectl_apply_patches_are_checked_without_their_directives() -> None:
    patch: dict[str, Any] = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}],
                    "containers": [{"name": "app", "image": "nginx:2", "imagePullPolicy": None}],
                }
            }
        }
    }
    assert _check(DEPLOYMENT, patch, patch=True) == []
    patch["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    assert _check(DEPLOYMENT, patch, patch=True) == ["spec.template.spec.containers[0].imagePolicy"]


def test_a_json_patch_is_judged_by_the_fields_it_introduces() -> None:
    schema = BUILTIN_SCHEMAS[("", "Service")]
    before = {"spec": {"ports": [{"port": 80}]}, "legacy": 1}
    after = {"spec": {"ports": [{"port": 80, "prot": 1}], "foo": 2}, "legacy": 1}
    assert fieldvalidation.introduced_unknown_fields(schema, before, after) == [
        "spec.foo",
        "spec.ports[0].prot",
    ]
    assert fieldvalidation.introduced_unknown_fields(schema, before, before) == []


def test_a_json_patch_error_shows_the_patched_object_as_kube_does() -> None:
    error = errors.invalid_patched_object(
        {"spec": {"foo": 1}, "kind": "Service"}, 'strict decoding error: unknown field "spec.foo"'
    )
    assert error.code == 422
    patched_json = r"{\"kind\":\"Service\",\"spec\":{\"foo\":1}}"
    assert error.message == (
        f'"" is invalid: patch: Invalid value: "{patched_json}": '
        'strict decoding error: unknown field "spec.foo"'
    )


def _our_controllers_objects() -> list[dict[str, Any]]:
    """What the cluster-proxy add-on renders on the hub and, through ManifestWork, on spokes."""
    configuration = {
        "metadata": {"name": proxy.CONFIGURATION_NAME, "uid": "u", "generation": 1},
        "spec": {
            "authentication": {"signer": {"type": "SelfSigned"}},
            "proxyServer": {
                "image": "ocm/cluster-proxy:v1",
                "replicas": 2,
                "entrypoint": {"type": "PortForward", "port": 8091},
            },
            "proxyAgent": {"image": "ocm/cluster-proxy:v1", "replicas": 1},
        },
    }
    agent = agent_render.AgentInputs(
        cluster="c1",
        namespace="open-cluster-management-cluster-proxy",
        image="ocm/cluster-proxy:v1",
        replicas=1,
        server_host="proxy.hub.example",
        server_port=8091,
        ca_bundle_pem=b"-----BEGIN CERTIFICATE-----\n",
        exposure_yaml="services: []\n",
        image_pull_secrets=("pull",),
    )
    return [*hub_render.render(configuration), *agent_render.render(agent)]


def test_objects_our_controllers_render_pass() -> None:
    objects = _our_controllers_objects()
    assert {"Deployment", "Service", "Role", "RoleBinding"} <= {obj["kind"] for obj in objects}
    for obj in objects:
        assert _check(_kind(obj), obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"


def test_the_charts_crds_pass() -> None:
    crds = [
        doc
        for path in sorted(CHARTS.glob("*/crds/*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    assert len(crds) > 5
    for crd in crds:
        assert _check(CRD, crd) == [], crd["metadata"]["name"]
