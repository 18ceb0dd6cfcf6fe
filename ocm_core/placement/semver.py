"""Semantic versions for the CEL `versionIsGreaterThan` / `versionIsLessThan` functions.

Accepts an optional leading "v" like Kubernetes' `version.ParseSemantic`; build metadata is
ignored for ordering and pre-releases sort before their release (semver.org §11).
"""

import re
from dataclasses import dataclass
from typing import Final

_SEMVER: Final = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class InvalidVersion(ValueError):
    """The text is not a semantic version."""


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed semantic version; compare with `compare`."""

    release: tuple[int, int, int]
    pre_release: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Version":
        match = _SEMVER.match(text.strip())
        if match is None:
            raise InvalidVersion(f"{text!r} is not a semantic version like 1.30.0 or v1.30.0")
        release = (int(match["major"]), int(match["minor"]), int(match["patch"]))
        pre = tuple(match["pre"].split(".")) if match["pre"] else ()
        return cls(release, pre)

    def compare(self, other: "Version") -> int:
        """-1, 0 or 1 as self sorts before, equal to or after other."""
        if self.release != other.release:
            return -1 if self.release < other.release else 1
        return _compare_pre_release(self.pre_release, other.pre_release)


def _compare_pre_release(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    if left == right:
        return 0
    # A release has higher precedence than any of its pre-releases.
    if not left or not right:
        return 1 if not left else -1
    for a, b in zip(left, right, strict=False):
        if a == b:
            continue
        if a.isdigit() and b.isdigit():
            return -1 if int(a) < int(b) else 1
        if a.isdigit() != b.isdigit():
            # Numeric identifiers sort before alphanumeric ones.
            return -1 if a.isdigit() else 1
        return -1 if a < b else 1
    return -1 if len(left) < len(right) else 1
