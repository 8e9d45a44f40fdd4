"""Timestamps and ``metav1.Condition`` lists as Kubernetes writes them."""

from __future__ import annotations

import datetime
from typing import Any


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp_of(value: str) -> float:
    """Seconds since the epoch of a Time or MicroTime (``...Z``, optional fraction)."""
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def get_condition(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions or [] if c.get("type") == type_), None)


def set_condition(
    conditions: list[dict[str, Any]] | None,
    type_: str,
    status: str,
    reason: str,
    message: str,
    *,
    observed_generation: int | None = None,
) -> list[dict[str, Any]]:
    """A new list with the condition replaced or added; lastTransitionTime moves only when the
    status changes. Sorted by type, so that equal content compares equal."""
    old = get_condition(conditions, type_)
    out = [dict(c) for c in conditions or [] if c.get("type") != type_]
    cond: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == status and old.get("lastTransitionTime") else now_rfc3339(),
    }
    if observed_generation is not None:
        cond["observedGeneration"] = observed_generation
    out.append(cond)
    return sorted(out, key=lambda c: c["type"])
