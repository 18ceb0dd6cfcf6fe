"""The hub's ManifestWork admission rules (upstream's work webhook), as a pure function.

`validate_manifest_work(new, old)` returns ``(field path, message)`` causes; none means the
work is admitted. It runs in the embedded API server (registered by ``ocm apiserver`` through
``ocm_core.apiserver.admission``) and is what a ValidatingAdmissionWebhook would call on a real
hub (see ``docs/work.md``). Rules:

- ``spec.workload.manifests`` is not empty; each manifest is an object with ``apiVersion``,
  ``kind`` and ``metadata.name`` and without ``generateName``; no two manifests name the same
  apiVersion/kind/namespace/name;
- the manifests together are at most `work.MANIFEST_LIMIT_BYTES` (500 KiB) of JSON;
- ``spec.executor.subject`` (when set) has type ServiceAccount and names one;
- ``deleteOption.propagationPolicy`` and update strategies are known values, and SSA field
  managers start with ``work-agent``.

An update is checked only when its spec changed, so finalizer and label edits of works stored
before a rule existed still go through.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ocm_core.api import work

Cause = tuple[str, str]

MANIFESTS_PATH: Final = "spec.workload.manifests"
PROPAGATION_POLICIES: Final = frozenset(
    {work.PROPAGATION_FOREGROUND, work.PROPAGATION_ORPHAN, work.PROPAGATION_SELECTIVELY_ORPHAN}
)
UPDATE_STRATEGIES: Final = frozenset(
    {
        work.UPDATE_STRATEGY_UPDATE,
        work.UPDATE_STRATEGY_CREATE_ONLY,
        work.UPDATE_STRATEGY_SERVER_SIDE_APPLY,
        work.UPDATE_STRATEGY_READ_ONLY,
    }
)


def validate_manifest_work(
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    *,
    limit: int = work.MANIFEST_LIMIT_BYTES,
) -> list[Cause]:
    spec = new.get("spec")
    if old is not None and spec == old.get("spec"):
        return []
    if not isinstance(spec, Mapping):
        return [("spec", "Required value: a ManifestWork needs a spec with workload.manifests")]
    return [
        *_manifest_causes(spec, limit),
        *_executor_causes(spec.get("executor")),
        *_option_causes(spec),
    ]


def _manifest_causes(spec: Mapping[str, Any], limit: int) -> list[Cause]:
    manifests = (spec.get("workload") or {}).get("manifests")
    if not isinstance(manifests, list) or not manifests:
        return [(MANIFESTS_PATH, "Required value: at least one manifest is required")]
    causes: list[Cause] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for index, manifest in enumerate(manifests):
        path = f"{MANIFESTS_PATH}[{index}]"
        if not isinstance(manifest, Mapping):
            causes.append((path, "Invalid value: a manifest must be a Kubernetes object"))
            continue
        causes.extend(_object_causes(manifest, path))
        metadata = manifest.get("metadata") or {}
        identity = (
            str(manifest.get("apiVersion") or ""),
            str(manifest.get("kind") or ""),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name") or ""),
        )
        if identity in seen:
            causes.append(
                (path, f"Duplicate value: the same object as manifests[{seen[identity]}]")
            )
        seen.setdefault(identity, index)
    size = len(json.dumps(manifests, separators=(",", ":")).encode())
    if size > limit:
        causes.append(
            (
                MANIFESTS_PATH,
                f"Too long: the manifests are {size} bytes, more than the limit of {limit} "
                "bytes; split them over several ManifestWorks",
            )
        )
    return causes


def _object_causes(manifest: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("apiVersion", "kind"):
        if not isinstance(manifest.get(key), str) or not manifest.get(key):
            causes.append((f"{path}.{key}", "Required value: every manifest needs one"))
    metadata = manifest.get("metadata")
    if not isinstance(metadata, Mapping):
        return [*causes, (f"{path}.metadata", "Required value: every manifest needs metadata")]
    if metadata.get("generateName"):
        causes.append(
            (f"{path}.metadata.generateName", "Forbidden: manifests must use a fixed name")
        )
    if not metadata.get("name"):
        causes.append((f"{path}.metadata.name", "Required value: every manifest needs a name"))
    return causes


def _executor_causes(executor: Any) -> list[Cause]:
    if executor is None:
        return []
    subject = executor.get("subject") if isinstance(executor, Mapping) else None
    if not isinstance(subject, Mapping):
        return [("spec.executor.subject", "Required value: an executor needs a subject")]
    subject_type = subject.get("type")
    if subject_type != work.EXECUTOR_SUBJECT_SERVICE_ACCOUNT:
        return [
            (
                "spec.executor.subject.type",
                f'Unsupported value: "{subject_type}": supported values: '
                f'"{work.EXECUTOR_SUBJECT_SERVICE_ACCOUNT}"',
            )
        ]
    account = subject.get("serviceAccount") or {}
    return [
        (f"spec.executor.subject.serviceAccount.{key}", "Required value: name the ServiceAccount")
        for key in ("namespace", "name")
        if not account.get(key)
    ]


def _option_causes(spec: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    policy = (spec.get("deleteOption") or {}).get("propagationPolicy")
    if policy is not None and policy not in PROPAGATION_POLICIES:
        causes.append(
            (
                "spec.deleteOption.propagationPolicy",
                f'Unsupported value: "{policy}": supported values: '
                + ", ".join(f'"{p}"' for p in sorted(PROPAGATION_POLICIES)),
            )
        )
    for index, config in enumerate(spec.get("manifestConfigs") or []):
        strategy = (config or {}).get("updateStrategy") or {}
        path = f"spec.manifestConfigs[{index}].updateStrategy"
        kind = strategy.get("type")
        if kind is not None and kind not in UPDATE_STRATEGIES:
            causes.append((f"{path}.type", f'Unsupported value: "{kind}"'))
        manager = (strategy.get("serverSideApply") or {}).get("fieldManager")
        if manager and not str(manager).startswith(work.DEFAULT_FIELD_MANAGER):
            causes.append(
                (
                    f"{path}.serverSideApply.fieldManager",
                    f'Invalid value: "{manager}": must start with "{work.DEFAULT_FIELD_MANAGER}"',
                )
            )
    return causes
