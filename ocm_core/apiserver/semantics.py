"""Object lifecycle rules kube-apiserver applies on every write. Pure: time and ids are injected.

Owns: metadata filled on create (uid, creationTimestamp, generation, generateName), what an
update may change (immutable metadata, status vs main resource), generation bumps on spec
change, deletionTimestamp + finalizers, name validation, Namespace defaults. Never does I/O.
"""

from __future__ import annotations

import base64
import copy
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ocm_core.apiserver import errors
from ocm_core.apiserver.authhooks import UserInfo
from ocm_core.apiserver.registry import FINALIZE, STATUS, NameRule, ResourceInfo
from ocm_core.apiserver.selectors import LABEL_KEY_RE, LABEL_VALUE_RE

NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
NAMESPACE_FINALIZER: Final = "kubernetes"
GENERATE_NAME_SUFFIX_LEN: Final = 5
SUFFIX_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"  # kube's: no vowels, no confusables

_LABEL_RE: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL1035_RE: Final = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_RE: Final = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
#: kube's TotalAnnotationSizeLimitB: last-applied annotations must fit in it.
MAX_ANNOTATIONS_BYTES: Final = 256 * 1024
#: Fields a client may never change after create.
_IMMUTABLE_META: Final = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
#: Top-level keys that are not "spec" for the purpose of generation bumps.
_NON_SPEC_KEYS: Final = frozenset({"metadata", "status", "apiVersion", "kind"})


@dataclass(frozen=True)
class Environment:
    """The injected side: clock, uid source and random characters for generateName."""

    now: Callable[[], datetime]
    new_uid: Callable[[], str]
    random_suffix: Callable[[int], str]


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with second precision, as kube serialises metav1.Time."""
    return _format_second(int(moment.timestamp() // 1))


@functools.lru_cache(maxsize=64)
def _format_second(seconds: int) -> str:
    # Every write stamps the time; writes in the same second share one strftime.
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def name_problem(name: str, rule: NameRule) -> str | None:
    """Why ``name`` is not valid under ``rule``, or None when it is."""
    if rule is NameRule.PATH_SEGMENT:
        if name in (".", "..") or "/" in name or "%" in name:
            return f'Invalid value: "{name}": may not be "." or ".." and may not contain "/" or "%"'
        return None
    if rule is NameRule.DNS1123_SUBDOMAIN:
        if len(name) > 253 or not _SUBDOMAIN_RE.match(name):
            return (
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower '
                "case alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character"
            )
        return None
    pattern = _LABEL_RE if rule is NameRule.DNS1123_LABEL else _LABEL1035_RE
    if len(name) > 63 or not pattern.match(name):
        return (
            f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case '
            "alphanumeric characters or '-', and must start and end with an alphanumeric "
            "character (at most 63 characters)"
        )
    return None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def check_type_meta(obj: dict[str, Any], info: ResourceInfo) -> None:
    """The body's apiVersion/kind must name the kind of the URL (empty ones are filled in)."""
    api_version = obj.get("apiVersion") or info.api_version
    kind = obj.get("kind") or info.kind
    if kind != info.kind or api_version != info.api_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) and kind ({kind}) do not match the "
            f"resource {info.resource} ({info.api_version} {info.kind}) of the request URL"
        )
    obj["apiVersion"], obj["kind"] = api_version, kind


def check_namespace(obj: dict[str, Any], info: ResourceInfo, namespace: str) -> None:
    """Fill the namespace from the URL; a different one in the body is a 400 (kube parity)."""
    meta = _meta(obj)
    if not info.namespaced:
        meta.pop("namespace", None)
        return
    body_ns = meta.get("namespace")
    if body_ns and body_ns != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace


def prepare_create(
    obj: dict[str, Any], info: ResourceInfo, namespace: str, env: Environment
) -> dict[str, Any]:
    """A copy of ``obj`` ready to store: metadata filled, validated. Raises ApiError."""
    new = copy.deepcopy(obj)
    check_type_meta(new, info)
    check_namespace(new, info, namespace)
    meta = _meta(new)
    if not meta.get("name"):
        prefix = meta.get("generateName")
        if not prefix:
            raise errors.invalid(
                info.kind,
                info.group,
                "",
                [("metadata.name", "Required value: name or generateName is required")],
            )
        meta["name"] = f"{prefix}{env.random_suffix(GENERATE_NAME_SUFFIX_LEN)}"
    validate_name(meta["name"], info)
    validate_metadata(new, info)
    for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(key, None)
    meta["uid"] = env.new_uid()
    meta["creationTimestamp"] = format_time(env.now())
    meta["generation"] = 1
    if STATUS in info.subresources and info.kind != "Namespace":
        # kube resets status on create for kinds with a status subresource.
        new.pop("status", None)
    if info.kind == "Namespace":
        apply_namespace_defaults(new)
    apply_defaults(new)
    return new


def validate_name(name: str, info: ResourceInfo) -> None:
    problem = name_problem(name, info.name_rule)
    if problem:
        raise errors.invalid(info.kind, info.group, name, [("metadata.name", problem)])


