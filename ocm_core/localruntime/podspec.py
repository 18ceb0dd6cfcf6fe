"""From a Deployment to the processes that stand in for its pods (pure: no I/O).

Rules, each a documented difference from a kubelet:
- only containers whose image repository is in `PROJECT_IMAGES` run; their first command word
  (or first arg, with no command) must be one of this project's console programs;
- Secret and ConfigMap volumes become files under the deployment's volume directory, and every
  arg or env value that starts with a mount path is rewritten to the local directory;
- a pod has no network namespace of its own here, so its declared `containerPort`s are remapped
  to free host ports (args naming a remapped port are rewritten) unless `hostNetwork: true`;
- there is no cluster DNS: the in-cluster API name (`kubernetes.default.svc`, port 443) in args,
  env values and mounted ConfigMap files is replaced by the API address the runtime itself uses
  (`Node.api_address`);
- the pod's service-account directory (`SERVICE_ACCOUNT_MOUNT`, see `serviceaccount`) is a local
  directory, named in args, env and mounted ConfigMaps like any mount, and `KUBECONFIG` points
  at the kubeconfig in it (nothing sets `KUBERNETES_SERVICE_HOST`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

#: Image repositories (tag ignored) that the local runtime runs; see docs/images.md.
PROJECT_IMAGES: Final = ("ghcr.io/ocm-python/ocm-cluster-proxy",)

#: `kubernetes`, `kubernetes.default`, `kubernetes.default.svc[.cluster.local]`, optional `:443`.
IN_CLUSTER_API: Final = re.compile(
    r"\bkubernetes(?:\.default(?:\.svc(?:\.cluster\.local)?)?)(?::443)?(?![\w.-])"
)

#: Where a kubelet mounts the pod's service-account token, CA and namespace.
SERVICE_ACCOUNT_MOUNT: Final = "/var/run/secrets/kubernetes.io/serviceaccount"

Object = Mapping[str, Any]
Lookup = Callable[[str, str], Object | None]
"""`(namespace, name) -> Secret or ConfigMap`, from an informer cache."""


class PlanError(ValueError):
    """The Deployment cannot run locally; the message says why (shown in its status)."""


@dataclass(frozen=True)
class Probe:
    port: int
    path: str


@dataclass(frozen=True)
class Node:
    """What every process of this runtime shares (the "node" it runs on)."""

    #: host:port of the API server the runtime uses; replaces the in-cluster API name.
    api_address: str | None = None

    #: Host directories handed to processes as they are, even below a mount path (the lab's
    #: data directory may live under /tmp, which pods mount as an emptyDir).
    host_paths: tuple[str, ...] = ()

    def local_path(self, value: str, mounts: Sequence[tuple[str, Path]]) -> str:
        _, _, path = value.partition("=") if value.startswith("-") else ("", "", value)
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.host_paths):
            return value
        return _rewrite(value, mounts)

    def rewrite(self, text: str) -> str:
        if self.api_address is None:
            return text
        return IN_CLUSTER_API.sub(self.api_address, text)


def node_for(server_url: str, host_paths: Sequence[str] = ()) -> Node:
    """The node of a runtime that reaches its API at `server_url`."""
    return Node(api_address=urlsplit(server_url).netloc or None, host_paths=tuple(host_paths))


HOST_PORT_FLAG: Final = re.compile(r"^([a-z0-9.-]+)/([a-z0-9.-]+):(\d+)=(\d+)$")


def parse_host_port(text: str) -> tuple[str, int, int]:
    """`namespace/deployment:containerPort=hostPort` -> (`namespace/deployment`, ports)."""
    match = HOST_PORT_FLAG.match(text)
    if match is None:
        raise ValueError(
            f"--host-port {text!r}: expected namespace/deployment:containerPort=hostPort, "
            "e.g. open-cluster-management-addon/cluster-proxy:8091=8091"
        )
    namespace, name, container_port, host_port = match.groups()
    return f"{namespace}/{name}", int(container_port), int(host_port)


@dataclass(frozen=True)
class ProcessPlan:
    """One container of one replica, ready to start."""

    container: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    readiness: Probe | None = None
    #: Files to write before start: absolute path -> content.
    files: Mapping[Path, bytes] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Changes when the process must restart (file contents are updated in place)."""
        payload = json.dumps([self.argv, sorted(self.env.items())])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def image_repository(image: str) -> str:
    without_digest = image.split("@", 1)[0]
    head, sep, tail = without_digest.rpartition(":")
    return head if sep and "/" not in tail else without_digest


def is_ours(deployment: Object, images: Sequence[str] = PROJECT_IMAGES) -> bool:
    return any(image_repository(c.get("image", "")) in images for c in _containers(deployment))


def _containers(deployment: Object) -> list[Object]:
    spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    return list(spec.get("containers") or [])


