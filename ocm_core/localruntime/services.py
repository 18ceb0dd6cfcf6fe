"""The lab cluster's Service map: which local address each `<svc>.<ns>.svc:<port>` leads to.

A lab cluster has no pod network, cluster DNS or kube-proxy: the local runtime runs pods as
processes on host ports it picks. It therefore plays the endpoints controller and DNS too:
for every Service with a selector, each ready local replica of a Deployment whose pod labels
match the selector is an endpoint (`127.0.0.1:<host port standing in for the targetPort>`).
(The in-cluster API name is handled apart: the runtime rewrites it to its API's address.)

The runtime writes the map as JSON (format: `proxy_agent.servicemap`, which reads it) and
names the file to every process it starts in `$OCM_LOCAL_SERVICE_MAP`. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.localruntime import podspec

#: Set for every process the local runtime starts (read by `proxy-agent --service-map-file`).
SERVICE_MAP_ENV: Final = "OCM_LOCAL_SERVICE_MAP"
SERVICE_MAP_FILE: Final = "services.json"
LOOPBACK: Final = "127.0.0.1"

Object = Mapping[str, Any]


@dataclass(frozen=True)
class LocalPods:
    """One Deployment the runtime runs: its object and the host ports of its ready replicas."""

    deployment: Object
    #: Per ready replica: container port -> host port (empty with hostNetwork).
    ready_port_maps: Sequence[Mapping[int, int]]


def service_map(services: Iterable[Object], pods: Iterable[LocalPods]) -> dict[str, list[str]]:
    """`<svc>.<ns>.svc:<port>` -> ready local endpoints, for every Service with a selector."""
    pods = list(pods)
    mapping: dict[str, list[str]] = {}
    for service in services:
        meta = service.get("metadata") or {}
        spec = service.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector:
            continue  # no selector: endpoints are managed by hand, nothing local to point at
        namespace = meta.get("namespace", "default")
        matching = [p for p in pods if _selected(p.deployment, namespace, selector)]
        for port in spec.get("ports") or []:
            key = f"{meta.get('name')}.{namespace}.svc:{port.get('port')}"
            mapping[key] = [address for local in matching for address in _endpoints(local, port)]
    return mapping


def render(mapping: Mapping[str, Sequence[str]]) -> str:
    return json.dumps({"services": dict(sorted(mapping.items()))}, indent=2) + "\n"


def _selected(deployment: Object, namespace: str, selector: Mapping[str, str]) -> bool:
    meta = deployment.get("metadata") or {}
    if meta.get("namespace", "default") != namespace:
        return False
    template = (deployment.get("spec") or {}).get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in selector.items())


def _endpoints(local: LocalPods, service_port: Object) -> list[str]:
    container_port = _container_port(local.deployment, service_port)
    if container_port is None:
        return []
    return [
        f"{LOOPBACK}:{port_map.get(container_port, container_port)}"
        for port_map in local.ready_port_maps
    ]


def _container_port(deployment: Object, service_port: Object) -> int | None:
    """The container port a Service port's `targetPort` (number, name, or absent) names."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in podspec.pod_spec(deployment).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and "containerPort" in port:
                return int(port["containerPort"])
    return None