def metadata_problems(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """Label and annotation rules kube enforces, as (field, message) causes."""
    problems: list[tuple[str, str]] = []
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if not isinstance(labels, dict) or not isinstance(annotations, dict):
        return [("metadata", "Invalid value: labels and annotations must be string maps")]
    for key, value in labels.items():
        if not LABEL_KEY_RE.match(key) or len(key.rpartition("/")[2]) > 63:
            problems.append(
                (f"metadata.labels[{key}]", f'Invalid value: "{key}": not a valid label key')
            )
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE_RE.match(value):
            problems.append(
                (
                    f"metadata.labels[{key}]",
                    f'Invalid value: "{value}": a valid label must be '
                    "63 characters or less, alphanumeric, '-', '_' or '.', starting and ending "
                    "with an alphanumeric character",
                )
            )
    size = 0
    for key, value in annotations.items():
        if not LABEL_KEY_RE.match(key):
            problems.append(
                (
                    f"metadata.annotations[{key}]",
                    f'Invalid value: "{key}": not a valid annotation key',
                )
            )
        if not isinstance(value, str):
            problems.append(
                (f"metadata.annotations[{key}]", "Invalid value: annotation values must be strings")
            )
            continue
        size += len(key) + len(value)
    if size > MAX_ANNOTATIONS_BYTES:
        problems.append(
            ("metadata.annotations", f"Too long: must have at most {MAX_ANNOTATIONS_BYTES} bytes")
        )
    return problems


def validate_metadata(obj: dict[str, Any], info: ResourceInfo) -> None:
    problems = metadata_problems(_meta(obj))
    if problems:
        raise errors.invalid(info.kind, info.group, _meta(obj).get("name", ""), problems)


def apply_namespace_defaults(ns: dict[str, Any]) -> None:
    meta = _meta(ns)
    meta.setdefault("labels", {})[NAMESPACE_NAME_LABEL] = meta["name"]
    spec = ns.setdefault("spec", {})
    spec.setdefault("finalizers", [NAMESPACE_FINALIZER])
    status = ns.setdefault("status", {})
    status.setdefault("phase", "Active")


def apply_defaults(obj: dict[str, Any]) -> None:
    """Kind defaults clients rely on: Secret ``type`` and ``stringData`` folded into ``data``."""
    if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()


def record_requestor(csr: dict[str, Any], user: UserInfo) -> None:
    """A CSR's spec.username/uid/groups/extra are the creator's, never the client's claim."""
    spec = csr.setdefault("spec", {})
    spec["username"] = user.name
    spec["groups"] = list(user.groups)
    if user.uid:
        spec["uid"] = user.uid
    else:
        spec.pop("uid", None)
    if user.extra:
        spec["extra"] = {k: list(v) for k, v in user.extra.items()}
    else:
        spec.pop("extra", None)


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    """Everything outside metadata/status/type meta: what a generation bump compares."""
    return {k: v for k, v in obj.items() if k not in _NON_SPEC_KEYS}


def prepare_update(
    old: dict[str, Any], new: dict[str, Any], info: ResourceInfo, subresource: str = ""
) -> dict[str, Any]:
    """Merge a client's full replacement ``new`` into ``old`` under kube's update rules."""
    merged = copy.deepcopy(new)
    check_type_meta(merged, info)
    meta, old_meta = _meta(merged), old["metadata"]
    if meta.get("name", old_meta["name"]) != old_meta["name"]:
        raise errors.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL "
            f"({old_meta['name']})"
        )
    if subresource == STATUS:
        # A status write changes only .status; everything else stays as stored.
        result = copy.deepcopy(old)
        if "status" in merged:
            result["status"] = merged["status"]
        else:
            result.pop("status", None)
        return result
    if info.kind == "Namespace" and subresource != FINALIZE:
        merged["spec"] = copy.deepcopy(old.get("spec", {}))
    meta["name"] = old_meta["name"]
    if "namespace" in old_meta:
        meta["namespace"] = old_meta["namespace"]
    for key in _IMMUTABLE_META:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if STATUS in info.subresources:
        # The main resource cannot change status when a /status subresource exists.
        if "status" in old:
            merged["status"] = copy.deepcopy(old["status"])
        else:
            merged.pop("status", None)
    generation = int(old_meta.get("generation") or 1)
    if spec_of(merged) != spec_of(old):
        generation += 1
    meta["generation"] = generation
    meta.pop("selfLink", None)
    validate_metadata(merged, info)
    if info.kind == "Namespace":
        apply_namespace_defaults(merged)
    apply_defaults(merged)
    return merged


def is_deleting(obj: dict[str, Any]) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def has_finalizers(obj: dict[str, Any]) -> bool:
    meta = obj.get("metadata", {})
    if meta.get("finalizers"):
        return True
    # A Namespace is held by spec.finalizers until its contents are gone.
    return obj.get("kind") == "Namespace" and bool(obj.get("spec", {}).get("finalizers"))


def mark_deleting(obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The object as it looks once deletion has started and finalizers hold it."""
    marked = copy.deepcopy(obj)
    meta = _meta(marked)
    meta.setdefault("deletionTimestamp", format_time(now))
    meta.setdefault("deletionGracePeriodSeconds", 0)
    if marked.get("kind") == "Namespace":
        marked.setdefault("status", {})["phase"] = "Terminating"
    return marked


def add_finalizer(obj: dict[str, Any], finalizer: str) -> dict[str, Any]:
    marked = copy.deepcopy(obj)
    finalizers = _meta(marked).setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)
    return marked
