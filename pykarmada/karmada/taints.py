"""Cluster taints and placement tolerations (core/v1 semantics, without the Lt/Gt operators).

Used by the scheduler's TaintToleration filter, the taint manager (when a binding must leave a
cluster with NoExecute taints), the ClusterTaintPolicy controller and ``karmadactl taint``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

__all__ = [
    "Taint", "Toleration", "tolerates_taint", "find_untolerated_taint", "taint_to_string", "no_execute_taints",
    "matching_tolerations", "toleration_seconds_left", "taints_summary", "same_taint",
]  # fmt: skip

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


def same_taint(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``Taint.MatchTaint``: the same key and effect (the value does not count)."""
    return (a.get("key") or "") == (b.get("key") or "") and (a.get("effect") or "") == (b.get("effect") or "")


def no_execute_taints(taints: Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    return [t for t in taints or () if t.get("effect") == NO_EXECUTE]


def matching_tolerations(
    taints: Sequence[Mapping[str, Any]], tolerations: Iterable[Mapping[str, Any]] | None
) -> tuple[bool, list[Mapping[str, Any]]]:
    """Whether every taint is tolerated, and for each the first toleration that does (upstream's
    ``GetMatchingTolerations``); ``(False, [])`` as soon as one is not."""
    tolerations = list(tolerations or ())
    used = []
    for taint in taints:
        toleration = next((t for t in tolerations if tolerates_taint(t, taint)), None)
        if toleration is None:
            return False, []
        used.append(toleration)
    return True, used


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def toleration_seconds_left(
    taints: Sequence[Mapping[str, Any]], used: Sequence[Mapping[str, Any]], now: datetime
) -> float:
    """Seconds until the first tolerated NoExecute taint runs out (upstream's
    ``GetMinTolerationTimeWithCurrentTime``): ``-1`` when every toleration lasts forever, ``0`` when
    one has run out already (or there are taints but no tolerations). A deadline is a taint's
    ``timeAdded`` plus the ``tolerationSeconds`` of each used toleration that tolerates it."""
    if not taints:
        return -1
    if not used:
        return 0
    deadlines = []
    for toleration in used:
        seconds = toleration.get("tolerationSeconds")
        if seconds is None:
            continue
        for taint in taints:
            if taint.get("timeAdded") and tolerates_taint(toleration, taint):
                deadlines.append(_time(taint["timeAdded"]).timestamp() + int(seconds))
    if not deadlines:
        return -1
    left = min(deadlines) - now.timestamp()
    return left if left > 0 else 0


def taints_summary(taints: Iterable[Mapping[str, Any]]) -> str:
    """``GenerateTaintsMessage``: ``cluster now has taints([{Key:k,Value:v,Effect:E},...])``."""
    parts = []
    for t in taints:
        value = f"Value:{t['value']}," if t.get("value") else ""
        parts.append(f"{{Key:{t.get('key') or ''},{value}Effect:{t.get('effect') or ''}}}")
    return f"cluster now has taints([{','.join(parts)}])" if parts else "cluster now does not have taints"
