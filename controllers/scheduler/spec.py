"""Read-only helpers over a ResourceBinding ``spec``/``status`` and its ``placement`` (plain dicts).

Placement defaults are applied on read: the CRD defaults ``replicaSchedulingType`` to
``Divided`` when ``replicaScheduling`` is present, and the webhook sets
``replicaDivisionPreference: Weighted`` for Divided. Bindings written through the API always
carry both; applying them here keeps hand-built test objects and stored objects equivalent.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as C

__all__ = [
    "Strategy",
    "strategy_of",
    "is_workload",
    "assigned_replicas",
    "affinity_term",
    "effective_affinities",
    "overflow_enabled",
    "reschedule_required",
    "parse_time",
]

DUPLICATED = "Duplicated"
AGGREGATED = "Aggregated"
STATIC_WEIGHT = "StaticWeight"
DYNAMIC_WEIGHT = "DynamicWeight"


@dataclass(frozen=True, slots=True)
class Strategy:
    """The effective replica scheduling strategy of a placement."""

    present: bool  # replicaScheduling is set
    type: str  # Duplicated | Divided
    preference: str  # Aggregated | Weighted | "" (Duplicated)
    weight_preference: Mapping[str, Any] | None
    kind: str  # Duplicated | Aggregated | StaticWeight | DynamicWeight

    @property
    def is_static_weight(self) -> bool:
        """Divided + Weighted with no weightPreference, or static weights and no dynamicWeight.

        Spread constraints are ignored in that case (upstream ``shouldIgnoreSpreadConstraint``).
        """
        if self.type != C.REPLICA_SCHEDULING_DIVIDED or self.preference != C.DIVISION_PREFERENCE_WEIGHTED:
            return False
        wp = self.weight_preference
        return wp is None or (bool(wp.get("staticWeightList")) and not wp.get("dynamicWeight"))


_DUPLICATED_STRATEGY = Strategy(False, C.REPLICA_SCHEDULING_DUPLICATED, "", None, DUPLICATED)


def strategy_of(placement: Mapping[str, Any] | None) -> Strategy:
    rs = (placement or {}).get("replicaScheduling")
    if rs is None:
        return _DUPLICATED_STRATEGY
    rtype = rs.get("replicaSchedulingType") or C.REPLICA_SCHEDULING_DIVIDED
    if rtype == C.REPLICA_SCHEDULING_DUPLICATED:
        return Strategy(True, rtype, rs.get("replicaDivisionPreference") or "", rs.get("weightPreference"), DUPLICATED)
    preference = rs.get("replicaDivisionPreference") or C.DIVISION_PREFERENCE_WEIGHTED
    wp = rs.get("weightPreference")
    if preference == C.DIVISION_PREFERENCE_AGGREGATED:
        kind = AGGREGATED
    elif wp is not None and wp.get("dynamicWeight"):
        kind = DYNAMIC_WEIGHT
    else:
        kind = STATIC_WEIGHT
    return Strategy(True, rtype, preference, wp, kind)


def is_workload(spec: Mapping[str, Any]) -> bool:
    """replicas > 0, or replicaRequirements set, or at least one component."""
    return (spec.get("replicas") or 0) > 0 or spec.get("replicaRequirements") is not None or bool(spec.get("components"))


def assigned_replicas(spec: Mapping[str, Any]) -> dict[str, int]:
    """Replicas per cluster in ``spec.clusters`` (the first entry of a name counts)."""
    assigned: dict[str, int] = {}
    for target in spec.get("clusters") or ():
        assigned.setdefault(target.get("name"), target.get("replicas") or 0)
    return assigned


def affinity_term(placement: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for term in placement.get("clusterAffinities") or ():
        if term.get("affinityName") == name:
            return term
    return None


def effective_affinities(placement: Mapping[str, Any], observed_name: str, *, is_workload: bool) -> list[Mapping[str, Any]] | None:
    """Affinities a cluster must match one of (the ClusterAffinity filter); None = no restriction.

    ``clusterAffinity`` wins; otherwise the ``clusterAffinities`` term named ``observed_name`` plus,
    for workloads, its ``overflowAffinities``. No term with that name means no restriction.
    """
    if placement.get("clusterAffinity") is not None:
        return [placement["clusterAffinity"]]
    term = affinity_term(placement, observed_name)
    if term is None:
        return None
    affinities = [term]
    if is_workload:
        affinities.extend(term.get("overflowAffinities") or ())
    return affinities


def overflow_enabled(placement: Mapping[str, Any], observed_name: str) -> bool:
    """Overflow tiers apply only with clusterAffinities and a term that has overflowAffinities."""
    if placement.get("clusterAffinity") is not None or placement.get("clusterAffinities") is None or not observed_name:
        return False
    term = affinity_term(placement, observed_name)
    return term is not None and term.get("overflowAffinities") is not None


def parse_time(value: str | datetime.datetime | None) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def reschedule_required(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> bool:
    """``spec.rescheduleTriggeredAt`` later than ``status.lastScheduledTime`` (both set)."""
    triggered = parse_time(spec.get("rescheduleTriggeredAt"))
    last = parse_time((status or {}).get("lastScheduledTime"))
    return triggered is not None and last is not None and triggered > last
