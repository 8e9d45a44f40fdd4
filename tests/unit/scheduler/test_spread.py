"""Spread-constraint selection by cluster and by region (behaviour.md 2.6)."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.scheduler.framework import ClusterDetail, SchedulingError
from pykarmada.controllers.scheduler.spread import GroupInfo, select_best_clusters, select_groups
from tests.unit.scheduler.builders import binding_spec, cluster, duplicated, dynamic_weights, static_weights


def detail(name: str, available: int, *, score: int = 0, region: str = "") -> ClusterDetail:
    return ClusterDetail(name=name, cluster=cluster(name, region=region), score=score, available=available, allocatable=available)


def ordered(*details: ClusterDetail) -> list[ClusterDetail]:
    return sorted(details, key=ClusterDetail.sort_key)


def by_cluster(min_groups: int, max_groups: int) -> list[dict[str, Any]]:
    return [{"spreadByField": "cluster", "minGroups": min_groups, "maxGroups": max_groups}]


def select(placement: dict[str, Any], details: list[ClusterDetail], replicas: int) -> list[str]:
    spec = binding_spec(replicas=replicas, placement=placement)
    return [d.name for d in select_best_clusters(placement, details, replicas, spec)]


def test_sort_order_overflow_score_available_name() -> None:
    a = ClusterDetail("a", {}, score=0, overflow_order=1, available=99)
    b = ClusterDetail("b", {}, score=100, overflow_order=0, available=1)
    c = ClusterDetail("c", {}, score=0, overflow_order=0, available=5)
    d = ClusterDetail("d", {}, score=0, overflow_order=0, available=5)
    e = ClusterDetail("e", {}, score=0, overflow_order=0, available=9)
    assert [x.name for x in ordered(a, b, c, d, e)] == ["b", "e", "c", "d", "a"]


def test_by_cluster_swaps_in_capacity_from_the_last_position() -> None:
    details = [detail("m1", 40, score=60), detail("m2", 30, score=50), detail("m3", 60, score=40)]
    assert select(dynamic_weights(spreadConstraints=by_cluster(1, 2)), details, 80) == ["m1", "m3"]


@pytest.mark.parametrize(
    ("constraint", "replicas", "message"),
    [
        (by_cluster(4, 5), 1, "the number of feasible clusters is less than spreadConstraint.MinGroups"),
        (by_cluster(1, 2), 200, "no enough resource when selecting 2 clusters"),
        (by_cluster(0, 0), 1, "no enough resource when selecting 0 clusters"),
        ([{"spreadByField": "zone", "minGroups": 1, "maxGroups": 2}], 1, "just support cluster and region spread constraint"),
        ([{"spreadByLabel": "topology", "minGroups": 1, "maxGroups": 2}], 1, "just support cluster and region spread constraint"),
    ],
    ids=["min-groups", "not-enough-capacity", "max-groups-zero", "zone-only", "spread-by-label"],
)
def test_selection_errors(constraint: list[dict[str, Any]], replicas: int, message: str) -> None:
    details = [detail("m1", 40), detail("m2", 30), detail("m3", 60)]
    with pytest.raises(SchedulingError, match=message):
        select(dynamic_weights(spreadConstraints=constraint), ordered(*details), replicas)


def test_duplicated_ignores_capacity() -> None:
    details = ordered(detail("m1", 1), detail("m2", 2), detail("m3", 3))
    assert select(duplicated(spreadConstraints=by_cluster(1, 2)), details, 100) == ["m3", "m2"]
    assert select({"spreadConstraints": by_cluster(1, 1)}, details, 100) == ["m3"], "no replicaScheduling = Duplicated"


def test_static_weights_ignore_spread_constraints() -> None:
    details = ordered(detail("m1", 1), detail("m2", 2), detail("m3", 3))
    placement = static_weights({"m1": 1}, spreadConstraints=by_cluster(1, 1))
    assert select(placement, details, 100) == ["m3", "m2", "m1"]
    no_preference = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}, "spreadConstraints": by_cluster(1, 1)}
    assert len(select(no_preference, details, 100)) == 3


REGION_A = [
    detail("m1", 10, region="r1"),
    detail("m2", 5, region="r1"),
    detail("m3", 4, region="r2"),
    detail("m4", 2, region="r3"),
    detail("m5", 2, region="r3"),
]


def by_region(region: tuple[int, int], clusters: tuple[int, int] | None) -> list[dict[str, Any]]:
    out = [{"spreadByField": "region", "minGroups": region[0], "maxGroups": region[1]}]
    if clusters:
        out.append({"spreadByField": "cluster", "minGroups": clusters[0], "maxGroups": clusters[1]})
    return out


def test_region_example_a() -> None:
    placement = dynamic_weights(spreadConstraints=by_region((2, 2), (2, 3)))
    assert select(placement, ordered(*REGION_A), 6) == ["m1", "m4", "m2"]


def test_region_one_cluster_per_region_without_cluster_constraint() -> None:
    # Paths stop growing at the region minimum: 1..3 regions picks a single (best) region.
    assert select(duplicated(spreadConstraints=by_region((1, 3), None)), ordered(*REGION_A), 1) == ["m1"]
    # Regions in path order (score desc: r1 and r3 fit the replica twice, r2 once), no extras.
    assert select(duplicated(spreadConstraints=by_region((3, 3), None)), ordered(*REGION_A), 1) == ["m1", "m4", "m3"]


def test_region_clusters_without_region_are_ignored_and_min_regions_enforced() -> None:
    details = ordered(detail("m1", 10, region="r1"), detail("m2", 10))
    with pytest.raises(SchedulingError, match="the number of feasible region is less than spreadConstraint.MinGroups"):
        select(dynamic_weights(spreadConstraints=by_region((2, 2), (1, 2))), details, 2)


def test_region_cluster_min_unreachable() -> None:
    with pytest.raises(SchedulingError, match="the number of clusters is less than the cluster spreadConstraint.MinGroups"):
        select(dynamic_weights(spreadConstraints=by_region((1, 1), (3, 3))), ordered(*REGION_A), 6)


def test_region_example_b_prefers_a_strict_prefix() -> None:
    groups = [GroupInfo("r1", 2, 3000), GroupInfo("r2", 1, 2000), GroupInfo("r3", 2, 1500)]
    assert [g.name for g in select_groups(groups, 1, 3, 2)] == ["r1"]


@pytest.mark.parametrize(
    ("groups", "bounds", "expected"),
    [
        ([GroupInfo("a", 1, 10), GroupInfo("b", 1, 20)], (2, 2, 2), ["b", "a"]),
        ([GroupInfo("a", 1, 10), GroupInfo("b", 1, 20), GroupInfo("c", 5, 0)], (1, 1, 2), ["c"]),
        ([GroupInfo("a", 1, 10)], (1, 1, 5), []),
        ([], (1, 1, 1), []),
    ],
    ids=["all-groups-needed", "only-big-group-reaches-target", "infeasible", "no-groups"],
)
def test_select_groups(groups: list[GroupInfo], bounds: tuple[int, int, int], expected: list[str]) -> None:
    assert [g.name for g in select_groups(groups, *bounds)] == expected


def test_duplicated_region_score_prefers_regions_with_more_fitting_clusters() -> None:
    details = ordered(
        detail("a1", 60, score=100, region="ra"),
        detail("a2", 10, score=100, region="ra"),
        detail("b1", 60, region="rb"),
        detail("b2", 60, region="rb"),
    )
    # ra: one cluster fits 50 replicas -> 1100; rb: two fit -> 2000.
    placement = duplicated(spreadConstraints=by_region((1, 1), (1, 2)))
    assert select(placement, details, 50) == ["b1", "b2"]
