"""Rendering of field errors as apimachinery prints them."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.karmada.fielderrors import FieldPath, aggregate, duplicate, forbidden, invalid, not_supported, required, too_long

P = FieldPath("spec").child("placement").child("spreadConstraints").index(0)

CASES = [
    pytest.param(invalid(P.child("minGroups"), -1, "must be >= 0"), "spec.placement.spreadConstraints[0].minGroups: Invalid value: -1: must be >= 0", id="invalid-int"),
    pytest.param(invalid(P, "a b", "bad"), 'spec.placement.spreadConstraints[0]: Invalid value: "a b": bad', id="invalid-string"),
    pytest.param(invalid(P, None, "bad"), "spec.placement.spreadConstraints[0]: Invalid value: null: bad", id="invalid-null"),
    pytest.param(invalid(P, False, "bad"), "spec.placement.spreadConstraints[0]: Invalid value: false: bad", id="invalid-bool"),
    pytest.param(invalid(P, {"a": [1]}, "bad"), 'spec.placement.spreadConstraints[0]: Invalid value: {"a":[1]}: bad', id="invalid-object"),
    pytest.param(required(FieldPath("metadata", "labels").key("x/y"), "why"), "metadata.labels[x/y]: Required value: why", id="required-key"),
    pytest.param(required(FieldPath("spec")), "spec: Required value", id="required-bare"),
    pytest.param(forbidden(FieldPath("spec", "overriders"), "no"), "spec.overriders: Forbidden: no", id="forbidden"),
    pytest.param(duplicate(FieldPath("a").index(2), "x"), 'a[2]: Duplicate value: "x"', id="duplicate"),
    pytest.param(not_supported(FieldPath("op"), "Lt", ["", "Exists"]), 'op: Unsupported value: "Lt": supported values: "", "Exists"', id="not-supported"),
    pytest.param(too_long(FieldPath("v"), 10), "v: Too long: may not be more than 10 bytes", id="too-long"),
]


@pytest.mark.parametrize(("error", "text"), CASES)
def test_render(error: Any, text: str) -> None:
    assert str(error) == text


def test_long_values_are_shortened() -> None:
    text = str(invalid(FieldPath("x"), "y" * 1000, "bad"))
    assert len(text) < 300 and text.endswith('...: bad')


@pytest.mark.parametrize(
    ("errors", "text"),
    [
        pytest.param([required(FieldPath("a"))], "a: Required value", id="one"),
        pytest.param([required(FieldPath("a")), required(FieldPath("b"))], "[a: Required value, b: Required value]", id="two"),
        pytest.param([required(FieldPath("a")), required(FieldPath("a"))], "a: Required value", id="deduplicated"),
    ],
)
def test_aggregate(errors: list[Any], text: str) -> None:
    assert aggregate(errors) == text
