"""WorkloadRebalancer decisions (upstream's ``workloadrebalancer`` controller), pure: which
workloads the status tracks, whether a binding still needs the trigger, when the rebalancer
finished and when its TTL is up. The controller reads and writes the objects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

Obj = dict[str, Any]
SUCCESSFUL = "Successful"
FAILED = "Failed"
REASON_BINDING_NOT_FOUND = "ReferencedBindingNotFound"
_REF_KEYS = ("apiVersion", "kind", "name", "namespace")


def _ref(workload: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(workload.get(k) or "" for k in _REF_KEYS)


def _clean(workload: Mapping[str, Any]) -> Obj:
    return {k: workload[k] for k in _REF_KEYS if workload.get(k)}


def observed_workloads(spec: Mapping[str, Any], status: Mapping[str, Any]) -> list[Obj]:
    """``syncWorkloadsFromSpecToStatus``: the status items of workloads still in the spec, the
    Successful ones of workloads taken out (what was done stays recorded), a fresh item for each
    new workload; sorted by apiVersion, kind, namespace, name."""
    wanted = {_ref(w): w for w in spec.get("workloads") or ()}
    out: list[Obj] = []
    for item in status.get("observedWorkloads") or ():
        ref = _ref(item.get("workload") or {})
        if ref in wanted:
            out.append(dict(item))
            del wanted[ref]
        elif item.get("result") == SUCCESSFUL:
            out.append(dict(item))
    out += [{"workload": _clean(w)} for w in wanted.values()]

    def order(item: Mapping[str, Any]) -> str:
        w = item.get("workload") or {}
        return f"{w.get('apiVersion', '')} {w.get('kind', '')} {w.get('namespace', '')} {w.get('name', '')}"

    return sorted(out, key=order)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def needs_trigger(created: str, triggered_at: str | None) -> bool:
    """The binding was not triggered by this rebalancer yet: never triggered, or only before it
    was created."""
    at, since = parse_time(triggered_at), parse_time(created)
    return at is None or (since is not None and since > at)


def seconds_left(finish_time: str, ttl: int, now: datetime) -> float:
    """Seconds until the TTL after ``finish_time`` runs out (0 or less: delete now)."""
    finished = parse_time(finish_time)
    assert finished is not None
    return finished.timestamp() + ttl - now.timestamp()
