"""`metav1.LabelSelector` semantics over plain string maps (cluster labels or cluster claims).

Parsing validates the selector the way `LabelSelectorAsSelector` does, so a bad selector in a
Placement is reported as misconfiguration instead of silently matching nothing.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

OP_IN: Final = "In"
OP_NOT_IN: Final = "NotIn"
OP_EXISTS: Final = "Exists"
OP_DOES_NOT_EXIST: Final = "DoesNotExist"
_OPERATORS: Final = (OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST)

_NAME_PART: Final = r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]"
_QUALIFIED_NAME: Final = re.compile(
    rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_NAME_PART}$"
)
_LABEL_VALUE: Final = re.compile(rf"^({_NAME_PART})?$")
_MAX_PREFIX: Final = 253


class InvalidSelector(ValueError):
    """A label selector that Kubernetes would reject."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `key operator values` term."""

    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == OP_IN:
            return labels.get(self.key) in self.values
        if self.operator == OP_NOT_IN:
            return labels.get(self.key) not in self.values
        if self.operator == OP_EXISTS:
            return self.key in labels
        return self.key not in labels

    def describe(self) -> str:
        if self.operator == OP_EXISTS:
            return self.key
        if self.operator == OP_DOES_NOT_EXIST:
            return f"!{self.key}"
        values = ",".join(sorted(self.values))
        if self.operator == OP_IN and len(self.values) == 1:
            return f"{self.key}={values}"
        return f"{self.key} {self.operator.lower()} ({values})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """ANDed requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def parse(cls, obj: Mapping[str, Any] | None, *, field: str) -> "LabelSelector":
        """Build from a `{matchLabels, matchExpressions}` dict; `field` names it in errors."""
        if not obj:
            return cls()
        if not isinstance(obj, Mapping):
            raise InvalidSelector(f"{field}: must be an object with matchLabels/matchExpressions")
        match_labels = obj.get("matchLabels") or {}
        if not isinstance(match_labels, Mapping):
            raise InvalidSelector(f"{field}.matchLabels: must be an object of key: value labels")
        expressions = obj.get("matchExpressions") or []
        if not isinstance(expressions, list):
            raise InvalidSelector(f"{field}.matchExpressions: must be a list of requirements")
        requirements = [
            _requirement(f"{field}.matchLabels", key, OP_IN, [value])
            for key, value in match_labels.items()
        ]
        for index, expression in enumerate(expressions):
            where = f"{field}.matchExpressions[{index}]"
            if not isinstance(expression, Mapping):
                raise InvalidSelector(f"{where}: must be an object with key, operator, values")
            requirements.append(
                _requirement(
                    where,
                    expression.get("key", ""),
                    expression.get("operator", ""),
                    expression.get("values") or [],
                )
            )
        return cls(tuple(requirements))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)

    def describe(self) -> str:
        return ",".join(r.describe() for r in self.requirements) or "<everything>"


def _requirement(where: str, key: Any, operator: Any, values: Any) -> Requirement:
    _check_key(where, key)
    if operator not in _OPERATORS:
        raise InvalidSelector(
            f"{where}: operator {operator!r} is not one of {', '.join(_OPERATORS)}"
        )
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidSelector(f"{where}: values must be a list of strings")
    if operator in (OP_IN, OP_NOT_IN) and not values:
        raise InvalidSelector(f"{where}: operator {operator} needs at least one value")
    if operator in (OP_EXISTS, OP_DOES_NOT_EXIST) and values:
        raise InvalidSelector(f"{where}: operator {operator} takes no values")
    for value in values:
        if not _LABEL_VALUE.match(value):
            raise InvalidSelector(
                f"{where}: value {value!r} is not a valid label value (at most 63 characters: "
                "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)"
            )
    return Requirement(key, operator, frozenset(values))


def _check_key(where: str, key: Any) -> None:
    valid = (
        isinstance(key, str)
        and _QUALIFIED_NAME.match(key) is not None
        and len(key.rpartition("/")[0]) <= _MAX_PREFIX
    )
    if not valid:
        raise InvalidSelector(
            f"{where}: key {key!r} is not a valid label key (an optional DNS-subdomain prefix "
            "and '/', then at most 63 characters: alphanumerics, '-', '_' or '.')"
        )
