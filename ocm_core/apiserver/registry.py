"""The registry of served kinds: group/version/resource <-> kind, scope, verbs, subresources.

It holds the built-in kinds and the kinds that CustomResourceDefinitions add; the CRD handling
in :mod:`ocm_core.apiserver.operations` calls :meth:`Registry.add_crd`/``remove_crd`` so a CRD
is served the moment it is stored. One *storage key* per group+resource: every served version of
a kind shares it, and objects are stored in the storage version (converted on the way in/out
by the :class:`Converters` hooks). Pure data; no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

STANDARD_VERBS: Final = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
STATUS: Final = "status"
SCALE: Final = "scale"
APPROVAL: Final = "approval"
FINALIZE: Final = "finalize"
CRD_GROUP: Final = "apiextensions.k8s.io"
CRD_RESOURCE: Final = "customresourcedefinitions"


class NameRule(Enum):
    """Which kube name validation applies to ``metadata.name``."""

    DNS1123_SUBDOMAIN = "subdomain"
    DNS1123_LABEL = "label"
    DNS1035_LABEL = "label1035"
    PATH_SEGMENT = "segment"


@dataclass(frozen=True)
class PrinterColumn:
    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ScalePaths:
    """Where a kind keeps its replica counts (CRD ``subresources.scale`` shape)."""

    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str | None = None


@dataclass(frozen=True)
class ResourceInfo:
    """One served group/version/resource."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    singular: str = ""
    list_kind: str = ""
    verbs: tuple[str, ...] = STANDARD_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    #: Built-in kinds accept strategic merge patch; custom resources answer 415.
    strategic_merge: bool = True
    name_rule: NameRule = NameRule.DNS1123_SUBDOMAIN
    printer_columns: tuple[PrinterColumn, ...] = ()
    scale: ScalePaths | None = None
    storage_version: str = ""
    #: Set for kinds a CRD defines (value: the CRD's name).
    crd_name: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> str:
        return f"{self.group or 'core'}/{self.resource}"

    @property
    def storage_api_version(self) -> str:
        version = self.storage_version or self.version
        return f"{self.group}/{version}" if self.group else version


@dataclass(frozen=True)
class GroupVersions:
    name: str
    versions: tuple[str, ...]
    preferred: str


Converter = Callable[[dict[str, Any], str], dict[str, Any]]
"""``(object, target apiVersion) -> object in that version``; must not mutate its input."""


