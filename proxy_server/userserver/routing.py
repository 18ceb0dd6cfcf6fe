"""The user-server URL grammar (upstream cluster-proxy, pure).

  /<cluster>/<kube-api-path>                         the cluster's kube-apiserver
  /<cluster>/api/v1/namespaces/<ns>/services/<[scheme:]name:port>/proxy-service/<path>
                                                     an exposed service of the cluster

HTTP CONNECT (ours): `CONNECT <name>.<ns>.<cluster>:<port>` opens a raw connection to an
exposed service, for programs that speak any protocol through an HTTP proxy.

As upstream, a service path is recognised by its 8th segment being `proxy-service`; the scheme
defaults to https and the port is required. Tunnel addresses are the agent identifiers:
`<cluster>:443` for the kube-apiserver, `<name>.<ns>.<cluster>:<port>` for a service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

SERVICE_MARKER: Final = "proxy-service"
SCHEMES: Final = ("http", "https")
DEFAULT_SCHEME: Final = "https"
KUBE_API_PORT: Final = 443
_DNS_LABEL: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN: Final = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class RouteError(ValueError):
    """The path does not follow the grammar; the message says what is wrong."""


@dataclass(frozen=True)
class KubeTarget:
    cluster: str
    #: The kube-apiserver path, e.g. `/api/v1/namespaces/x/pods`.
    path: str

    @property
    def address(self) -> str:
        return f"{self.cluster}:{KUBE_API_PORT}"


@dataclass(frozen=True)
class ServiceTarget:
    cluster: str
    namespace: str
    service: str
    port: int
    scheme: str
    #: The path on the service, e.g. `/healthz`.
    path: str

    @property
    def address(self) -> str:
        return f"{self.service}.{self.namespace}.{self.cluster}:{self.port}"

    @property
    def server_name(self) -> str:
        """The in-cluster DNS name an https service's certificate names."""
        return f"{self.service}.{self.namespace}.svc"


@dataclass(frozen=True)
class ConnectTarget:
    cluster: str
    namespace: str
    service: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.service}.{self.namespace}.{self.cluster}:{self.port}"


Target = KubeTarget | ServiceTarget


def parse_connect(authority: str) -> ConnectTarget:
    """Route a CONNECT request's `host:port` (`<name>.<ns>.<cluster>:<port>`)."""
    grammar = "CONNECT <service>.<namespace>.<cluster>:<port>, e.g. web.demo.cluster1:8080"
    host, sep, port = authority.rpartition(":")
    name, _, rest = host.partition(".")
    namespace, _, cluster = rest.partition(".")
    if not sep or not name or not namespace or not cluster:
        raise RouteError(f"{authority!r}: expected {grammar}")
    if not _DNS_LABEL.match(name) or not _DNS_LABEL.match(namespace):
        raise RouteError(f"{authority!r}: service and namespace must be DNS labels ({grammar})")
    if not _DNS_SUBDOMAIN.match(cluster) or len(cluster) > 253:
        raise RouteError(f"{authority!r}: {cluster!r} is not a valid cluster name")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RouteError(f"{authority!r}: the port must be a number 1-65535")
    return ConnectTarget(cluster=cluster, namespace=namespace, service=name, port=int(port))


def parse(path: str) -> Target:
    """Route a raw (still percent-encoded) request path."""
    segments = path.split("/")
    if len(segments) < 2 or not segments[1]:
        raise RouteError("the path must start with /<cluster>/, e.g. /cluster1/api/v1/pods")
    cluster = segments[1]
    if not _DNS_SUBDOMAIN.match(cluster) or len(cluster) > 253:
        raise RouteError(f"{cluster!r} is not a valid cluster name")
    if len(segments) > 8 and segments[8] == SERVICE_MARKER:
        return _service(cluster, segments)
    return KubeTarget(cluster=cluster, path="/" + "/".join(segments[2:]))


def _service(cluster: str, segments: list[str]) -> ServiceTarget:
    grammar = "/<cluster>/api/v1/namespaces/<ns>/services/<[scheme:]name:port>/proxy-service/"
    if segments[2:5] != ["api", "v1", "namespaces"] or segments[6] != "services":
        raise RouteError(f"a service path must look like {grammar}<path>")
    namespace, spec = segments[5], segments[7]
    if not _DNS_LABEL.match(namespace):
        raise RouteError(f"{namespace!r} is not a valid namespace name")
    parts = spec.split(":")
    if len(parts) == 3:
        scheme, name, port = parts
    elif len(parts) == 2:
        scheme, (name, port) = DEFAULT_SCHEME, parts
    else:
        raise RouteError(f"service {spec!r}: expected [scheme:]name:port, e.g. http:web:8080")
    if scheme not in SCHEMES:
        raise RouteError(f"service {spec!r}: scheme must be http or https")
    if not _DNS_LABEL.match(name):
        raise RouteError(f"service {spec!r}: {name!r} is not a valid service name")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RouteError(f"service {spec!r}: the port must be a number 1-65535")
    return ServiceTarget(
        cluster=cluster,
        namespace=namespace,
        service=name,
        port=int(port),
        scheme=scheme,
        path="/" + "/".join(segments[9:]),
    )
