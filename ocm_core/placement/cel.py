"""CEL cluster selectors (`requiredClusterSelector.celSelector.celExpressions`).

Expressions see one variable, `managedCluster` (the ManagedCluster object as a map), and the
upstream ManagedCluster library:

- `managedCluster.scores("<AddOnPlacementScore name>")` → list of `{name, value, quantity}`
  read from that object in the cluster's namespace;
- `"1.30.2".versionIsGreaterThan("1.29.0")`, `versionIsLessThan` (semantic versions, optional "v");
- `"2Gi".quantityIsGreaterThan("1Gi")`, `quantityIsLessThan` (Kubernetes quantities);

- `"{\"a\": 1}".parseJSON()` (upstream's JSON library);
- from the cel-go strings extension: `lowerAscii`, `upperAscii`, `trim`, `split`, `replace`
  and `join`;

plus the CEL standard functions and macros (size, contains, startsWith, endsWith, matches,
has, all, exists, exists_one, filter, map, ...). Evaluation is done by `cel-python` (celpy);
an expression that errors at run time counts as false for that cluster, as upstream.
Parsing and unknown function names are checked when the Placement is compiled, so a typo is a
misconfiguration rather than a silent non-match. Not provided: static type checking, the
cost budget, and the rest of the Kubernetes CEL libraries upstream links (lists, regex, URLs,
quantity, IP, CIDR, format) and optional types.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, base_functions

from ocm_core.placement.quantity import InvalidQuantity, parse_quantity
from ocm_core.placement.semver import InvalidVersion, Version

CLUSTER_VARIABLE: Final = "managedCluster"

# Looks up an AddOnPlacementScore by (cluster namespace, object name).
ScoreLookup = Callable[[str, str], Mapping[str, Any] | None]

_MACROS: Final = frozenset({"has", "all", "exists", "exists_one", "filter", "map"})
_LIBRARY: Final = frozenset(
    {"scores", "versionIsGreaterThan", "versionIsLessThan"}
    | {"quantityIsGreaterThan", "quantityIsLessThan", "parseJSON"}
    | {"lowerAscii", "upperAscii", "trim", "split", "replace", "join"}
)
_CALL_NODES: Final = {"member_dot_arg": 1, "ident_arg": 0}


class InvalidExpression(ValueError):
    """A CEL expression that cannot be compiled."""


@dataclass(frozen=True, slots=True)
class CelSelector:
    """Compiled, ANDed CEL expressions."""

    expressions: tuple[str, ...]
    programs: tuple[celpy.Runner, ...]

    @classmethod
    def compile(
        cls, expressions: Sequence[str], scores: ScoreLookup, *, field: str
    ) -> "CelSelector":
        env = _environment()
        functions = _library(scores)
        programs = []
        for index, expression in enumerate(expressions):
            where = f"{field}[{index}]"
            try:
                ast = env.compile(expression)
            except CELParseError as error:
                detail = " ".join(str(error).split())
                raise InvalidExpression(f"{where}: compilation failed: {detail}") from error
            _check_function_names(where, ast)
            programs.append(env.program(ast, functions=functions))
        return cls(tuple(expressions), tuple(programs))

    def first_false(self, cluster: celtypes.MapType) -> int | None:
        """Index of the first expression that is not true for this cluster, or None."""
        for index, program in enumerate(self.programs):
            try:
                result = program.evaluate({CLUSTER_VARIABLE: cluster})
            except CELEvalError:
                return index
            if not (isinstance(result, celtypes.BoolType) and result):
                return index
        return None


def cluster_to_cel(obj: Mapping[str, Any]) -> celtypes.MapType:
    """The ManagedCluster dict as the `managedCluster` CEL value."""
    value = json_to_cel(dict(obj))
    assert isinstance(value, celtypes.MapType)
    return value


@cache
def _environment() -> celpy.Environment:
    # Building the parser costs ~0.2 s; every selector can share one environment.
    return celpy.Environment()


def _check_function_names(where: str, ast: Any) -> None:
    known = _MACROS | _LIBRARY | set(base_functions)
    for node in ast.iter_subtrees():
        position = _CALL_NODES.get(node.data)
        if position is None:
            continue
        name = str(node.children[position])
        if name not in known:
            raise InvalidExpression(f"{where}: compilation failed: undeclared function {name!r}")


def _library(scores: ScoreLookup) -> dict[str, Callable[..., Any]]:
    def cluster_scores(cluster: celtypes.MapType, resource_name: celtypes.StringType) -> Any:
        metadata = cluster.get(celtypes.StringType("metadata"))
        name = None
        if isinstance(metadata, celtypes.MapType):
            name = metadata.get(celtypes.StringType("name"))
        obj = scores(str(name), str(resource_name)) if name is not None else None
        if obj is None:
            return CELEvalError(f"AddOnPlacementScore {resource_name!s} not found")
        items = (obj.get("status") or {}).get("scores") or []
        return json_to_cel([_score_item(item) for item in items])

    return {
        **_STRINGS,
        "parseJSON": _parse_json,
        "scores": cluster_scores,
        "versionIsGreaterThan": lambda a, b: celtypes.BoolType(_compare(_version_cmp, a, b) > 0),
        "versionIsLessThan": lambda a, b: celtypes.BoolType(_compare(_version_cmp, a, b) < 0),
        "quantityIsGreaterThan": lambda a, b: celtypes.BoolType(_compare(_quantity_cmp, a, b) > 0),
        "quantityIsLessThan": lambda a, b: celtypes.BoolType(_compare(_quantity_cmp, a, b) < 0),
    }


def _parse_json(text: Any) -> Any:
    if not isinstance(text, str):
        raise CELEvalError("parseJSON: the argument must be a string")
    try:
        return json_to_cel(json.loads(text))
    except ValueError as error:
        raise CELEvalError(f"parseJSON: {error}") from error


_STRINGS: Final[dict[str, Callable[..., Any]]] = {
    "lowerAscii": lambda text: celtypes.StringType(str(text).lower()),
    "upperAscii": lambda text: celtypes.StringType(str(text).upper()),
    "trim": lambda text: celtypes.StringType(str(text).strip()),
    "split": lambda text, sep: json_to_cel(str(text).split(str(sep))),
    "replace": lambda text, old, new: celtypes.StringType(str(text).replace(str(old), str(new))),
    "join": lambda items, sep="": celtypes.StringType(str(sep).join(str(i) for i in items)),
}


def _score_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": item.get("name", ""),
        "value": item.get("value", 0),
        "quantity": item.get("quantity"),
    }


def _compare(compare: Callable[[str, str], int], left: Any, right: Any) -> int:
    if not isinstance(left, str) or not isinstance(right, str):
        raise CELEvalError("both arguments must be strings")
    try:
        return compare(left, right)
    except (InvalidVersion, InvalidQuantity) as error:
        raise CELEvalError(str(error)) from error


def _version_cmp(left: str, right: str) -> int:
    return Version.parse(left).compare(Version.parse(right))


def _quantity_cmp(left: str, right: str) -> int:
    a, b = parse_quantity(left), parse_quantity(right)
    return (a > b) - (a < b)
