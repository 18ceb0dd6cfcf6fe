"""Pure rules about the manifests of one ManifestWork: identity, apply order, the matching
`manifestConfigs` entry, ownership and what an update must change.

Nothing here does I/O. The agent reads a manifest through `Manifest`, finds its settings with
`config_for`, sorts with `apply_order` (upstream's kind ranks; spec order kept for ties and in
status ordinals) and decides what a write is with `desired_for_update` / `matches_live`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.api import work
from ocm_core.api.gvr import Resource

Object = dict[str, Any]

_KIND_RANKS: Final[tuple[frozenset[str], ...]] = (
    frozenset(
        {"Namespace", "CustomResourceDefinition", "PriorityClass", "StorageClass"}
        | {"PersistentVolume"}
    ),
    frozenset({"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}),
    frozenset(
        {"ServiceAccount", "NetworkPolicy", "ResourceQuota", "LimitRange"} | {"PodDisruptionBudget"}
    ),
    frozenset({"Secret", "ConfigMap", "PersistentVolumeClaim"}),
    frozenset({"Service"}),
    frozenset(
        {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
        | {"ReplicationController"}
    ),
    frozenset(
        {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService"}
        | {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    ),
)
RBAC_GROUP: Final = "rbac.authorization.k8s.io"
RBAC_KINDS: Final = _KIND_RANKS[1]
"""Kinds whose creation can escalate privileges: an executor also gets an impersonated dry-run."""
_UNKNOWN_RANK: Final = len(_KIND_RANKS)
_METADATA_KEYS_MERGED: Final = ("labels", "annotations")
_NOT_SPEC: Final = frozenset({"apiVersion", "kind", "metadata", "status"})


@dataclass(frozen=True, slots=True)
class Manifest:
    """One entry of ``spec.workload.manifests`` with its position in the spec."""

    ordinal: int
    body: Object

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion") or "")

    @property
    def kind(self) -> str:
        return str(self.body.get("kind") or "")

    @property
    def group(self) -> str:
        group, _, _ = self.api_version.rpartition("/")
        return group

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str((self.body.get("metadata") or {}).get("namespace") or "")

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def manifests_of(manifest_work: Mapping[str, Any]) -> list[Manifest]:
    """The work's manifests in spec order (non-objects are skipped: the hub guard refuses them)."""
    raw = ((manifest_work.get("spec") or {}).get("workload") or {}).get("manifests") or []
    return [Manifest(i, body) for i, body in enumerate(raw) if isinstance(body, dict)]


def kind_rank(kind: str) -> int:
    for rank, kinds in enumerate(_KIND_RANKS):
        if kind in kinds:
            return rank
    return _UNKNOWN_RANK


def apply_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Namespaces and CRDs first, webhooks last, unknown kinds after all; stable."""
    return sorted(manifests, key=lambda m: kind_rank(m.kind))


def is_rbac(manifest: Manifest) -> bool:
    return manifest.group == RBAC_GROUP and manifest.kind in RBAC_KINDS


def target_namespace(manifest: Manifest, resource: Resource) -> str | None:
    """Where the object lives: its namespace for namespaced kinds (``default`` when unset,
    as kubectl does), None for cluster-scoped ones."""
    if not resource.namespaced:
        return None
    return manifest.namespace or "default"


# -- manifestConfigs -----------------------------------------------------------------------


def config_for(
    manifest_work: Mapping[str, Any], resource: Resource, namespace: str | None, name: str
) -> Mapping[str, Any]:
    """The ``manifestConfigs`` entry whose resourceIdentifier names this object, or ``{}``."""
    for config in (manifest_work.get("spec") or {}).get("manifestConfigs") or []:
        ident = config.get("resourceIdentifier") or {}
        if (
            ident.get("group", "") == resource.group
            and ident.get("resource") == resource.plural
            and ident.get("name") == name
            and (ident.get("namespace") or "") == (namespace or "")
        ):
            return dict(config)
    return {}


@dataclass(frozen=True, slots=True)
class UpdateStrategy:
    type: str = work.UPDATE_STRATEGY_UPDATE
    field_manager: str = work.DEFAULT_FIELD_MANAGER
    force: bool = False


def update_strategy(config: Mapping[str, Any]) -> UpdateStrategy:
    raw = config.get("updateStrategy") or {}
    ssa = raw.get("serverSideApply") or {}
    return UpdateStrategy(
        type=str(raw.get("type") or work.UPDATE_STRATEGY_UPDATE),
        field_manager=str(ssa.get("fieldManager") or work.DEFAULT_FIELD_MANAGER),
        force=bool(ssa.get("force", False)),
    )


# -- ownership -----------------------------------------------------------------------------


def owner_reference(applied_work: Mapping[str, Any]) -> Object:
    """The (non-controller) ownerReference every applied object gets."""
    metadata = applied_work.get("metadata") or {}
    return {
        "apiVersion": f"{work.GROUP}/{work.VERSION}",
        "kind": work.APPLIED_MANIFEST_WORK_KIND,
        "name": metadata.get("name"),
        "uid": metadata.get("uid"),
    }


@dataclass(frozen=True, slots=True)
class Ownership:
    """Our ownerReference and whether the object should carry it (not when orphaned)."""

    reference: Object
    owned: bool = True

    @property
    def uid(self) -> str:
        return str(self.reference.get("uid") or "")

    def apply(self, refs: Sequence[Mapping[str, Any]]) -> list[Object]:
        if self.owned:
            return owner_refs_with(refs, self.reference)
        return owner_refs_without(refs, self.uid)


def owner_refs_with(refs: Sequence[Mapping[str, Any]], owner: Mapping[str, Any]) -> list[Object]:
    kept = [dict(r) for r in refs if r.get("uid") != owner.get("uid")]
    return [*kept, dict(owner)]


def owner_refs_without(refs: Sequence[Mapping[str, Any]], owner_uid: str) -> list[Object]:
    return [dict(r) for r in refs if r.get("uid") != owner_uid]


def is_owned_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == owner_uid for r in refs)


# -- updates -------------------------------------------------------------------------------


def matches_live(wanted: Any, live: Any) -> bool:
    """True when every field set in ``wanted`` has the same value in ``live`` (extra fields in
    ``live``, e.g. server defaults, do not count): apimachinery's semantic DeepDerivative."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(matches_live(v, live.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(wanted) != len(live):
            return False
        return all(matches_live(w, v) for w, v in zip(wanted, live, strict=True))
    return bool(wanted == live)


