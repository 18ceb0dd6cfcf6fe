"""Query parameters of resource requests, parsed and checked (bad values are a 400 Status)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ocm_core.apiserver import errors
from ocm_core.apiserver.authhooks import UserInfo
from ocm_core.apiserver.operations import DeleteOptions, Propagation, WriteOptions
from ocm_core.apiserver.selectors import (
    ObjectSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from ocm_core.apiserver.table import IncludeObject

FIELD_VALIDATION_VALUES: Final = ("", "Strict", "Warn", "Ignore")
_TRUE: Final = ("true", "1")


def flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in _TRUE


def _dry_run(query: Mapping[str, str]) -> bool:
    value = query.get("dryRun", "")
    if value not in ("", "All"):
        raise errors.bad_request(f'invalid dryRun value "{value}": only "All" is supported')
    return value == "All"


def field_validation(query: Mapping[str, str]) -> str:
    value = query.get("fieldValidation", "")
    if value not in FIELD_VALIDATION_VALUES:
        raise errors.bad_request(
            f'invalid fieldValidation value "{value}": must be one of Strict, Warn, Ignore'
        )
    return value


def write_options(query: Mapping[str, str], user: UserInfo | None = None) -> WriteOptions:
    field_validation(query)
    return WriteOptions(
        dry_run=_dry_run(query),
        field_manager=query.get("fieldManager", ""),
        force=flag(query, "force"),
        user=user,
    )


def selector(query: Mapping[str, str]) -> ObjectSelector:
    try:
        return ObjectSelector(
            labels=parse_label_selector(query.get("labelSelector")),
            fields=parse_field_selector(query.get("fieldSelector")),
        )
    except SelectorError as exc:
        raise errors.bad_request(f"unable to parse requirement: {exc}") from None


def _non_negative_int(query: Mapping[str, str], name: str) -> int:
    text = query.get(name, "")
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise errors.bad_request(f'invalid {name} "{text}": must be an integer') from None
    if value < 0:
        raise errors.bad_request(f'invalid {name} "{text}": must not be negative')
    return value


@dataclass(frozen=True)
class ListParams:
    selector: ObjectSelector
    limit: int
    continue_token: str | None
    resource_version: str
    resource_version_match: str
    include: IncludeObject


def list_params(query: Mapping[str, str]) -> ListParams:
    resource_version = query.get("resourceVersion", "")
    if resource_version and not resource_version.isdigit():
        raise errors.bad_request(f'invalid resourceVersion "{resource_version}": not a number')
    match = query.get("resourceVersionMatch", "")
    if match not in ("", "NotOlderThan", "Exact"):
        raise errors.bad_request(
            f'invalid resourceVersionMatch "{match}": must be NotOlderThan or Exact'
        )
    include = query.get("includeObject", IncludeObject.METADATA.value)
    if include not in {i.value for i in IncludeObject}:
        raise errors.bad_request(f'invalid includeObject "{include}": use None, Metadata or Object')
    return ListParams(
        selector=selector(query),
        limit=_non_negative_int(query, "limit"),
        continue_token=query.get("continue") or None,
        resource_version=query.get("resourceVersion", ""),
        resource_version_match=query.get("resourceVersionMatch", ""),
        include=IncludeObject(include),
    )


@dataclass(frozen=True)
class WatchParams:
    selector: ObjectSelector
    #: None: start with the current state (initial ADDED events).
    since: int | None
    send_initial_events: bool
    bookmarks: bool
    timeout_seconds: int
    include: IncludeObject


def watch_params(query: Mapping[str, str]) -> WatchParams:
    listing = list_params(query)
    text = listing.resource_version
    since: int | None = None
    if text not in ("", "0"):
        try:
            since = int(text)
        except ValueError:
            raise errors.bad_request(f'invalid resourceVersion "{text}"') from None
    send_initial = flag(query, "sendInitialEvents")
    if send_initial and listing.resource_version_match != "NotOlderThan":
        raise errors.invalid(
            "ListOptions",
            "meta.k8s.io",
            "",
            [("resourceVersionMatch", "Required value: sendInitialEvents needs NotOlderThan")],
        )
    if send_initial and not flag(query, "allowWatchBookmarks"):
        raise errors.invalid(
            "ListOptions",
            "meta.k8s.io",
            "",
            [("allowWatchBookmarks", "Required value: sendInitialEvents needs bookmarks")],
        )
    return WatchParams(
        selector=listing.selector,
        since=None if send_initial and since is None else since,
        send_initial_events=send_initial,
        bookmarks=flag(query, "allowWatchBookmarks"),
        timeout_seconds=_non_negative_int(query, "timeoutSeconds"),
        include=listing.include,
    )


def delete_options(query: Mapping[str, str], body: Mapping[str, Any] | None) -> DeleteOptions:
    """From the DeleteOptions body (kubectl, helm) and/or query parameters."""
    body = body or {}
    policy = query.get("propagationPolicy") or body.get("propagationPolicy") or ""
    if not policy and (body.get("orphanDependents") is True or flag(query, "orphanDependents")):
        policy = Propagation.ORPHAN.value
    if policy and policy not in {p.value for p in Propagation}:
        raise errors.bad_request(
            f'invalid propagationPolicy "{policy}": must be Orphan, Background or Foreground'
        )
    preconditions = body.get("preconditions") or {}
    dry_run = _dry_run(query) or body.get("dryRun") == ["All"]
    return DeleteOptions(
        dry_run=dry_run,
        propagation=Propagation(policy) if policy else Propagation.BACKGROUND,
        precondition_uid=preconditions.get("uid") or None,
        precondition_rv=preconditions.get("resourceVersion") or None,
    )
