"""Cluster ordering and spread-constraint selection (behaviour.md 2.6).

Feasible clusters are sorted by overflow order asc, score desc, Available desc, name asc; that
order is used everywhere below. With spread constraints the scheduler picks a number of clusters
(by cluster) or a combination of regions and clusters inside them (by region).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykarmada.controllers.scheduler import spec as specs
from pykarmada.controllers.scheduler.framework import ClusterDetail, SchedulingError
from pykarmada.karmada import constants as C
from pykarmada.karmada.selectors import cluster_matches

__all__ = ["NO_OVERFLOW_MATCH", "overflow_order", "select_best_clusters", "select_groups", "GroupInfo"]

NO_OVERFLOW_MATCH = 1000
WEIGHT_UNIT = 1000
IGNORE_CAPACITY = -1


def overflow_order(cluster: Mapping[str, Any], placement: Mapping[str, Any], observed_name: str) -> int:
    """0 = matches the term's own affinity, k = its k-th overflow affinity, 1000 = none."""
    if placement.get("clusterAffinity") is not None or not placement.get("clusterAffinities"):
        return 0
    term = specs.affinity_term(placement, observed_name)
    if term is not None:
        if cluster_matches(cluster, term):
            return 0
        for index, affinity in enumerate(term.get("overflowAffinities") or (), start=1):
            if cluster_matches(cluster, affinity):
                return index
    return NO_OVERFLOW_MATCH


def select_best_clusters(
    placement: Mapping[str, Any],
    details: Sequence[ClusterDetail],
    need_replicas: int,
    spec: Mapping[str, Any],
) -> list[ClusterDetail]:
    """``SelectBestClusters``: ``details`` must already be in the global order."""
    constraints = placement.get("spreadConstraints") or []
    strategy = specs.strategy_of(placement)
    if not constraints or strategy.is_static_weight:
        return list(details)
    if strategy.kind == specs.DUPLICATED:
        need_replicas = IGNORE_CAPACITY
    by_field = {sc.get("spreadByField") or "": sc for sc in constraints}
    if C.SPREAD_BY_FIELD_REGION in by_field:
        return _select_by_region(by_field, details, spec)
    if C.SPREAD_BY_FIELD_CLUSTER in by_field:
        return _select_by_cluster(by_field[C.SPREAD_BY_FIELD_CLUSTER], details, need_replicas)
    raise SchedulingError("just support cluster and region spread constraint")


# ---------------------------------------------------------------------------------------------
# By cluster


def _select_by_cluster(constraint: Mapping[str, Any], details: Sequence[ClusterDetail], need_replicas: int) -> list[ClusterDetail]:
    total = len(details)
    if total < (constraint.get("minGroups") or 0):
        raise SchedulingError("the number of feasible clusters is less than spreadConstraint.MinGroups")
    need_count = min(total, constraint.get("maxGroups") or 0)
    if need_replicas == IGNORE_CAPACITY:
        return list(details[:need_count])
    selected = _select_by_available(details, need_count, need_replicas)
    if not selected:
        raise SchedulingError(f"no enough resource when selecting {need_count} clusters")
    return selected


def _select_by_available(details: Sequence[ClusterDetail], count: int, need_replicas: int) -> list[ClusterDetail]:
    """Take the first ``count``; while short of capacity, walk from the last selected position to
    the first, swapping in the remaining cluster with the most Available (strictly more)."""
    chosen = list(details[:count])
    rest = list(details[count:])
    position = len(chosen) - 1
    while sum(c.available for c in chosen) < need_replicas and position >= 0:
        best, best_available = -1, chosen[position].available
        for i, candidate in enumerate(rest):
            if candidate.available > best_available:
                best, best_available = i, candidate.available
        if best != -1:
            chosen[position], rest[best] = rest[best], chosen[position]
        position -= 1
    if sum(c.available for c in chosen) < need_replicas:
        return []
    return chosen


# ---------------------------------------------------------------------------------------------
# By region


def _group_score(clusters: Sequence[ClusterDetail], spec: Mapping[str, Any], min_groups: int) -> int:
    """Region score: capacity toward the target first (x1000), then the average cluster score."""
    placement = spec.get("placement") or {}
    replicas = spec.get("replicas") or 0
    if specs.strategy_of(placement).type == C.REPLICA_SCHEDULING_DUPLICATED:
        valid = [c for c in clusters if c.available >= replicas]
        if not valid:
            return 0
        return len(valid) * WEIGHT_UNIT + sum(c.score for c in valid) // len(valid)

    # minGroups is at least 1 after admission; guard the division for hand-built objects.
    min_groups = max(min_groups, 1)
    target = math.ceil(replicas / min_groups)
    cluster_min = 0
    for sc in placement.get("spreadConstraints") or ():
        if sc.get("spreadByField") == C.SPREAD_BY_FIELD_CLUSTER:
            cluster_min = sc.get("minGroups") or 0
    cluster_min = max(cluster_min, min_groups)
    sum_available = sum_score = walked = 0
    for c in clusters:
        sum_available += c.available
        sum_score += c.score
        walked += 1
        if walked >= cluster_min and sum_available >= target:
            break
    if sum_available < target:
        return sum_available * WEIGHT_UNIT + sum_score // len(clusters)
    return target * WEIGHT_UNIT + sum_score // walked