def pod_spec(deployment: Object) -> Object:
    return ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}


def declared_ports(deployment: Object, images: Sequence[str] = PROJECT_IMAGES) -> list[int]:
    """Container ports that need a host port of their own (empty with hostNetwork)."""
    if pod_spec(deployment).get("hostNetwork"):
        return []
    return [
        int(port["containerPort"])
        for c in _containers(deployment)
        if image_repository(c.get("image", "")) in images
        for port in c.get("ports") or []
        if "containerPort" in port
    ]


def plan(
    deployment: Object,
    *,
    replica: int,
    programs: Mapping[str, Sequence[str]],
    volume_root: Path,
    port_map: Mapping[int, int],
    secrets: Lookup,
    config_maps: Lookup,
    images: Sequence[str] = PROJECT_IMAGES,
    node: Node | None = None,
    service_account_dir: Path | None = None,
) -> list[ProcessPlan]:
    """The processes for replica `replica` of `deployment` (one per project container)."""
    node = node or Node()
    meta = deployment.get("metadata") or {}
    namespace, name = meta.get("namespace", "default"), meta.get("name", "")
    pod_name = f"{name}-local-{replica}"
    volumes = _volume_files(
        pod_spec(deployment), namespace, volume_root, secrets, config_maps, node,
        service_account_dir,
    )  # fmt: skip
    automount = [(SERVICE_ACCOUNT_MOUNT, service_account_dir)] if service_account_dir else []
    plans = []
    for container in _containers(deployment):
        if image_repository(container.get("image", "")) not in images:
            continue
        mounts = [*_mount_dirs(container, volume_root, volumes.directories), *automount]
        program, args = _program_and_args(container, programs)
        # Only the container's own words are pod paths: the program (this interpreter) is a host
        # path, which may well lie below a mount path such as an emptyDir at /tmp.
        args = [node.rewrite(node.local_path(_rewrite_ports(a, port_map), mounts)) for a in args]
        env = _env(container, namespace, pod_name, secrets, config_maps)
        env = {key: node.rewrite(node.local_path(value, mounts)) for key, value in env.items()}
        if service_account_dir is not None:
            env.setdefault("KUBECONFIG", str(service_account_dir / "kubeconfig"))
        plans.append(
            ProcessPlan(
                container=container.get("name", "main"),
                argv=(*program, *args),
                env=env,
                readiness=_readiness(container, port_map),
                files=volumes.files,
            )
        )
    if not plans:
        raise PlanError(f"no container of {namespace}/{name} uses an image of this project")
    return plans


