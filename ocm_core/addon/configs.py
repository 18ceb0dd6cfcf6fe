"""Config references of an add-on: which config objects apply to one ManagedClusterAddOn.

Precedence, lowest first (`specs/ocm-apis.md` §4.1): the ClusterManagementAddOn's
`defaultConfigs`, then the `configs` of the install-strategy placement that selected the
cluster, then the ManagedClusterAddOn's own `spec.configs`. For each (group, resource) the
highest layer that names any config wins as a whole. Spec hashes come from
`ocm_core.api.spechash` so they equal a Go hub's. Pure functions over dicts; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ocm_core.api import addon
from ocm_core.api.gvr import Resource

Object = dict[str, Any]


@dataclass(frozen=True, order=True)
class ConfigRef:
    """A reference to one config object (namespace is "" for cluster-scoped configs)."""

    group: str
    resource: str
    namespace: str
    name: str

    @classmethod
    def from_mapping(cls, entry: Mapping[str, Any]) -> ConfigRef:
        return cls(
            group=str(entry.get("group") or ""),
            resource=str(entry.get("resource") or ""),
            namespace=str(entry.get("namespace") or ""),
            name=str(entry.get("name") or ""),
        )

    @property
    def group_resource(self) -> tuple[str, str]:
        return (self.group, self.resource)

    def matches(self, resource: Resource) -> bool:
        return (self.group, self.resource) == (resource.group, resource.plural)


def _refs(entries: Iterable[Mapping[str, Any]] | None) -> list[ConfigRef]:
    refs = [ConfigRef.from_mapping(e) for e in entries or ()]
    return [r for r in refs if r.name and r.name != addon.RESERVED_NO_DEFAULT_CONFIG_NAME]


def placement_configs(cma: Mapping[str, Any], cluster_placements: Sequence[str]) -> list[ConfigRef]:
    """Configs of the install-strategy placements (`<namespace>/<name>`) selecting a cluster.

    A later placement overrides an earlier one for a shared cluster, per (group, resource).
    """
    strategy = (cma.get("spec") or {}).get("installStrategy") or {}
    layers = [
        _refs(p.get("configs"))
        for p in strategy.get("placements") or ()
        if f"{p.get('namespace')}/{p.get('name')}" in cluster_placements
    ]
    return _layered(layers)


def desired_configs(
    cma: Mapping[str, Any] | None,
    mca: Mapping[str, Any],
    *,
    cluster_placements: Sequence[str] = (),
) -> list[ConfigRef]:
    """The configs that apply to `mca`, highest precedence layer per (group, resource)."""
    defaults = _refs(((cma or {}).get("spec") or {}).get("defaultConfigs"))
    from_placements = placement_configs(cma or {}, cluster_placements)
    own = _refs((mca.get("spec") or {}).get("configs"))
    return _layered([defaults, from_placements, own])


def _layered(layers: Sequence[Sequence[ConfigRef]]) -> list[ConfigRef]:
    chosen: dict[tuple[str, str], list[ConfigRef]] = {}
    for layer in layers:
        by_group_resource: dict[tuple[str, str], list[ConfigRef]] = {}
        for ref in layer:
            by_group_resource.setdefault(ref.group_resource, []).append(ref)
        chosen.update(by_group_resource)
    return [ref for refs in chosen.values() for ref in refs]


def unsupported(refs: Iterable[ConfigRef], supported: Sequence[Resource]) -> list[ConfigRef]:
    return [r for r in refs if not any(r.matches(s) for s in supported)]


def config_reference_status(
    ref: ConfigRef,
    spec_hash: str,
    previous: Sequence[Mapping[str, Any]],
    generation: int | None,
) -> Object:
    """One `status.configReferences[]` entry, keeping a matching `lastAppliedConfig`."""
    entry: Object = {
        "group": ref.group,
        "resource": ref.resource,
        "desiredConfig": {"namespace": ref.namespace, "name": ref.name, "specHash": spec_hash},
    }
    for old in previous:
        desired = old.get("desiredConfig") or {}
        same = (
            old.get("group") == ref.group
            and old.get("resource") == ref.resource
            and desired.get("name") == ref.name
            and (desired.get("namespace") or "") == ref.namespace
        )
        if same and old.get("lastAppliedConfig"):
            entry["lastAppliedConfig"] = old["lastAppliedConfig"]
    if generation is not None:
        entry["lastObservedGeneration"] = generation
    return entry


def desired_hashes(config_references: Sequence[Mapping[str, Any]]) -> dict[ConfigRef, str]:
    """(ref -> desired spec hash) from `status.configReferences`."""
    result: dict[ConfigRef, str] = {}
    for entry in config_references:
        desired = entry.get("desiredConfig") or {}
        ref = ConfigRef(
            str(entry.get("group") or ""),
            str(entry.get("resource") or ""),
            str(desired.get("namespace") or ""),
            str(desired.get("name") or ""),
        )
        result[ref] = str(desired.get("specHash") or "")
    return result


def is_applied(entry: Mapping[str, Any]) -> bool:
    """The desired config of a `configReferences[]` entry equals its last applied one."""
    return bool(entry.get("lastAppliedConfig")) and entry.get("lastAppliedConfig") == entry.get(
        "desiredConfig"
    )