def _select_by_region(by_field: Mapping[str, Mapping[str, Any]], details: Sequence[ClusterDetail], spec: Mapping[str, Any]) -> list[ClusterDetail]:
    region_constraint = by_field[C.SPREAD_BY_FIELD_REGION]
    cluster_constraint = by_field.get(C.SPREAD_BY_FIELD_CLUSTER) or {}
    regions: dict[str, list[ClusterDetail]] = {}
    for d in details:
        region = (d.cluster.get("spec") or {}).get("region")
        if region:
            regions.setdefault(region, []).append(d)
    if len(regions) < (region_constraint.get("minGroups") or 0):
        raise SchedulingError("the number of feasible region is less than spreadConstraint.MinGroups")

    region_min = region_constraint.get("minGroups") or 0
    groups = [GroupInfo(name, len(members), _group_score(members, spec, region_min)) for name, members in regions.items()]
    chosen = select_groups(groups, region_min, region_constraint.get("maxGroups") or 0, cluster_constraint.get("minGroups") or 0)
    if not chosen:
        raise SchedulingError("the number of clusters is less than the cluster spreadConstraint.MinGroups")

    selected = [regions[g.name][0] for g in chosen]
    candidates = [d for g in chosen for d in regions[g.name][1:]]
    need_count = min(len(candidates) + len(selected), cluster_constraint.get("maxGroups") or 0)
    rest = need_count - len(selected)
    if rest > 0:
        candidates.sort(key=ClusterDetail.sort_key)
        selected.extend(candidates[:rest])
    return selected


@dataclass(slots=True)
class GroupInfo:
    name: str
    value: int  # clusters in the group
    weight: int  # group score


@dataclass(slots=True)
class _Path:
    id: int
    groups: list[GroupInfo] = field(default_factory=list)
    weight: int = 0
    value: int = 0

    def has_prefix(self, sub: _Path) -> bool:
        """``sub`` is a strict prefix of this path, by group names."""
        if len(sub.groups) >= len(self.groups):
            return False
        return all(self.groups[i].name == g.name for i, g in enumerate(sub.groups))


def select_groups(groups: list[GroupInfo], min_groups: int, max_groups: int, target: int) -> list[GroupInfo]:
    """Pick a combination of groups whose cluster count reaches ``target`` (behaviour.md 2.6 step 3)."""
    if not groups:
        return []
    paths = _feasible_paths(groups, min_groups, max_groups, target)
    if not paths:
        return []
    return _prioritize(paths).groups


def _feasible_paths(groups: list[GroupInfo], min_groups: int, max_groups: int, target: int) -> list[_Path]:
    """DFS over combinations (groups by count asc, score desc, name asc); a path is recorded as
    soon as it reaches ``target`` clusters within [min, max] groups, and not extended further."""
    groups = sorted(groups, key=lambda g: (g.value, -g.weight, g.name))
    current: list[GroupInfo] = []
    paths: list[_Path] = []

    def dfs(total: int, begin: int) -> None:
        if total >= target and min_groups <= len(current) <= max_groups:
            members = sorted(current, key=lambda g: (-g.weight, g.name))
            paths.append(_Path(len(paths) + 1, members, sum(g.weight for g in members), sum(g.value for g in members)))
            return
        if len(current) >= max_groups:
            return
        for i in range(begin, len(groups)):
            total += groups[i].value
            current.append(groups[i])
            dfs(total, i + 1)
            # Upstream stops backtracking when every group is needed for the minimum.
            if len(groups) == min_groups:
                break
            total -= groups[i].value
            current.pop()

    dfs(0, 0)
    return paths


def _prioritize(paths: list[_Path]) -> _Path:
    """Highest score, then most clusters, then lowest id; a strict prefix of the choice wins."""
    if len(paths) == 1:
        return paths[0]
    ranked = sorted(paths, key=lambda p: (-p.weight, -p.value, p.id))
    final = ranked[0]
    for path in ranked[1:]:
        if final.has_prefix(path):
            final = path
    return final
