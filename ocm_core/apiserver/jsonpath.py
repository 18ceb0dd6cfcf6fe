"""The JSONPath subset CRD printer columns and scale paths use. Pure.

Supported: ``.field``, ``['field']``, ``[n]``, ``[*]`` and filters ``[?(@.key=="value")]``
(OCM's columns select conditions by type this way). Anything else raises JSONPathError.
"""

from __future__ import annotations

import re
from typing import Any, Final

_TOKEN_RE: Final = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-$]+)
      | \[\s*'(?P<quoted>[^']*)'\s*\]
      | \[(?P<index>-?\d+|\*)\]
      | \[\?\(@\.(?P<fkey>[A-Za-z0-9_.\-]+)\s*==\s*(?:"(?P<fdq>[^"]*)"|'(?P<fsq>[^']*)')\)\]""",
    re.VERBOSE,
)


class JSONPathError(ValueError):
    """The expression uses syntax outside the supported subset."""


def _tokens(expr: str) -> list[re.Match[str]]:
    text = expr.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text.startswith("$"):
        text = text[1:]
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if not match:
            raise JSONPathError(f"unsupported JSONPath {expr!r} at {text[position:]!r}")
        tokens.append(match)
        position = match.end()
    return tokens


def _dotted(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evaluate(obj: Any, expr: str) -> list[Any]:
    """All values ``expr`` selects (empty when nothing matches)."""
    current = [obj]
    for token in _tokens(expr):
        following: list[Any] = []
        for value in current:
            if token["field"] is not None or token["quoted"] is not None:
                key = token["field"] if token["field"] is not None else token["quoted"]
                if isinstance(value, dict) and key in value:
                    following.append(value[key])
            elif token["index"] is not None:
                if not isinstance(value, list):
                    continue
                if token["index"] == "*":
                    following.extend(value)
                elif -len(value) <= (n := int(token["index"])) < len(value):
                    following.append(value[n])
            else:
                wanted = token["fdq"] if token["fdq"] is not None else token["fsq"]
                items = value if isinstance(value, list) else []
                following.extend(
                    i
                    for i in items
                    if isinstance(i, dict) and str(_dotted(i, token["fkey"])) == wanted
                )
        current = following
    return current


def get_field(obj: Any, path: str) -> Any:
    """The value at a plain ``.a.b`` path, or None."""
    found = evaluate(obj, path)
    return found[0] if found else None


def set_field(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set a plain ``.a.b`` path, creating intermediate objects."""
    parts = [t["field"] for t in _tokens(path)]
    if not parts or any(p is None for p in parts):
        raise JSONPathError(f"only .a.b paths can be set, not {path!r}")
    node = obj
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
