"""The ``kube`` library that customization scripts ``require``: upstream's four helpers, built on
the native interpreter's own rules so that a script and the built-in kinds agree."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from pykarmada.karmada.dependencies import pod_dependencies
from pykarmada.karmada.replicas import replica_requirements
from pykarmada.kube.quantity import format_quantity, parse_quantity

__all__ = ["KUBE_LIBRARY"]


def _quantity(value: Any, position: int) -> tuple[Fraction, bool]:
    if value is None:
        return Fraction(0), False
    if not isinstance(value, str):
        raise ValueError(f"bad argument #{position} (string expected, got {type(value).__name__})")
    return parse_quantity(value), value.strip().endswith("i")


def resource_add(*quantities: Any) -> str:
    """The sum of quantities, in the form of the first one that is not zero."""
    total, binary, seen = Fraction(0), False, False
    for position, value in enumerate(quantities, 1):
        amount, is_binary = _quantity(value, position)
        if amount and not seen:
            binary, seen = is_binary, True
        total += amount
    return format_quantity(total, binary=binary)


def accurate_pod_requirements(*args: Any) -> Any:
    if len(args) != 1:
        raise ValueError("getPodRequirements only accepts one argument")
    template = args[0] if isinstance(args[0], dict) else {}
    return replica_requirements(template.get("spec") or {}) or {}


def get_pod_dependencies(*args: Any) -> list[dict[str, Any]]:
    if len(args) != 2:
        raise ValueError("getPodDependencies only accepts two argument")
    template, namespace = args
    template = template if isinstance(template, dict) else {}
    return pod_dependencies(template.get("spec") or {}, str(namespace) if namespace is not None else "default")


def get_resource_quantity(*args: Any) -> float:
    if len(args) != 1:
        raise ValueError("getResourceQuantity only accepts one argument")
    amount, _ = _quantity(args[0], 1)
    if amount < 0:
        raise ValueError(f"int approximation unexpectedly returned a negative value: {args[0]!r}")
    return float(amount)


KUBE_LIBRARY: dict[str, Callable[..., Any]] = {
    "resourceAdd": resource_add,
    "accuratePodRequirements": accurate_pod_requirements,
    "getPodDependencies": get_pod_dependencies,
    "getResourceQuantity": get_resource_quantity,
}