def desired_for_update(live: Mapping[str, Any], manifest: Manifest, owner: Ownership) -> Object:
    """The object an Update writes: the live object with the manifest's top-level fields
    replaced, its labels and annotations merged in, our ownerRef set as ``owner`` says,
    finalizers kept."""
    desired = copy.deepcopy(dict(live))
    for key, value in manifest.body.items():
        if key not in _NOT_SPEC:
            desired[key] = copy.deepcopy(value)
    metadata = desired.setdefault("metadata", {})
    wanted_meta = manifest.body.get("metadata") or {}
    for key in _METADATA_KEYS_MERGED:
        if wanted_meta.get(key):
            metadata[key] = {**(metadata.get(key) or {}), **wanted_meta[key]}
    metadata["ownerReferences"] = owner.apply(metadata.get("ownerReferences") or [])
    if not metadata["ownerReferences"]:
        del metadata["ownerReferences"]
    return desired


def desired_for_create(manifest: Manifest, namespace: str | None, owner: Ownership) -> Object:
    body = copy.deepcopy(manifest.body)
    body.pop("status", None)
    metadata = body.setdefault("metadata", {})
    if namespace:
        metadata["namespace"] = namespace
    refs = owner.apply(metadata.get("ownerReferences") or [])
    if refs:
        metadata["ownerReferences"] = refs
    return body


def needs_update(live: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    live_meta = live.get("metadata") or {}
    desired_meta = desired.get("metadata") or {}
    for key in (*_METADATA_KEYS_MERGED, "ownerReferences"):
        if (live_meta.get(key) or None) != (desired_meta.get(key) or None):
            return True
    return any(
        not matches_live(value, live.get(key))
        for key, value in desired.items()
        if key not in _NOT_SPEC
    )


# -- applied resources and deletion --------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class AppliedResource:
    """One entry of an AppliedManifestWork's ``status.appliedResources``."""

    group: str
    version: str
    resource: str
    namespace: str
    name: str
    uid: str

    def to_status(self) -> Object:
        return {
            "group": self.group,
            "version": self.version,
            "resource": self.resource,
            "namespace": self.namespace,
            "name": self.name,
            "uid": self.uid,
        }

    @classmethod
    def from_status(cls, raw: Mapping[str, Any]) -> AppliedResource:
        return cls(
            str(raw.get("group") or ""),
            str(raw.get("version") or ""),
            str(raw.get("resource") or ""),
            str(raw.get("namespace") or ""),
            str(raw.get("name") or ""),
            str(raw.get("uid") or ""),
        )

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Who the object is, regardless of version and uid."""
        return (self.group, self.resource, self.namespace, self.name)

    def as_resource(self, kind: str = "") -> Resource:
        return Resource(self.group, self.version, self.resource, bool(self.namespace), kind)


def applied_resources_of(applied_work: Mapping[str, Any]) -> list[AppliedResource]:
    raw = (applied_work.get("status") or {}).get("appliedResources") or []
    return [AppliedResource.from_status(r) for r in raw]


def propagation_policy(manifest_work: Mapping[str, Any]) -> str:
    option = (manifest_work.get("spec") or {}).get("deleteOption") or {}
    return str(option.get("propagationPolicy") or work.PROPAGATION_FOREGROUND)


def is_orphaned(manifest_work: Mapping[str, Any], applied: AppliedResource) -> bool:
    """Whether the deleteOption says to leave this object behind when it stops being managed."""
    policy = propagation_policy(manifest_work)
    if policy == work.PROPAGATION_ORPHAN:
        return True
    if policy != work.PROPAGATION_SELECTIVELY_ORPHAN:
        return False
    option = (manifest_work.get("spec") or {}).get("deleteOption") or {}
    rules = (option.get("selectivelyOrphans") or {}).get("orphaningRules") or []
    return any(
        (rule.get("group") or "") == applied.group
        and rule.get("resource") == applied.resource
        and (rule.get("namespace") or "") == applied.namespace
        and rule.get("name") == applied.name
        for rule in rules
    )
