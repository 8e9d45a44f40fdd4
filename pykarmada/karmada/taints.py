"""Cluster taints and placement tolerations (core/v1 semantics, without the Lt/Gt operators).

Used by the scheduler's TaintToleration filter and, later, by the taint manager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

__all__ = ["Taint", "Toleration", "tolerates_taint", "find_untolerated_taint", "taint_to_string"]

NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"


class Taint(TypedDict, total=False):
    key: str
    value: str
    effect: str
    timeAdded: str


class Toleration(TypedDict, total=False):
    key: str
    operator: str
    value: str
    effect: str
    tolerationSeconds: int


def tolerates_taint(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``: empty effect and empty key are wildcards; an empty operator
    means ``Equal``; unknown operators (including Lt/Gt) tolerate nothing."""
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def find_untolerated_taint(
    taints: Iterable[Mapping[str, Any]] | None,
    tolerations: Iterable[Mapping[str, Any]] | None,
    effects: tuple[str, ...] = (NO_SCHEDULE, NO_EXECUTE),
) -> Mapping[str, Any] | None:
    """The first taint (in list order) with one of ``effects`` that no toleration tolerates."""
    tolerations = list(tolerations or ())
    for taint in taints or ():
        if (taint.get("effect") or "") not in effects:
            continue
        if not any(tolerates_taint(t, taint) for t in tolerations):
            return taint
    return None


def taint_to_string(taint: Mapping[str, Any]) -> str:
    """``Taint.ToString``: ``key=value:Effect``, leaving out the empty parts."""
    key, value, effect = taint.get("key") or "", taint.get("value") or "", taint.get("effect") or ""
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"
