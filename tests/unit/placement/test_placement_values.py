"""Quantities and semantic versions used by the prioritizers and CEL functions."""

from decimal import Decimal

import pytest

from ocm_core.placement.quantity import InvalidQuantity, parse_quantity
from ocm_core.placement.semver import InvalidVersion, Version


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4", Decimal(4)),
        ("500m", Decimal("0.5")),
        ("2Ki", Decimal(2048)),
        ("1Gi", Decimal(1024**3)),
        ("1G", Decimal(10**9)),
        ("1.5", Decimal("1.5")),
        ("1e3", Decimal(1000)),
        (8, Decimal(8)),
    ],
)
def test_parse_quantity(text: str | int, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1Qi", "1.2.3"])
def test_bad_quantity(text: str) -> None:
    with pytest.raises(InvalidQuantity):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1.25.0", "1.24.9", 1),
        ("v1.24.0", "1.24.0", 0),
        ("1.24.0-rc.1", "1.24.0", -1),
        ("1.24.0-alpha", "1.24.0-beta", -1),
        ("1.24.0-2", "1.24.0-10", -1),
        ("1.24.0-1", "1.24.0-a", -1),
        ("1.24.0-a.1", "1.24.0-a", 1),
        ("1.10.0", "1.9.0", 1),
        ("1.2.3+build", "1.2.3", 0),
    ],
)
def test_version_compare(left: str, right: str, expected: int) -> None:
    assert Version.parse(left).compare(Version.parse(right)) == expected


@pytest.mark.parametrize("text", ["1.2", "x1.2.3", "01.2.3"])
def test_bad_version(text: str) -> None:
    with pytest.raises(InvalidVersion):
        Version.parse(text)