# -- command line ----------------------------------------------------------------------------
def _program_and_args(
    container: Object, programs: Mapping[str, Sequence[str]]
) -> tuple[Sequence[str], list[str]]:
    """(the host argv that runs the container's program, the container's arguments)."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    if not words:
        raise PlanError(f"container {container.get('name')!r} has no command or args to run")
    program = words[0].rsplit("/", 1)[-1]
    if program not in programs:
        raise PlanError(
            f"container {container.get('name')!r} runs {words[0]!r}, which is not one of this "
            f"project's programs ({', '.join(sorted(programs))})"
        )
    return programs[program], words[1:]


_PORT_VALUE = re.compile(r"^(--[\w-]*port[\w-]*=)(\d+)$")


def _rewrite_ports(arg: str, port_map: Mapping[int, int]) -> str:
    """`--health-server-port=8093` -> the host port that stands in for 8093."""
    match = _PORT_VALUE.match(arg)
    if match and int(match.group(2)) in port_map:
        return f"{match.group(1)}{port_map[int(match.group(2))]}"
    if arg.isdigit() and int(arg) in port_map:
        return str(port_map[int(arg)])
    return arg


def _rewrite(value: str, mounts: Sequence[tuple[str, Path]]) -> str:
    prefix, sep, rest = value.partition("=") if value.startswith("-") else ("", "", value)
    for mount_path, local in mounts:
        if rest == mount_path or rest.startswith(mount_path.rstrip("/") + "/"):
            rest = str(local) + rest[len(mount_path.rstrip("/")) :]
            break
    return f"{prefix}{sep}{rest}"


# -- volumes ---------------------------------------------------------------------------------
@dataclass
class _Volumes:
    directories: dict[str, Path] = field(default_factory=dict)
    files: dict[Path, bytes] = field(default_factory=dict)


def _volume_files(
    spec: Object,
    namespace: str,
    root: Path,
    secrets: Lookup,
    config_maps: Lookup,
    node: Node,
    service_account_dir: Path | None,
) -> _Volumes:
    out = _Volumes()
    for volume in spec.get("volumes") or []:
        name = volume.get("name", "")
        directory = root / name
        out.directories[name] = directory
        for key, content in _volume_items(volume, namespace, secrets, config_maps).items():
            if "configMap" in volume:
                content = _rewrite_text(content, node, service_account_dir)
            out.files[directory / key] = content
    return out


def _volume_items(
    volume: Object, namespace: str, secrets: Lookup, config_maps: Lookup
) -> dict[str, bytes]:
    if "secret" in volume:
        source = volume["secret"]
        secret = secrets(namespace, source.get("secretName", ""))
        if secret is None:
            return _missing(source, "Secret", source.get("secretName", ""))
        data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
        data |= {k: v.encode() for k, v in (secret.get("stringData") or {}).items()}
        return _select(data, source.get("items"))
    if "configMap" in volume:
        source = volume["configMap"]
        config_map = config_maps(namespace, source.get("name", ""))
        if config_map is None:
            return _missing(source, "ConfigMap", source.get("name", ""))
        data = {k: v.encode() for k, v in (config_map.get("data") or {}).items()}
        data |= {k: base64.b64decode(v) for k, v in (config_map.get("binaryData") or {}).items()}
        return _select(data, source.get("items"))
    return {}  # emptyDir and friends: an empty directory


def _rewrite_text(content: bytes, node: Node, service_account_dir: Path | None) -> bytes:
    """ConfigMap text naming the in-cluster API or the service-account directory gets the
    local ones (a kubeconfig for the pod's own account, say); binary content is kept."""
    try:
        text = content.decode()
    except UnicodeDecodeError:
        return content
    if service_account_dir is not None:
        text = text.replace(SERVICE_ACCOUNT_MOUNT, str(service_account_dir))
    return node.rewrite(text).encode()


def _missing(source: Object, kind: str, name: str) -> dict[str, bytes]:
    if source.get("optional"):
        return {}
    raise PlanError(f"{kind} {name!r} is not there yet (the pod would wait for it)")


def _select(data: Mapping[str, bytes], items: Sequence[Object] | None) -> dict[str, bytes]:
    if not items:
        return dict(data)
    return {
        item.get("path", item["key"]): data[item["key"]] for item in items if item["key"] in data
    }


def _mount_dirs(
    container: Object, root: Path, directories: Mapping[str, Path]
) -> list[tuple[str, Path]]:
    mounts = [
        (m["mountPath"], directories.get(m["name"], root / m["name"]) / m.get("subPath", ""))
        for m in container.get("volumeMounts") or []
    ]
    return sorted(mounts, key=lambda pair: len(pair[0]), reverse=True)


# -- environment -----------------------------------------------------------------------------
def _env(
    container: Object, namespace: str, pod_name: str, secrets: Lookup, config_maps: Lookup
) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        env |= _env_from(source, namespace, secrets, config_maps)
    for item in container.get("env") or []:
        value = item.get("value")
        if value is None and "valueFrom" in item:
            value = _value_from(item["valueFrom"], namespace, pod_name, secrets, config_maps)
        if value is not None:
            env[item["name"]] = str(value)
    return env


def _env_from(
    source: Object, namespace: str, secrets: Lookup, config_maps: Lookup
) -> dict[str, str]:
    prefix = source.get("prefix", "")
    if "secretRef" in source:
        secret = secrets(namespace, source["secretRef"].get("name", "")) or {}
        data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    elif "configMapRef" in source:
        data = dict(
            (config_maps(namespace, source["configMapRef"].get("name", "")) or {}).get("data") or {}
        )
    else:
        data = {}
    return {prefix + k: v for k, v in data.items()}


def _value_from(
    ref: Object, namespace: str, pod_name: str, secrets: Lookup, config_maps: Lookup
) -> str | None:
    if "fieldRef" in ref:
        fields = {
            "metadata.namespace": namespace,
            "metadata.name": pod_name,
            "spec.nodeName": "local",
            "status.podIP": "127.0.0.1",
        }
        return fields.get(ref["fieldRef"].get("fieldPath", ""))
    if "secretKeyRef" in ref:
        key_ref = ref["secretKeyRef"]
        secret = secrets(namespace, key_ref.get("name", "")) or {}
        raw = (secret.get("data") or {}).get(key_ref.get("key", ""))
        return base64.b64decode(raw).decode() if raw is not None else None
    if "configMapKeyRef" in ref:
        key_ref = ref["configMapKeyRef"]
        config_map = config_maps(namespace, key_ref.get("name", "")) or {}
        value = (config_map.get("data") or {}).get(key_ref.get("key", ""))
        return str(value) if value is not None else None
    return None


def _readiness(container: Object, port_map: Mapping[int, int]) -> Probe | None:
    http = (container.get("readinessProbe") or {}).get("httpGet")
    if not http:
        return None
    port = http.get("port")
    if isinstance(port, str):
        named = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
        port = named.get(port)
    if not isinstance(port, int):
        return None
    return Probe(port=port_map.get(port, port), path=http.get("path", "/"))
