"""The descheduler's decisions, pure (behaviour.md 9; upstream ``pkg/descheduler/core``).

Only ResourceBindings of ``apps/v1`` Deployments whose applied placement divides replicas
dynamically (Divided and Aggregated, or Weighted by dynamic weight) are looked at. A cluster is
undesired when fewer replicas are ready there than assigned. For each undesired cluster the
estimators say how many replicas have been unschedulable longer than the threshold; with
``0 < unschedulable <= assigned`` the cluster keeps ``assigned - unschedulable`` (raised to the
ready count when that lies between), and the scheduler places the difference elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.estimation.protocol import UNKNOWN
from pykarmada.karmada.validation import is_overflow_scheduling_allowed

SUCCESS_MESSAGE = "Binding has been descheduled"
SUPPORTED = {("apps/v1", "Deployment")}


def is_candidate(binding: Mapping[str, Any]) -> bool:
    """A Deployment's binding whose applied placement is dynamically divided."""
    spec = binding.get("spec") or {}
    resource = spec.get("resource") or {}
    if (resource.get("apiVersion"), resource.get("kind")) not in SUPPORTED:
        return False
    raw = ((binding.get("metadata") or {}).get("annotations") or {}).get(C.APPLIED_PLACEMENT_ANNOTATION)
    if not raw:
        return False
    try:
        placement = json.loads(raw)
    except ValueError:
        return False
    return isinstance(placement, dict) and is_overflow_scheduling_allowed(placement.get("replicaScheduling"))


def ready_replicas(binding: Mapping[str, Any]) -> dict[str, int]:
    """``readyReplicas`` of each cluster's reflected status (clusters without one are absent)."""
    out = {}
    for item in (binding.get("status") or {}).get("aggregatedStatus") or ():
        status = item.get("status")
        if isinstance(status, Mapping) and isinstance(status.get("readyReplicas"), (int, float)):
            out[item.get("clusterName")] = int(status["readyReplicas"])
    return out


def undesired_clusters(binding: Mapping[str, Any]) -> list[str]:
    ready = ready_replicas(binding)
    return [t["name"] for t in (binding.get("spec") or {}).get("clusters") or () if ready.get(t["name"], UNKNOWN) < (t.get("replicas") or 0)]


@dataclass(frozen=True)
class Plan:
    clusters: list[dict[str, Any]]  # the new spec.clusters
    message: str  # the DescheduleBindingSucceed text
    descheduled: int


def plan(binding: Mapping[str, Any], unschedulable: Mapping[str, int]) -> Plan | None:
    """New ``spec.clusters`` once ``unschedulable`` replicas (per cluster; UNKNOWN ignored) move
    away; None when nothing changes."""
    ready = ready_replicas(binding)
    clusters = [dict(t) for t in (binding.get("spec") or {}).get("clusters") or ()]
    parts, total = [], 0
    for target in clusters:
        assigned, stuck = target.get("replicas") or 0, unschedulable.get(target["name"], 0)
        if stuck == UNKNOWN or not 0 < stuck <= assigned:
            continue
        keep = assigned - stuck
        have = ready.get(target["name"], UNKNOWN)
        if keep < have <= assigned:
            keep = have
        target["replicas"] = keep
        parts.append(f", {assigned - keep} replica(s) in cluster({target['name']})")
        total += assigned - keep
    if total == 0:
        return None
    return Plan(clusters, f"{SUCCESS_MESSAGE}{''.join(parts)}, {total} total descheduled replica(s)", total)
