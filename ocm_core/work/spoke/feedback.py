"""Status feedback: the values a manifest's ``feedbackRules`` pick out of the live object.

`WellKnownStatus` uses upstream's fixed paths per kind (`WELL_KNOWN_PATHS`); `JSONPaths` rules
use kubectl-style JSONPath, of which we support the subset upstream rules use: dotted fields
(``.status.readyReplicas``), list indexes (``[0]``) and equality filters
(``.status.conditions[?(@.type=="Ready")].status``). Each value becomes a
``{name, fieldValue{type, integer|string|boolean|jsonRaw}}`` entry. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.api import work

Object = dict[str, Any]

WELL_KNOWN_PATHS: Final[dict[str, dict[str, str]]] = {
    "Deployment": {
        "ReadyReplicas": ".status.readyReplicas",
        "Replicas": ".status.replicas",
        "AvailableReplicas": ".status.availableReplicas",
    },
    "DaemonSet": {
        "NumberReady": ".status.numberReady",
        "DesiredNumberScheduled": ".status.desiredNumberScheduled",
        "NumberAvailable": ".status.numberAvailable",
    },
    "Job": {
        "JobComplete": '.status.conditions[?(@.type=="Complete")].status',
        "JobSucceeded": ".status.succeeded",
    },
    "Pod": {
        "PodReady": '.status.conditions[?(@.type=="Ready")].status',
        "PodPhase": ".status.phase",
    },
}
"""Upstream's WellKnownStatus fields, by kind (names as in `work.WELL_KNOWN_STATUS_FIELDS`)."""

_TOKEN: Final = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-]+)
      | \[(?P<index>-?\d+)\]
      | \[\?\(@\.(?P<key>[A-Za-z0-9_\-\.]+)\s*==\s*(?P<quote>["'])(?P<value>[^"']*)(?P=quote)\)\]
    """,
    re.VERBOSE,
)


class JsonPathError(ValueError):
    """The path is not in the supported JSONPath subset."""


def _steps(path: str) -> list[re.Match[str]]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = text.removeprefix("$")
    steps, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise JsonPathError(f"unsupported JSONPath {path!r} at {text[position:]!r}")
        steps.append(match)
        position = match.end()
    return steps


def evaluate(path: str, obj: Any) -> list[Any]:
    """Every value ``path`` selects in ``obj`` (empty when nothing matches)."""
    values = [obj]
    for step in _steps(path):
        values = list(_advance(step, values))
    return values


def _advance(step: re.Match[str], values: Sequence[Any]) -> Iterator[Any]:
    for value in values:
        if step["field"] is not None:
            if isinstance(value, Mapping) and step["field"] in value:
                yield value[step["field"]]
        elif step["index"] is not None:
            index = int(step["index"])
            if isinstance(value, list) and -len(value) <= index < len(value):
                yield value[index]
        elif isinstance(value, list):
            for item in value:
                if _lookup(item, step["key"]) == step["value"]:
                    yield item


def _lookup(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, Mapping):
            return None
        item = item.get(part)
    return None if item is None else str(item)


def field_value(raw: Any) -> Object | None:
    """The typed ``fieldValue`` of a raw JSON value; None when it has no representation."""
    if isinstance(raw, bool):
        return {"type": work.FEEDBACK_VALUE_BOOLEAN, "boolean": raw}
    if isinstance(raw, int):
        return {"type": work.FEEDBACK_VALUE_INTEGER, "integer": raw}
    if isinstance(raw, str):
        return {"type": work.FEEDBACK_VALUE_STRING, "string": raw}
    if raw is None:
        return None
    text = json.dumps(raw, separators=(",", ":"), sort_keys=True)
    if len(text) > work.FEEDBACK_JSON_RAW_MAX_LENGTH:
        return None
    return {"type": work.FEEDBACK_VALUE_JSON_RAW, "jsonRaw": text}


@dataclass(slots=True)
class Feedback:
    """The outcome of a manifest's feedback rules."""

    values: list[Object] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def collect(rules: Sequence[Mapping[str, Any]], kind: str, live: Mapping[str, Any]) -> Feedback:
    """Apply ``feedbackRules`` to ``live``. A path matching nothing yields no value (as
    upstream); an invalid path or an unknown kind is a problem."""
    result = Feedback()
    for rule in rules:
        rule_type = rule.get("type")
        if rule_type == work.FEEDBACK_WELL_KNOWN_STATUS:
            paths = WELL_KNOWN_PATHS.get(kind)
            if paths is None:
                result.problems.append(f"kind {kind} has no well-known status fields")
                continue
            named = list(paths.items())
        elif rule_type == work.FEEDBACK_JSON_PATHS:
            named = [(str(p.get("name")), str(p.get("path"))) for p in rule.get("jsonPaths") or []]
        else:
            result.problems.append(f"unknown feedback rule type {rule_type!r}")
            continue
        for name, path in named:
            _add(result, name, path, live)
    return result


def _add(result: Feedback, name: str, path: str, live: Mapping[str, Any]) -> None:
    try:
        found = evaluate(path, live)
    except JsonPathError as exc:
        result.problems.append(f"{name}: {exc}")
        return
    if not found:
        return
    value = field_value(found[0] if len(found) == 1 else found)
    if value is not None:
        result.values.append({"name": name, "fieldValue": value})
