"""Replica assignment: Duplicated, static and dynamic weights, Aggregated, overflow (2.7-2.8)."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.scheduler.assignment import assign_replicas
from pykarmada.controllers.scheduler.framework import ClusterDetail, SchedulingError, UnschedulableError
from tests.unit.scheduler.builders import ODD_UID, aggregated, binding_spec, cluster, duplicated, dynamic_weights, names, static_weights, targets


def details(prev: dict[str, int] | None = None, **allocatable: int) -> list[ClusterDetail]:
    """Candidates in the given order; Available = Allocatable + previously assigned."""
    prev = prev or {}
    return [ClusterDetail(n, cluster(n), available=a + prev.get(n, 0), allocatable=a) for n, a in allocatable.items()]


def assign(candidates: list[ClusterDetail], spec: dict[str, Any], *, fresh: bool = False, observed: str = "") -> dict[str, int]:
    return dict(assign_replicas(candidates, spec, observed_affinity_name=observed, fresh=fresh))


@pytest.mark.parametrize(
    ("placement", "replicas", "prev", "allocatable", "expected"),
    [
        (dynamic_weights(), 6, {}, {"m1": 10, "m2": 5, "m4": 2}, {"m1": 3, "m2": 2, "m4": 1}),
        (dynamic_weights(), 10, {"A": 4, "B": 2}, {"A": 10, "B": 6, "C": 4}, {"A": 6, "B": 3, "C": 1}),
        (dynamic_weights(), 5, {"A": 6, "B": 3, "C": 1}, {"A": 10, "B": 6, "C": 4}, {"A": 3, "B": 1, "C": 1}),
        (dynamic_weights(), 6, {"A": 4, "B": 2}, {"A": 0, "B": 0}, {"A": 4, "B": 2}),
        (dynamic_weights(), 6, {"A": 3, "B": 3}, {"A": 10, "C": 10}, {"A": 5, "C": 1}),
        (aggregated(), 12, {}, {"A": 10, "B": 8, "C": 3}, {"A": 7, "B": 5}),
        (aggregated(), 5, {"A": 6, "B": 3, "C": 1}, {"A": 10, "B": 8, "C": 3}, {"A": 5}),
        (aggregated(), 8, {"A": 5}, {"B": 10, "C": 4, "A": 2}, {"A": 6, "B": 2}),
        (aggregated(), 3, {}, {"A": 2, "B": 2, "C": 9}, {"C": 3}),
    ],
    ids=[
        "dynamic-first-schedule",
        "dynamic-scale-up-keeps-previous",
        "dynamic-scale-down-proportional",
        "dynamic-unchanged-keeps-previous",
        "dynamic-lost-cluster-is-scale-up",
        "aggregated-first-schedule",
        "aggregated-scale-down",
        "aggregated-scale-up-prefers-used-clusters",
        "aggregated-sorts-by-capacity",
    ],
)
def test_dynamic_strategies(placement: dict, replicas: int, prev: dict[str, int], allocatable: dict[str, int], expected: dict[str, int]) -> None:
    spec = binding_spec(replicas=replicas, placement=placement, clusters=targets(**prev))
    assert assign(details(prev, **allocatable), spec) == expected


def test_dynamic_result_order_is_name_then_previous_only_clusters() -> None:
    spec = binding_spec(replicas=10, placement=dynamic_weights(), clusters=targets(Z=2, A=2))
    result = assign_replicas(details({"Z": 2, "A": 2}, B=6, C=6, Z=0, A=0), spec, observed_affinity_name="", fresh=False)
    assert result == [("A", 2), ("B", 3), ("C", 3), ("Z", 2)], "zero-weight parties stay in the Webster result"
    # Aggregated cuts Z off the prefix: its previous replicas are appended after the result.
    spec = binding_spec(replicas=7, placement=aggregated(), clusters=targets(Z=2, A=2))
    result = assign_replicas(details({"Z": 2, "A": 2}, A=10, B=6, Z=0), spec, observed_affinity_name="", fresh=False)
    assert result == [("A", 5), ("Z", 2)]


@pytest.mark.parametrize(
    ("placement", "replicas", "prev", "message"),
    [
        (dynamic_weights(), 10, {}, "failed to scale up: Clusters available replicas 5 are not enough to schedule."),
        (aggregated(), 12, {"A": 2}, "failed to scale up: Clusters available replicas 5 are not enough to schedule."),
    ],
    ids=["dynamic", "aggregated"],
)
def test_not_enough_capacity_is_unschedulable(placement: dict, replicas: int, prev: dict[str, int], message: str) -> None:
    spec = binding_spec(replicas=replicas, placement=placement, clusters=targets(**prev))
    with pytest.raises(UnschedulableError) as err:
        assign(details(prev, A=3, B=2), spec)
    assert err.value.message == message


def test_fresh_mode_recomputes_with_previous_replicas_as_capacity() -> None:
    prev = {"A": 5, "B": 1}
    spec = binding_spec(replicas=6, placement=dynamic_weights(), clusters=targets(**prev))
    candidates = details(prev, A=1, B=5, C=6)
    assert assign(candidates, spec) == {"A": 5, "B": 1}, "steady keeps the placement"
    assert assign(candidates, spec, fresh=True) == {"A": 2, "B": 2, "C": 2}, "fresh: weights A6 B6 C6"
    with pytest.raises(UnschedulableError, match="failed to do fresh scale: Clusters available replicas 9 are not enough"):
        assign(details(prev, A=0, B=0, C=3), {**spec, "replicas": 10}, fresh=True)


@pytest.mark.parametrize(
    ("weights", "replicas", "uid", "expected"),
    [
        ({"A": 1, "B": 2}, 9, "", {"A": 3, "B": 6}),
        ({"A": 1, "B": 3}, 9, "", {"A": 2, "B": 7}),
        ({"A": 1, "B": 1}, 5, "", {"A": 3, "B": 2}),
        ({"A": 1, "B": 1}, 5, ODD_UID, {"A": 2, "B": 3}),
        ({"A": 1}, 4, "", {"A": 4}),
        ({"Z": 1}, 4, "", {"A": 2, "B": 2}),
        ({"A": 2, "B": 1}, 1, "", {"A": 1}),
    ],
    ids=["1:2", "1:3", "tie-ascending", "tie-descending-odd-uid", "unmatched-cluster-gets-nothing", "nothing-matches-all-weigh-1", "zero-dropped"],
)
def test_static_weights(weights: dict[str, int], replicas: int, uid: str, expected: dict[str, int]) -> None:
    spec = binding_spec(replicas=replicas, placement=static_weights(weights), uid=uid)
    assert assign(details(A=0, B=0), spec) == expected


def test_static_weight_takes_the_largest_matching_rule_and_ignores_previous() -> None:
    placement = static_weights({})
    placement["replicaScheduling"]["weightPreference"]["staticWeightList"] = [
        {"targetCluster": names("A", "B"), "weight": 1},
        {"targetCluster": names("B"), "weight": 3},
    ]
    spec = binding_spec(replicas=8, placement=placement, clusters=targets(A=8))
    assert assign(details({"A": 8}, A=0, B=0), spec) == {"A": 2, "B": 6}


def test_weighted_without_weight_preference_divides_evenly() -> None:
    placement = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}
    assert assign(details(A=0, B=0, C=0), binding_spec(replicas=7, placement=placement)) == {"A": 3, "B": 2, "C": 2}


def test_duplicated_and_non_workloads_keep_selection_order() -> None:
    candidates = details(C=1, A=1, B=1)
    dup = assign_replicas(candidates, binding_spec(replicas=3, placement=duplicated()), observed_affinity_name="", fresh=False)
    assert dup == [("C", 3), ("A", 3), ("B", 3)]
    config = assign_replicas(candidates, binding_spec(replicas=0, placement=static_weights({"A": 1})), observed_affinity_name="", fresh=False)
    assert config == [("C", 0), ("A", 0), ("B", 0)], "non-workloads are not divided"


def test_zero_replica_workload_with_requests_gets_nothing() -> None:
    spec = binding_spec(replicas=0, placement=duplicated(), requirements={"resourceRequest": {"cpu": "1"}})
    assert assign(details(A=5), spec) == {}


def test_no_selected_clusters() -> None:
    with pytest.raises(SchedulingError, match="no clusters available to schedule"):
        assign([], binding_spec(replicas=1))


OVERFLOW = {
    "clusterAffinities": [{"affinityName": "home", **names("A", "B"), "overflowAffinities": [{"affinityName": "cloud", **names("C")}]}],
    **aggregated(),
}


def tiered(**spec_tiers: tuple[int, int]) -> list[ClusterDetail]:
    return [ClusterDetail(n, cluster(n), overflow_order=o, available=a, allocatable=a) for n, (o, a) in spec_tiers.items()]


def test_overflow_fills_main_tier_first() -> None:
    candidates = tiered(A=(0, 3), B=(0, 1), C=(1, 10))
    spec = binding_spec(replicas=6, placement=OVERFLOW)
    assert assign(candidates, spec, observed="home") == {"A": 3, "B": 1, "C": 2}
    assert assign(candidates, {**spec, "replicas": 4}, observed="home") == {"A": 3, "B": 1}


def test_overflow_beyond_every_tier_is_unschedulable() -> None:
    with pytest.raises(UnschedulableError, match="^Clusters available replicas are not enough to schedule.$"):
        assign(tiered(A=(0, 3), C=(1, 2)), binding_spec(replicas=6, placement=OVERFLOW), observed="home")
