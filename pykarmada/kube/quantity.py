"""Kubernetes resource quantities ("500m", "32Gi", "1e3") as exact fractions."""

from __future__ import annotations

import re
from fractions import Fraction

_SUFFIXES = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$")


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a quantity; raises ValueError with the Kubernetes wording."""
    if isinstance(value, (int, float)):
        return Fraction(value)
    m = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    number, exponent, suffix = m.groups()
    result = Fraction(number)
    if exponent:
        result *= Fraction(10) ** int(exponent[1:])
    return result * _SUFFIXES[suffix or ""]


def is_quantity(value: object) -> bool:
    try:
        parse_quantity(value)  # type: ignore[arg-type]
        return True
    except (ValueError, TypeError):
        return False


_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def format_quantity(value: Fraction, *, binary: bool = False) -> str:
    """A canonical string: whole numbers as is (with the largest exact binary suffix when
    ``binary``), fractions in milli-units ("2500m")."""
    if value.denominator != 1:
        return f"{int(value * 1000)}m"
    whole = int(value)
    if binary and whole:
        for suffix, size in _BINARY:
            if whole % size == 0:
                return f"{whole // size}{suffix}"
    return str(whole)
