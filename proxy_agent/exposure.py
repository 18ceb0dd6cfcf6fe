"""Deny-by-default exposure: which in-cluster targets this agent may dial, under which names.

Pure except `load_file`. An `Exposure` answers two questions:
  * which host identifiers to advertise to the server (`identifiers()`), and
  * what real address a requested `host:port` maps to (`resolve()`), refusing anything else.

Requested names that resolve:
  <cluster>:<any port>                   the cluster's kube-apiserver (if configured)
  <service>.<namespace>.<cluster>:<port> an exposed service (our readable identifier)
  <service>.<namespace>[.svc[.cluster.local]]:<port>  the same service by its in-cluster name

File format (YAML), reloaded on change:
  cluster: c1
  kubeApiServer: kubernetes.default.svc:443
  services:
    - {namespace: shop, name: api, port: 8080}
    - {namespace: shop, name: db, port: 5432, target: 10.0.0.7:5432}   # explicit address
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from protos.tunnel import AgentIdentifiers, DialRefusedError, host_of


class ExposureError(ValueError):
    """The exposure configuration is invalid; the message says where and why."""


@dataclass(frozen=True)
class ExposedService:
    namespace: str
    name: str
    #: None exposes every port of the service.
    port: int | None = None
    #: Real address to dial; default `<name>.<namespace>.svc:<port>`.
    target: str | None = None

    def address_for(self, port: int) -> str:
        return self.target or f"{self.name}.{self.namespace}.svc:{port}"

    def identifier(self, cluster: str) -> str:
        return f"{self.name}.{self.namespace}.{cluster}"


@dataclass(frozen=True)
class Exposure:
    cluster: str
    kube_apiserver: str | None = None
    services: tuple[ExposedService, ...] = ()
    extra_identifiers: AgentIdentifiers = field(default_factory=AgentIdentifiers)

    def identifiers(self) -> AgentIdentifiers:
        hosts = [self.cluster] if self.kube_apiserver else []
        hosts += [s.identifier(self.cluster) for s in self.services]
        extra = self.extra_identifiers
        return AgentIdentifiers(
            hosts=tuple(dict.fromkeys(hosts + list(extra.hosts))),
            ipv4=extra.ipv4,
            ipv6=extra.ipv6,
            cidrs=extra.cidrs,
            default_route=extra.default_route,
        )

    def resolve(self, address: str) -> str:
        """The address to dial for `address`, or DialRefusedError saying why not."""
        host = host_of(address)
        port_text = address.rpartition(":")[2]
        if not port_text.isdigit():
            raise DialRefusedError(f"dial address {address!r} must be host:port")
        port = int(port_text)
        if host == self.cluster and self.kube_apiserver:
            return self.kube_apiserver
        service = self._find(host)
        if service is None:
            raise DialRefusedError(
                f"{address} is not exposed by the agent of cluster {self.cluster!r} "
                "(deny by default: add it to the agent's exposure list)"
            )
        if service.port is not None and service.port != port:
            raise DialRefusedError(
                f"port {port} of {service.namespace}/{service.name} is not exposed "
                f"(exposed: {service.port})"
            )
        return service.address_for(port)

    def _find(self, host: str) -> ExposedService | None:
        for service in self.services:
            base = f"{service.name}.{service.namespace}"
            if host in (
                service.identifier(self.cluster),
                base,
                f"{base}.svc",
                f"{base}.svc.cluster.local",
            ):
                return service
        return None


def parse_service_flag(text: str) -> ExposedService:
    """`name.namespace[:port][=target]`, e.g. `api.shop:8080=127.0.0.1:9000`."""
    spec, _, target = text.partition("=")
    name_ns, _, port = spec.partition(":")
    name, dot, namespace = name_ns.partition(".")
    if not dot or not name or not namespace or "." in namespace:
        raise ExposureError(f"--expose {text!r}: expected name.namespace[:port][=host:port]")
    if port and not port.isdigit():
        raise ExposureError(f"--expose {text!r}: port {port!r} is not a number")
    return ExposedService(
        namespace=namespace, name=name, port=int(port) if port else None, target=target or None
    )


def from_mapping(data: Any, *, source: str) -> Exposure:
    if not isinstance(data, dict):
        raise ExposureError(f"{source}: expected a mapping with cluster and services")
    cluster = data.get("cluster")
    if not isinstance(cluster, str) or not cluster:
        raise ExposureError(f"{source}: 'cluster' must be a non-empty string")
    raw_services = data.get("services") or []
    if not isinstance(raw_services, list):
        raise ExposureError(f"{source}: 'services' must be a list")
    services = tuple(
        _service(entry, f"{source}: services[{i}]") for i, entry in enumerate(raw_services)
    )
    kube = data.get("kubeApiServer")
    if kube is not None and not isinstance(kube, str):
        raise ExposureError(f"{source}: 'kubeApiServer' must be host:port")
    return Exposure(cluster=cluster, kube_apiserver=kube, services=services)


def _service(entry: Any, where: str) -> ExposedService:
    if not isinstance(entry, dict):
        raise ExposureError(f"{where}: expected a mapping with namespace and name")
    unknown = set(entry) - {"namespace", "name", "port", "target"}
    if unknown:
        raise ExposureError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    namespace, name, port = entry.get("namespace"), entry.get("name"), entry.get("port")
    if not isinstance(namespace, str) or not isinstance(name, str) or not namespace or not name:
        raise ExposureError(f"{where}: 'namespace' and 'name' are required strings")
    if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
        raise ExposureError(f"{where}: 'port' must be 1-65535")
    target = entry.get("target")
    if target is not None and not isinstance(target, str):
        raise ExposureError(f"{where}: 'target' must be host:port")
    return ExposedService(namespace=namespace, name=name, port=port, target=target)


def load_file(path: Path) -> Exposure:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ExposureError(f"{path}: {exc}") from exc
    return from_mapping(data, source=str(path))
