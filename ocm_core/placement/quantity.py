"""Kubernetes resource quantities ("500m", "4Gi", "1e3") as exact decimals.

The allocatable prioritizers and the CEL `quantityIs*` functions compare quantities; parsing
them exactly (Decimal, not float) keeps "1000Mi" < "1Gi" true.
"""

import re
from decimal import Decimal
from typing import Final

_BINARY_SUFFIXES: Final = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_QUANTITY: Final = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]?))$"
)


class InvalidQuantity(ValueError):
    """The text is not a Kubernetes quantity."""


def parse_quantity(text: str | int | float) -> Decimal:
    """Return the value of a quantity; ints and floats (JSON numbers) are taken as they are."""
    if isinstance(text, bool):
        raise InvalidQuantity(f"{text!r} is not a quantity")
    if isinstance(text, int | float):
        return Decimal(str(text))
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise InvalidQuantity(
            f"{text!r} is not a quantity (expected a number with an optional suffix such as "
            "500m, 2Gi or 1e3)"
        )
    number = Decimal(match["number"])
    if match["binary"]:
        return number * (Decimal(1024) ** _BINARY_SUFFIXES[match["binary"]])
    if match["exponent"]:
        return number.scaleb(int(match["exponent"][1:]))
    return number.scaleb(_DECIMAL_SUFFIXES[match["decimal"] or ""])
