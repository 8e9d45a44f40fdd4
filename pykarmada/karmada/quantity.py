"""``Quantity.Value()`` and ``Quantity.MilliValue()`` for scheduling arithmetic.

Parsing is ``kube.quantity`` (exact fractions). apimachinery rounds only when asked for an
integer, and rounds *up*; estimation depends on that (a 500m CPU request has ``Value() == 1``),
so these helpers mirror it instead of going through floats. Quantities repeat endlessly (every
Cluster status, every binding), so the pure string conversions are memoized.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from pykarmada.kube.quantity import parse_quantity as _parse_kube_quantity

__all__ = ["QuantityError", "parse_quantity", "quantity_value", "quantity_milli_value"]


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity."""


def parse_quantity(quantity: str | int | float | Fraction) -> Fraction:
    """Exact value of a quantity string; JSON numbers are accepted as they are."""
    if type(quantity) is str:
        return _parse_text(quantity)
    if isinstance(quantity, bool) or not isinstance(quantity, (str, int, float, Fraction)):
        raise QuantityError(f"quantity must be a string or number, got {quantity!r}")
    if isinstance(quantity, float):
        return Fraction(str(quantity))
    if isinstance(quantity, str):
        return _parse_text(str(quantity))
    return Fraction(quantity)


@functools.lru_cache(maxsize=16384)
def _parse_text(quantity: str) -> Fraction:
    try:
        return _parse_kube_quantity(quantity)
    except ValueError as exc:
        raise QuantityError(f"{exc}: {quantity!r}") from exc


@functools.lru_cache(maxsize=16384)
def _value_text(quantity: str) -> int:
    return math.ceil(_parse_text(quantity))


@functools.lru_cache(maxsize=16384)
def _milli_value_text(quantity: str) -> int:
    return math.ceil(_parse_text(quantity) * 1000)


def quantity_value(quantity: str | int | float | Fraction) -> int:
    """``Quantity.Value()``: the value rounded up to an integer."""
    if type(quantity) is str:
        return _value_text(quantity)
    if type(quantity) is int:
        return quantity
    return math.ceil(parse_quantity(quantity))


def quantity_milli_value(quantity: str | int | float | Fraction) -> int:
    """``Quantity.MilliValue()``: the value in thousandths, rounded up."""
    if type(quantity) is str:
        return _milli_value_text(quantity)
    if type(quantity) is int:
        return quantity * 1000
    return math.ceil(parse_quantity(quantity) * 1000)
