"""Which services a cluster's proxy-agent exposes: ManagedProxyServiceResolvers plus the
exposed-services allow list, rendered as the agent's exposure file.

- A ManagedProxyServiceResolver (cluster-scoped) exposes `serviceRef{namespace, name}` on every
  cluster of `managedClusterSelector.managedClusterSet` (membership: the ManagedCluster label
  `cluster.open-cluster-management.io/clusterset`; the `global` set holds every cluster).
- The ConfigMap `cluster-proxy-exposed-services` (upstream format): every data key holds a
  YAML list of `{namespace, service, port?, protocol?}`; a missing port is any port. Parsing is
  strict: a bad entry raises `AllowListError` (the caller keeps the last good list).
Deny by default: nothing else is exposed. The file format is `proxy_agent.exposure`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from ocm_core.api import proxy
from ocm_core.api.cluster import CLUSTER_SET_LABEL, GLOBAL_CLUSTER_SET

EXPOSURE_FILE: Final = "exposure.yaml"
KUBE_APISERVER: Final = "kubernetes.default.svc:443"
_ALLOWED_FIELDS: Final = frozenset({"namespace", "service", "port", "protocol"})


class AllowListError(ValueError):
    """The allow-list ConfigMap is malformed; the message names the key and entry."""


@dataclass(frozen=True, order=True)
class ExposedService:
    namespace: str
    name: str
    port: int | None = None

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"namespace": self.namespace, "name": self.name}
        if self.port is not None:
            entry["port"] = self.port
        return entry


def parse_allow_list(configmap: Mapping[str, Any] | None) -> list[ExposedService]:
    """Services in the allow-list ConfigMap (None or no data: nothing)."""
    services: list[ExposedService] = []
    for key, text in sorted(((configmap or {}).get("data") or {}).items()):
        try:
            entries = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise AllowListError(f"{proxy.EXPOSED_SERVICES_CONFIGMAP}[{key}]: {exc}") from exc
        if not isinstance(entries, list):
            raise AllowListError(f"{proxy.EXPOSED_SERVICES_CONFIGMAP}[{key}]: expected a list")
        for index, entry in enumerate(entries):
            services.append(
                _allow_entry(entry, f"{proxy.EXPOSED_SERVICES_CONFIGMAP}[{key}][{index}]")
            )
    return services


def _allow_entry(entry: Any, where: str) -> ExposedService:
    if not isinstance(entry, dict):
        raise AllowListError(f"{where}: expected a mapping with namespace and service")
    unknown = set(entry) - _ALLOWED_FIELDS
    if unknown:
        raise AllowListError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    namespace, service, port = entry.get("namespace"), entry.get("service"), entry.get("port")
    if (
        not isinstance(namespace, str)
        or not namespace
        or not isinstance(service, str)
        or not service
    ):
        raise AllowListError(f"{where}: 'namespace' and 'service' are required strings")
    if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
        raise AllowListError(f"{where}: 'port' must be 1-65535")
    return ExposedService(namespace, service, port)


def cluster_sets_of(cluster: Mapping[str, Any]) -> set[str]:
    labels = (cluster.get("metadata") or {}).get("labels") or {}
    sets = {GLOBAL_CLUSTER_SET}
    if labels.get(CLUSTER_SET_LABEL):
        sets.add(str(labels[CLUSTER_SET_LABEL]))
    return sets


def resolver_services(
    cluster: Mapping[str, Any], resolvers: Iterable[Mapping[str, Any]]
) -> list[ExposedService]:
    """Services the resolvers expose on `cluster`."""
    sets = cluster_sets_of(cluster)
    found = []
    for resolver in resolvers:
        spec = resolver.get("spec") or {}
        selector = spec.get("managedClusterSelector") or {}
        wanted_set = (selector.get("managedClusterSet") or {}).get("name")
        ref = (spec.get("serviceSelector") or {}).get("serviceRef") or {}
        if wanted_set in sets and ref.get("namespace") and ref.get("name"):
            found.append(ExposedService(str(ref["namespace"]), str(ref["name"])))
    return found


def exposure_document(cluster_name: str, services: Iterable[ExposedService]) -> str:
    """The agent's exposure file: the kube-apiserver plus `services`, deduplicated, sorted."""
    document = {
        "cluster": cluster_name,
        "kubeApiServer": KUBE_APISERVER,
        "services": [s.as_entry() for s in sorted(set(services))],
    }
    return yaml.safe_dump(document, sort_keys=True)
