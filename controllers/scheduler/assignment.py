"""Replica assignment over the selected clusters (behaviour.md 2.7 and 2.8).

* Duplicated: every cluster gets ``spec.replicas``.
* StaticWeight: Webster over the static weights; the previous placement is irrelevant.
* DynamicWeight / Aggregated: incremental ("steady") by default, so scaling keeps what is already
  placed; a pending explicit reschedule recomputes from scratch ("fresh").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pykarmada.controllers.scheduler import spec as specs
from pykarmada.controllers.scheduler.framework import ClusterDetail, SchedulingError, TargetCluster, UnschedulableError
from pykarmada.controllers.scheduler.memo import PerClusters, shape_key
from pykarmada.karmada.selectors import cluster_matches
from pykarmada.karmada.webster import divide_by_weight

__all__ = ["assign_replicas", "to_target_clusters"]

Assignment = list[tuple[str, int]]


def to_target_clusters(assignment: Sequence[tuple[str, int]]) -> list[TargetCluster]:
    """``[(name, replicas)]`` -> ``spec.clusters`` entries (``replicas`` omitted when 0)."""
    return [{"name": name, "replicas": replicas} if replicas else {"name": name} for name, replicas in assignment]


def assign_replicas(
    selected: Sequence[ClusterDetail],
    spec: Mapping[str, Any],
    *,
    observed_affinity_name: str,
    fresh: bool,
) -> Assignment:
    """Upstream ``AssignReplicas``: workloads are divided, everything else goes everywhere with 0."""
    if not selected:
        raise SchedulingError("no clusters available to schedule")
    replicas = spec.get("replicas") or 0
    components = spec.get("components") or ()
    if (replicas > 0 or spec.get("replicaRequirements") is not None) and len(components) <= 1:
        placement = spec.get("placement") or {}
        if specs.overflow_enabled(placement, observed_affinity_name):
            return _assign_by_overflow_tiers(selected, spec, fresh=fresh)
        return _assign_to_clusters(selected, spec, fresh=fresh)
    return [(c.name, 0) for c in selected]


def _assign_by_overflow_tiers(selected: Sequence[ClusterDetail], spec: Mapping[str, Any], *, fresh: bool) -> Assignment:
    """Fill the main affinity's clusters first, then each overflow tier, capped by capacity."""
    tiers: dict[int, list[ClusterDetail]] = {}
    for c in selected:
        tiers.setdefault(c.overflow_order, []).append(c)
    remaining = spec.get("replicas") or 0
    result: Assignment = []
    for order in sorted(tiers):
        tier = tiers[order]
        tier_replicas = min(remaining, sum(c.available for c in tier))
        result.extend(_assign_to_clusters(tier, {**spec, "replicas": tier_replicas}, fresh=fresh))
        remaining -= tier_replicas
        if remaining <= 0:
            break
    if remaining > 0:
        raise UnschedulableError("Clusters available replicas are not enough to schedule.")
    return result


def _assign_to_clusters(candidates: Sequence[ClusterDetail], spec: Mapping[str, Any], *, fresh: bool) -> Assignment:
    strategy = specs.strategy_of(spec.get("placement"))
    replicas = spec.get("replicas") or 0
    if strategy.kind == specs.DUPLICATED:
        result: Assignment = [(c.name, replicas) for c in candidates]
    elif strategy.kind == specs.STATIC_WEIGHT:
        result = _static_weight(candidates, spec, strategy.weight_preference)
    else:
        result = _dynamic(candidates, spec, aggregated=strategy.kind == specs.AGGREGATED, fresh=fresh)
    return [(name, n) for name, n in result if n > 0]


def _uid(spec: Mapping[str, Any]) -> str:
    return (spec.get("resource") or {}).get("uid") or ""


