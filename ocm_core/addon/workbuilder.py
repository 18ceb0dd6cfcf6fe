"""Rendered manifests -> the add-on's ManifestWorks, named and labelled as upstream.

Works are `addon-<addon>-deploy-<i>` in the cluster namespace (`specs/ocm-apis.md` §4.3). A
work holds manifests up to 80 % of the 500 KiB ManifestWork limit, so large agents are split
over several works in order. Each work carries the label `open-cluster-management.io/addon-name`,
the config spec hash annotation, and an owner reference to the ManagedClusterAddOn (so the API
server's garbage collector removes them with it). Manifests annotated
`addon.open-cluster-management.io/deletion-orphan` are left on the spoke when the work goes
(deleteOption `SelectivelyOrphan`). Pure; no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ocm_core.api import addon, gvr, work
from ocm_core.api.spechash import config_spec_hash_annotation

Object = dict[str, Any]


def split_manifests(
    manifests: Sequence[Mapping[str, Any]], limit: int = addon.MANIFEST_WORK_SPLIT_BYTES
) -> list[list[Mapping[str, Any]]]:
    """Manifests in order, grouped so each group's JSON size stays under `limit`."""
    groups: list[list[Mapping[str, Any]]] = [[]]
    size = 0
    for manifest in manifests:
        manifest_size = len(json.dumps(manifest, separators=(",", ":")))
        if groups[-1] and size + manifest_size > limit:
            groups.append([])
            size = 0
        groups[-1].append(manifest)
        size += manifest_size
    return groups


def build_works(
    addon_name: str,
    mca: Mapping[str, Any],
    manifests: Sequence[Mapping[str, Any]],
) -> list[Object]:
    """The ManifestWorks delivering `manifests` for the ManagedClusterAddOn `mca`."""
    metadata = mca.get("metadata") or {}
    namespace = str(metadata.get("namespace", ""))
    annotations: dict[str, str] = {}
    hashes = config_spec_hash_annotation((mca.get("status") or {}).get("configReferences") or [])
    if hashes is not None:
        annotations[addon.CONFIG_SPEC_HASH_ANNOTATION] = hashes
    owner = {
        "apiVersion": gvr.MANAGED_CLUSTER_ADDONS.api_version,
        "kind": gvr.MANAGED_CLUSTER_ADDONS.kind,
        "name": metadata.get("name"),
        "uid": metadata.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }
    works = []
    for index, group in enumerate(split_manifests(manifests)):
        body: Object = {
            "apiVersion": gvr.MANIFEST_WORKS.api_version,
            "kind": gvr.MANIFEST_WORKS.kind,
            "metadata": {
                "name": addon.deploy_work_name(addon_name, index),
                "namespace": namespace,
                "labels": {addon.ADDON_NAME_LABEL: addon_name},
                "annotations": dict(annotations),
                "ownerReferences": [owner] if metadata.get("uid") else [],
            },
            "spec": {"workload": {"manifests": [dict(m) for m in group]}},
        }
        orphans = [_resource_identifier(m) for m in group if _is_orphan(m)]
        if orphans:
            body["spec"]["deleteOption"] = {
                "propagationPolicy": work.PROPAGATION_SELECTIVELY_ORPHAN,
                "selectivelyOrphans": {"orphaningRules": orphans},
            }
        works.append(body)
    return works


def _is_orphan(manifest: Mapping[str, Any]) -> bool:
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return addon.DELETION_ORPHAN_ANNOTATION in annotations


def _resource_identifier(manifest: Mapping[str, Any]) -> Object:
    group = str(manifest.get("apiVersion", "")).rpartition("/")[0]
    metadata = manifest.get("metadata") or {}
    return {
        "group": group,
        "resource": str(manifest.get("kind", "")).lower() + "s",
        "namespace": metadata.get("namespace", ""),
        "name": metadata.get("name", ""),
    }


def work_needs_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """True when the spec, labels or annotations we own differ from the live work.

    Fields the API server added (CRD defaults) do not count: the desired spec only has to be
    contained in the live one, or every write would be followed by another.
    """
    if not contains(current.get("spec"), desired.get("spec")):
        return True
    current_meta, desired_meta = current.get("metadata") or {}, desired.get("metadata") or {}
    for field in ("labels", "annotations"):
        have = current_meta.get(field) or {}
        if any(have.get(k) != v for k, v in (desired_meta.get(field) or {}).items()):
            return True
    return False


def contains(live: Any, wanted: Any) -> bool:
    """`wanted` is `live` with possibly fewer mapping keys (at any depth)."""
    if isinstance(wanted, Mapping):
        return isinstance(live, Mapping) and all(
            key in live and contains(live[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(live) == len(wanted)
            and all(contains(a, b) for a, b in zip(live, wanted, strict=True))
        )
    return bool(live == wanted)
