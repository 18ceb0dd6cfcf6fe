"""Label and field selectors: parse the query-string grammar and match objects. Pure.

Label grammar (comma = AND): ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``,
``k`` (exists), ``!k`` (does not exist). Field grammar: ``path=v``, ``path==v``, ``path!=v`` where
``path`` is a dotted path into the object (``metadata.name``, ``involvedObject.kind``).
A selector that does not parse raises :class:`SelectorError`; the handler turns it into a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

LABEL_KEY_RE: Final = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_VALUE_RE: Final = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SET_RE: Final = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)$")


class SelectorError(ValueError):
    """The selector text does not follow the grammar; the message says which part."""


class Operator(Enum):
    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case Operator.EQUALS | Operator.IN:
                return present and value in self.values
            case Operator.NOT_EQUALS | Operator.NOT_IN:
                return not present or value not in self.values
            case Operator.EXISTS:
                return present
            case Operator.DOES_NOT_EXIST:
                return not present


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside ``(...)``."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unbalanced ')' in selector {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise SelectorError(f"unbalanced '(' in selector {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _check_key(key: str, text: str) -> str:
    if not LABEL_KEY_RE.match(key):
        raise SelectorError(f"invalid label key {key!r} in selector {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not LABEL_VALUE_RE.match(value):
        raise SelectorError(f"invalid label value {value!r} in selector {text!r}")
    return value


def _parse_requirement(term: str, text: str) -> Requirement:
    if not term:
        raise SelectorError(f"empty term in selector {text!r}")
    set_match = _SET_RE.match(term)
    if set_match:
        key = _check_key(set_match["key"], text)
        values = frozenset(
            _check_value(v.strip(), text) for v in set_match["values"].split(",") if v.strip()
        )
        op = Operator.IN if set_match["op"] == "in" else Operator.NOT_IN
        return Requirement(key, op, values)
    for token, op in (("!=", Operator.NOT_EQUALS), ("==", Operator.EQUALS), ("=", Operator.EQUALS)):
        if token in term:
            key, _, value = term.partition(token)
            key_checked = _check_key(key.strip(), text)
            return Requirement(key_checked, op, frozenset({_check_value(value.strip(), text)}))
    if term.startswith("!"):
        return Requirement(_check_key(term[1:].strip(), text), Operator.DOES_NOT_EXIST)
    return Requirement(_check_key(term, text), Operator.EXISTS)


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return LabelSelector()
    return LabelSelector(tuple(_parse_requirement(t, text) for t in _split_top_level(text)))


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    value: str
    negated: bool

    def matches(self, obj: Mapping[str, Any]) -> bool:
        actual = field_value(obj, self.path)
        return (actual != self.value) if self.negated else (actual == self.value)


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def exact(self, path: str) -> str | None:
        """The value an ``=`` requirement pins ``path`` to, so storage can narrow its scan."""
        for r in self.requirements:
            if r.path == path and not r.negated:
                return r.value
        return None


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string form of a dotted field; missing fields read as ``""`` (kube behaviour)."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return ""
        current = current[part]
    if isinstance(current, bool):
        return "true" if current else "false"
    return "" if current is None else str(current)


def parse_field_selector(text: str | None) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    requirements: list[FieldRequirement] = []
    for term in text.split(","):
        term = term.strip()
        for token, negated in (("!=", True), ("==", False), ("=", False)):
            if token in term:
                path, _, value = term.partition(token)
                if not path.strip():
                    raise SelectorError(f"missing field name in field selector {text!r}")
                requirements.append(FieldRequirement(path.strip(), value.strip(), negated))
                break
        else:
            raise SelectorError(
                f"invalid field selector term {term!r} in {text!r}: expected field=value"
            )
    return FieldSelector(tuple(requirements))


@dataclass(frozen=True)
class ObjectSelector:
    """Labels and fields together: what a list or watch filters on."""

    labels: LabelSelector = LabelSelector()
    fields: FieldSelector = FieldSelector()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        return self.labels.matches(meta.get("labels") or {}) and self.fields.matches(obj)


EVERYTHING: Final = ObjectSelector()