def _static_weight(candidates: Sequence[ClusterDetail], spec: Mapping[str, Any], weight_preference: Mapping[str, Any] | None) -> Assignment:
    """Weight = the largest weight among matching rules; no positive weight anywhere -> all 1."""
    rules = (weight_preference or {}).get("staticWeightList") or ()
    clusters = [c.cluster for c in candidates]
    weights = _STATIC_WEIGHTS.get(shape_key(rules), clusters, lambda: _rule_weights(candidates, rules))
    return divide_by_weight(spec.get("replicas") or 0, weights, uid=_uid(spec))


# Static weights by rule list, while the candidates are the same clusters.
_STATIC_WEIGHTS: PerClusters[Assignment] = PerClusters()


def _rule_weights(candidates: Sequence[ClusterDetail], rules: Sequence[Mapping[str, Any]]) -> Assignment:
    weights: Assignment = []
    for c in candidates:
        weight = 0
        for rule in rules:
            if cluster_matches(c.cluster, rule.get("targetCluster") or {}):
                weight = max(weight, rule.get("weight") or 0)
        if weight > 0:
            weights.append((c.name, weight))
    if sum(w for _, w in weights) == 0:
        weights = [(c.name, 1) for c in candidates]
    return weights


def _sorted_desc(entries: Assignment) -> Assignment:
    """By replicas descending; ties keep the incoming order."""
    return sorted(entries, key=lambda e: -e[1])


def _dynamic(candidates: Sequence[ClusterDetail], spec: Mapping[str, Any], *, aggregated: bool, fresh: bool) -> Assignment:
    names = {c.name for c in candidates}
    # Replicas on clusters that are no longer candidates are not counted as assigned: losing a
    # cluster becomes a scale-up in the same round.
    previous: Assignment = [
        (t["name"], t.get("replicas") or 0) for t in spec.get("clusters") or () if t.get("name") in names
    ]
    assigned = sum(n for _, n in previous)
    replicas = spec.get("replicas") or 0
    if fresh:
        prev_map: dict[str, int] = {}
        for name, n in previous:
            prev_map.setdefault(name, n)
        weights = _sorted_desc([(c.name, c.allocatable + prev_map.get(c.name, 0)) for c in candidates])
        return _divide(weights, replicas, [], spec, aggregated=aggregated, prefix="failed to do fresh scale: ")
    if assigned > replicas:
        return _divide(_sorted_desc(previous), replicas, [], spec, aggregated=aggregated, prefix="failed to scale down: ")
    if assigned < replicas:
        weights = _sorted_desc([(c.name, c.allocatable) for c in candidates])
        return _divide(weights, replicas - assigned, previous, spec, aggregated=aggregated, prefix="failed to scale up: ")
    return previous


def _divide(
    weights: Assignment,
    target: int,
    scheduled: Assignment,
    spec: Mapping[str, Any],
    *,
    aggregated: bool,
    prefix: str,
) -> Assignment:
    available = sum(w for _, w in weights)
    if available < target:
        raise UnschedulableError(f"{prefix}Clusters available replicas {available} are not enough to schedule.")
    if aggregated:
        prior = {name for name, n in scheduled if n > 0}
        if prior:
            weights = [w for w in weights if w[0] in prior] + [w for w in weights if w[0] not in prior]
        total = 0
        for i, (_, w) in enumerate(weights):
            total += w
            if total >= target:
                weights = weights[: i + 1]
                break
    return _merge(scheduled, divide_by_weight(target, weights, uid=_uid(spec)))


def _merge(old: Assignment, new: Assignment) -> Assignment:
    """New result (name order) plus previous replicas; clusters only in ``old`` are appended."""
    if not old:
        return new
    if not new:
        return old
    remaining: dict[str, int] = {}
    for name, n in old:
        remaining.setdefault(name, n)
    merged = []
    for name, n in new:
        if name in remaining:
            n += remaining.pop(name)
        merged.append((name, n))
    merged.extend((name, n) for name, n in old if name in remaining and remaining.pop(name, None) is not None)
    return merged
