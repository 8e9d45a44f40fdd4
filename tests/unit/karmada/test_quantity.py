"""Kubernetes quantities: exact parsing and Value()/MilliValue() rounding up."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pykarmada.karmada.quantity import QuantityError, parse_quantity, quantity_milli_value, quantity_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Fraction(1, 2)),
        ("2", Fraction(2)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("32Gi", Fraction(32 * 2**30)),
        ("1Ki", Fraction(1024)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(10**6)),
        ("1e3", Fraction(1000)),
        ("1E-3", Fraction(1, 1000)),
        ("100n", Fraction(1, 10**7)),
        ("-1", Fraction(-1)),
        ("+4", Fraction(4)),
        (110, Fraction(110)),
        (0.25, Fraction(1, 4)),
    ],
    ids=lambda v: repr(v),
)
def test_parse(text: str | int | float, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1Gb", "1.2.3", "Mi", "1 Gi", True], ids=repr)
def test_invalid(text: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [("500m", 1, 500), ("1", 1, 1000), ("1.0001", 2, 1001), ("1m", 1, 1), ("0.1m", 1, 1), ("4Gi", 4 * 2**30, 4 * 2**30 * 1000)],
    ids=["500m", "1", "1.0001", "1m", "0.1m-rounds-up", "4Gi"],
)
def test_value_and_milli_value_round_up(text: str, value: int, milli: int) -> None:
    assert quantity_value(text) == value
    assert quantity_milli_value(text) == milli