def rewrite_api_version(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The default converter: versions differ only in name."""
    converted = copy.copy(obj)
    converted["apiVersion"] = api_version
    return converted


class Converters:
    """Conversion hooks per (group, kind); identity with an apiVersion rewrite by default."""

    def __init__(self) -> None:
        self._hooks: dict[tuple[str, str], Converter] = {}

    def register(self, group: str, kind: str, converter: Converter) -> None:
        self._hooks[(group, kind)] = converter

    def convert(
        self, obj: dict[str, Any], group: str, kind: str, api_version: str
    ) -> dict[str, Any]:
        if obj.get("apiVersion") == api_version:
            return obj
        return self._hooks.get((group, kind), rewrite_api_version)(obj, api_version)


def _info(
    group: str,
    version: str,
    resource: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: Iterable[str] = (),
    categories: tuple[str, ...] = (),
    name_rule: NameRule = NameRule.DNS1123_SUBDOMAIN,
    columns: tuple[PrinterColumn, ...] = (),
    scale: ScalePaths | None = None,
) -> ResourceInfo:
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        list_kind=f"{kind}List",
        short_names=short,
        subresources=frozenset(sub),
        categories=categories,
        name_rule=name_rule,
        printer_columns=columns,
        scale=scale,
        storage_version=version,
    )


RBAC: Final = "rbac.authorization.k8s.io"
DEPLOYMENT_SCALE: Final = ScalePaths(label_selector=".spec.selector")


def builtin_resources() -> list[ResourceInfo]:
    """The kinds every server serves before any CRD exists."""
    segment = NameRule.PATH_SEGMENT
    return [
        _info(
            "",
            "v1",
            "namespaces",
            "Namespace",
            namespaced=False,
            short=("ns",),
            sub=(STATUS, FINALIZE),
            name_rule=NameRule.DNS1123_LABEL,
            columns=(PrinterColumn("Status", "string", ".status.phase"),),
        ),
        _info("", "v1", "configmaps", "ConfigMap", short=("cm",)),
        _info("", "v1", "secrets", "Secret", columns=(PrinterColumn("Type", "string", ".type"),)),
        _info("", "v1", "serviceaccounts", "ServiceAccount", short=("sa",)),
        _info(
            "",
            "v1",
            "services",
            "Service",
            short=("svc",),
            sub=(STATUS,),
            categories=("all",),
            name_rule=NameRule.DNS1035_LABEL,
            columns=(
                PrinterColumn("Type", "string", ".spec.type"),
                PrinterColumn("Cluster-IP", "string", ".spec.clusterIP"),
            ),
        ),
        _info("", "v1", "endpoints", "Endpoints", short=("ep",)),
        _info("", "v1", "events", "Event", short=("ev",)),
        _info(
            "",
            "v1",
            "pods",
            "Pod",
            short=("po",),
            sub=(STATUS,),
            categories=("all",),
            columns=(PrinterColumn("Status", "string", ".status.phase"),),
        ),
        _info("events.k8s.io", "v1", "events", "Event", short=("ev",)),
        _info(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            short=("deploy",),
            sub=(STATUS, SCALE),
            categories=("all",),
            scale=DEPLOYMENT_SCALE,
            columns=(
                PrinterColumn("Ready", "integer", ".status.readyReplicas"),
                PrinterColumn("Up-to-date", "integer", ".status.updatedReplicas"),
                PrinterColumn("Available", "integer", ".status.availableReplicas"),
            ),
        ),
        _info(
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            short=("rs",),
            sub=(STATUS, SCALE),
            categories=("all",),
            scale=DEPLOYMENT_SCALE,
        ),
        _info("coordination.k8s.io", "v1", "leases", "Lease"),
        _info(
            "certificates.k8s.io",
            "v1",
            "certificatesigningrequests",
            "CertificateSigningRequest",
            namespaced=False,
            short=("csr",),
            sub=(STATUS, APPROVAL),
            columns=(
                PrinterColumn("SignerName", "string", ".spec.signerName"),
                PrinterColumn("Requestor", "string", ".spec.username"),
            ),
        ),
        _info(RBAC, "v1", "roles", "Role", name_rule=segment),
        _info(RBAC, "v1", "rolebindings", "RoleBinding", name_rule=segment),
        _info(RBAC, "v1", "clusterroles", "ClusterRole", namespaced=False, name_rule=segment),
        _info(
            RBAC,
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            namespaced=False,
            name_rule=segment,
        ),
        _info(
            CRD_GROUP,
            "v1",
            CRD_RESOURCE,
            "CustomResourceDefinition",
            namespaced=False,
            short=("crd", "crds"),
            sub=(STATUS,),
            columns=(PrinterColumn("Created At", "date", ".metadata.creationTimestamp"),),
        ),
    ]


class CRDError(ValueError):
    """A CustomResourceDefinition that cannot be served; the message names the field."""


def _crd_columns(version: Mapping[str, Any]) -> tuple[PrinterColumn, ...]:
    return tuple(
        PrinterColumn(
            name=str(col.get("name", "")),
            type=str(col.get("type", "string")),
            json_path=str(col.get("jsonPath", "")),
            description=str(col.get("description", "")),
            priority=int(col.get("priority", 0)),
            format=str(col.get("format", "")),
        )
        for col in version.get("additionalPrinterColumns") or ()
    )


def _crd_scale(version: Mapping[str, Any]) -> ScalePaths | None:
    scale = (version.get("subresources") or {}).get("scale")
    if scale is None:
        return None
    return ScalePaths(
        spec_replicas=scale.get("specReplicasPath", ".spec.replicas"),
        status_replicas=scale.get("statusReplicasPath", ".status.replicas"),
        label_selector=scale.get("labelSelectorPath"),
    )


def resources_from_crd(crd: Mapping[str, Any]) -> list[ResourceInfo]:
    """One ResourceInfo per served version of a CRD; raises CRDError when it is unusable."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not group or not plural or not kind:
        raise CRDError("spec.group, spec.names.plural and spec.names.kind are required")
    expected = f"{plural}.{group}"
    if crd.get("metadata", {}).get("name") != expected:
        raise CRDError(f'metadata.name must be "{expected}" (spec.names.plural + "." + spec.group)')
    versions = spec.get("versions") or []
    storage = [v["name"] for v in versions if v.get("storage")]
    if len(storage) != 1:
        raise CRDError("exactly one of spec.versions must have storage: true")
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise CRDError('spec.scope must be "Namespaced" or "Cluster"')
    infos = []
    for version in versions:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        infos.append(
            ResourceInfo(
                group=group,
                version=version["name"],
                resource=plural,
                kind=kind,
                namespaced=scope == "Namespaced",
                singular=names.get("singular") or kind.lower(),
                list_kind=names.get("listKind") or f"{kind}List",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=frozenset(k for k in (STATUS, SCALE) if k in subresources),
                strategic_merge=False,
                printer_columns=_crd_columns(version),
                scale=_crd_scale(version),
                storage_version=storage[0],
                crd_name=expected,
            )
        )
    return infos


@dataclass
class Registry:
    """Mutable index of served resources; ``revision`` changes whenever the set changes."""

    converters: Converters = field(default_factory=Converters)
    revision: int = 0
    _by_gvr: dict[tuple[str, str, str], ResourceInfo] = field(default_factory=dict)

    @classmethod
    def with_builtins(cls) -> Registry:
        registry = cls()
        for info in builtin_resources():
            registry.add(info)
        return registry

    def add(self, info: ResourceInfo) -> None:
        self._by_gvr[(info.group, info.version, info.resource)] = info
        self.revision += 1

    def lookup(self, group: str, version: str, resource: str) -> ResourceInfo | None:
        return self._by_gvr.get((group, version, resource))

    def all(self) -> list[ResourceInfo]:
        return list(self._by_gvr.values())

    def resources_in(self, group: str, version: str) -> list[ResourceInfo]:
        return [i for i in self._by_gvr.values() if i.group == group and i.version == version]

    def groups(self) -> list[GroupVersions]:
        """Non-core groups with their versions, preferred = the storage version."""
        found: dict[str, list[ResourceInfo]] = {}
        for info in self._by_gvr.values():
            if info.group:
                found.setdefault(info.group, []).append(info)
        result = []
        for name, infos in found.items():
            versions = tuple(dict.fromkeys(i.version for i in infos))
            preferred = (
                infos[0].storage_version if infos[0].storage_version in versions else versions[0]
            )
            result.append(GroupVersions(name, versions, preferred))
        return result

    def by_storage_key(self, key: str) -> ResourceInfo | None:
        """The storage-version ResourceInfo of a storage key."""
        for info in self._by_gvr.values():
            if info.storage_key == key and info.version == (info.storage_version or info.version):
                return info
        return None

    def validate_crd(self, crd: Mapping[str, Any]) -> list[ResourceInfo]:
        """The kinds a CRD would serve; CRDError if it is malformed or shadows a built-in."""
        infos = resources_from_crd(crd)
        if not infos:
            raise CRDError("at least one version must be served")
        for info in infos:
            existing = self.lookup(info.group, info.version, info.resource)
            if existing is not None and not existing.crd_name:
                raise CRDError(f"{info.resource}.{info.group} is a built-in resource")
        return infos

    def add_crd(self, crd: Mapping[str, Any]) -> list[ResourceInfo]:
        """Serve (or re-serve, after an update) the versions of a CRD."""
        infos = self.validate_crd(crd)
        self.remove_crd(crd["metadata"]["name"])
        for info in infos:
            self.add(info)
        return infos

    def remove_crd(self, crd_name: str) -> list[ResourceInfo]:
        removed = [i for i in self._by_gvr.values() if i.crd_name == crd_name]
        for info in removed:
            del self._by_gvr[(info.group, info.version, info.resource)]
        if removed:
            self.revision += 1
        return removed
