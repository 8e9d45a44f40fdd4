"""The whole pipeline: filters -> scores -> selection -> assignment, and the binding outcome."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.scheduler import (
    FitError,
    SchedulingError,
    UnschedulableError,
    applied_placement_annotation,
    schedule,
    schedule_binding,
    success_event_message,
)
from tests.unit.scheduler.builders import (
    EVEN_UID,
    ODD_UID,
    aggregated,
    as_dict,
    binding_spec,
    cluster,
    duplicated,
    dynamic_weights,
    names,
    static_weights,
    targets,
)

NO_SCHEDULE = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}
NO_EXECUTE = {"key": "failover", "effect": "NoExecute"}
REF = "ResourceBinding(default/nginx-deployment)"


# ---------------------------------------------------------------------------------------------
# Filtering and FitError


def test_fit_error_histogram_example() -> None:
    clusters = [cluster("m1", apis=()), cluster("m2"), cluster("m3")]
    spec = binding_spec(replicas=1, placement={"clusterAffinity": names("m1")})
    with pytest.raises(FitError) as err:
        schedule(spec, clusters)
    assert str(err.value) == (
        "0/3 clusters are available: 1 cluster(s) did not have the API resource, "
        "2 cluster(s) did not match the placement cluster affinity constraint."
    )


def test_fit_error_histogram_is_sorted_as_strings() -> None:
    clusters = [cluster(f"a{i}", apis=()) for i in range(10)] + [cluster("t1", taints=[NO_SCHEDULE]), cluster("t2", taints=[NO_SCHEDULE])]
    with pytest.raises(FitError, match=r"^0/12 clusters are available: 10 cluster\(s\) did not have the API resource, 2 cluster\(s\) had untolerated"):
        schedule(binding_spec(replicas=1), clusters)


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        ([], "0/0 clusters are available: no cluster exists."),
        ([cluster("m1", deleting=True), cluster("m2", deleting=True)], "0/2 clusters are available: no cluster exists."),
    ],
    ids=["no-clusters", "only-deleting-clusters"],
)
def test_no_cluster_exists(clusters: list[dict[str, Any]], message: str) -> None:
    outcome = schedule_binding(binding_spec(replicas=1), clusters)
    assert outcome.condition == {"type": "Scheduled", "status": "False", "reason": "NoClusterFit", "message": message}
    assert outcome.clusters == [] and not outcome.retry


def test_taints_exclude_clusters_noschedule_and_noexecute() -> None:
    clusters = [cluster("m1", taints=[NO_SCHEDULE]), cluster("m2", taints=[NO_EXECUTE]), cluster("m3")]
    assert schedule(binding_spec(replicas=2, placement=duplicated()), clusters) == targets(m3=2)
    tolerant = duplicated(clusterTolerations=[{"key": "failover", "operator": "Exists", "effect": "NoExecute"}])
    assert schedule(binding_spec(replicas=2, placement=tolerant), clusters) == targets(m2=2, m3=2), "equal clusters are ordered by name"


def test_deleting_cluster_is_dropped_and_its_replicas_move() -> None:
    clusters = [cluster("m1", deleting=True), cluster("m2", pods=10), cluster("m3", pods=10)]
    spec = binding_spec(replicas=6, placement=dynamic_weights(), clusters=targets(m1=4, m2=2))
    assert as_dict(schedule(spec, clusters)) == {"m2": 4, "m3": 2}


def test_already_placed_cluster_keeps_its_replicas_despite_a_new_taint() -> None:
    clusters = [cluster("m1", taints=[NO_SCHEDULE], pods=10), cluster("m2", pods=10)]
    spec = binding_spec(replicas=6, placement=dynamic_weights(), clusters=targets(m1=3))
    assert as_dict(schedule(spec, clusters)) == {"m1": 5, "m2": 1}


# ---------------------------------------------------------------------------------------------
# Division through the pipeline


def test_static_weights_1_to_2_over_9() -> None:
    spec = binding_spec(replicas=9, placement=static_weights({"m1": 1, "m2": 2}))
    assert schedule(spec, [cluster("m1"), cluster("m2")]) == targets(m1=3, m2=6)


@pytest.mark.parametrize(
    ("replicas", "odd", "prev", "expected"),
    [
        (5, False, None, {"m1": 3, "m2": 2}),
        (7, False, {"m1": 3, "m2": 2}, {"m1": 4, "m2": 3}),
        (7, True, {"m1": 2, "m2": 3}, {"m1": 3, "m2": 4}),
    ],
    ids=["propagate-5", "scale-to-7", "scale-to-7-odd-uid"],
)
def test_end_to_end_example_static_1_to_1(replicas: int, odd: bool, prev: dict[str, int] | None, expected: dict[str, int]) -> None:
    placement = static_weights({"m1": 1, "m2": 1}, clusterAffinity=names("m1", "m2"))
    spec = binding_spec(
        replicas=replicas,
        placement=placement,
        uid=ODD_UID if odd else EVEN_UID,
        clusters=targets(**prev) if prev else None,
        requirements={"resourceRequest": {"cpu": "500m", "memory": "1Gi"}},
    )
    summary = {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}}
    assert schedule(spec, [cluster("m1", summary=summary), cluster("m2", summary=summary), cluster("m3", summary=summary)]) == targets(**expected)


def test_dynamic_weights_follow_available_capacity() -> None:
    request = {"resourceRequest": {"cpu": "1"}}
    clusters = [
        cluster("m1", summary={"allocatable": {"cpu": "10", "pods": "110"}}),
        cluster("m2", summary={"allocatable": {"cpu": "5", "pods": "110"}}),
        cluster("m4", summary={"allocatable": {"cpu": "4", "pods": "110"}, "allocated": {"cpu": "2", "pods": "3"}}),
    ]
    spec = binding_spec(replicas=6, placement=dynamic_weights(), requirements=request)
    assert as_dict(schedule(spec, clusters)) == {"m1": 3, "m2": 2, "m4": 1}


def test_scale_up_and_down_keep_the_existing_placement() -> None:
    clusters = [cluster("A", pods=10), cluster("B", pods=6), cluster("C", pods=4)]
    first = schedule(binding_spec(replicas=6, placement=dynamic_weights()), clusters)
    assert as_dict(first) == {"A": 3, "B": 2, "C": 1}

    # Capacity changes alone do not move anything.
    moved = [cluster("A", pods=1), cluster("B", pods=100), cluster("C", pods=100)]
    assert as_dict(schedule(binding_spec(replicas=6, placement=dynamic_weights(), clusters=first), moved)) == {"A": 3, "B": 2, "C": 1}

    up = schedule(binding_spec(replicas=10, placement=dynamic_weights(), clusters=first), clusters)
    assert as_dict(up) == {"A": 5, "B": 3, "C": 2}, "only the 4 new replicas are divided: W(4; 10,6,4) = A2 B1 C1"

    down = schedule(binding_spec(replicas=5, placement=dynamic_weights(), clusters=up), clusters)
    assert as_dict(down) == {"A": 2, "B": 2, "C": 1}

    agg = schedule(binding_spec(replicas=8, placement=aggregated(), clusters=targets(A=5)), [cluster("A", pods=2), cluster("B", pods=10), cluster("C", pods=4)])
    assert as_dict(agg) == {"A": 6, "B": 2}


def test_unschedulable_condition_keeps_clusters_and_retries() -> None:
    spec = binding_spec(replicas=10, placement=dynamic_weights())
    outcome = schedule_binding(spec, [cluster("m1", pods=3), cluster("m2", pods=2)])
    assert outcome.condition == {
        "type": "Scheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "failed to assign replicas: failed to scale up: Clusters available replicas 5 are not enough to schedule.",
    }
    assert outcome.clusters is None and outcome.retry
    assert isinstance(outcome.error, UnschedulableError)


def test_selection_error_is_a_scheduler_error() -> None:
    spec = binding_spec(replicas=2, placement=dynamic_weights(spreadConstraints=[{"spreadByField": "zone", "minGroups": 1, "maxGroups": 1}]))
    outcome = schedule_binding(spec, [cluster("m1", zones=["z1"])])
    assert outcome.condition["reason"] == "SchedulerError"
    assert outcome.condition["message"] == "failed to select clusters: just support cluster and region spread constraint"
    assert outcome.retry and outcome.clusters is None


def test_spread_by_region_picks_one_cluster_per_region() -> None:
    clusters = [
        cluster("e1", region="east", pods=50),
        cluster("e2", region="east", pods=60),
        cluster("w1", region="west", pods=40),
        cluster("w2", region="west", pods=5),
        cluster("n1", region="north", pods=30),
        cluster("x", pods=1000),
    ]
    spread = [{"spreadByField": "region", "minGroups": 2, "maxGroups": 2}, {"spreadByField": "cluster", "minGroups": 2, "maxGroups": 2}]
    result = schedule(binding_spec(replicas=4, placement=duplicated(spreadConstraints=spread)), clusters)
    assert result == targets(e2=4, w1=4)
    outcome = schedule_binding(binding_spec(replicas=12, placement=dynamic_weights(spreadConstraints=spread)), clusters)
    assert as_dict(outcome.clusters) == {"e2": 7, "w1": 5}
    assert "region" in schedule_binding(binding_spec(replicas=1, placement=duplicated(spreadConstraints=spread)), [cluster("x")]).condition["message"]


def test_non_workload_goes_everywhere_in_selection_order() -> None:
    spec = binding_spec(resource=("v1", "ConfigMap"), placement=static_weights({"a": 1}), clusters=[{"name": "c"}])
    clusters = [cluster(n, apis=(("v1", "ConfigMap"),)) for n in ("a", "b", "c")]
    assert schedule(spec, clusters) == [{"name": "c"}, {"name": "a"}, {"name": "b"}]


def test_empty_workload_propagation_appends_zero_entries() -> None:
    spec = binding_spec(replicas=1, placement=static_weights({"a": 1, "b": 1, "c": 1}))
    clusters = [cluster("a"), cluster("b"), cluster("c")]
    assert schedule(spec, clusters) == targets(a=1)
    assert schedule(spec, clusters, enable_empty_workload_propagation=True) == [{"name": "a", "replicas": 1}, {"name": "b"}, {"name": "c"}]


# ---------------------------------------------------------------------------------------------
# clusterAffinities


AFFINITIES = {
    "clusterAffinities": [
        {"affinityName": "primary", **names("m1")},
        {"affinityName": "backup", **names("m2", "m3")},
    ],
}


def test_cluster_affinities_fall_back_group_by_group() -> None:
    clusters = [cluster("m1", taints=[NO_SCHEDULE]), cluster("m2"), cluster("m3")]
    outcome = schedule_binding(binding_spec(replicas=2, placement=duplicated(**AFFINITIES)), clusters, binding_ref=REF)
    assert outcome.succeeded and outcome.affinity_name == "backup"
    assert outcome.clusters == targets(m2=2, m3=2)
    assert outcome.condition == {"type": "Scheduled", "status": "True", "reason": "Success", "message": "Binding has been scheduled successfully."}
    assert outcome.failed_attempts == [
        f"failed to schedule {REF} with clusterAffiliates index(0): 0/3 clusters are available: "
        "1 cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoSchedule}, "
        "2 cluster(s) did not match the placement cluster affinity constraint."
    ]


def test_cluster_affinities_all_failing_with_fit_error_empties_clusters() -> None:
    clusters = [cluster("m1", taints=[NO_SCHEDULE]), cluster("m2", apis=()), cluster("m3", apis=())]
    outcome = schedule_binding(binding_spec(replicas=2, placement=duplicated(**AFFINITIES)), clusters, status={"schedulerObservingAffinityName": "primary"})
    assert outcome.condition["reason"] == "NoClusterFit"
    assert outcome.condition["message"].startswith("0/3 clusters are available: 1 cluster(s) had untolerated taint")
    assert outcome.clusters == [] and not outcome.retry and outcome.affinity_name is None
    assert len(outcome.failed_attempts) == 2


def test_cluster_affinities_placed_cluster_bypasses_taints() -> None:
    clusters = [cluster("m1", taints=[NO_SCHEDULE]), cluster("m2"), cluster("m3")]
    outcome = schedule_binding(binding_spec(replicas=2, placement=duplicated(**AFFINITIES), clusters=targets(m1=2)), clusters)
    assert outcome.affinity_name == "primary" and outcome.clusters == targets(m1=2)


def test_cluster_affinities_first_error_decides_the_failure_kind() -> None:
    # primary fits (m1) but lacks capacity -> Unschedulable; backup has no fitting cluster.
    clusters = [cluster("m1", pods=1), cluster("m2", apis=()), cluster("m3", apis=())]
    outcome = schedule_binding(binding_spec(replicas=5, placement=dynamic_weights(**AFFINITIES)), clusters)
    assert outcome.condition["reason"] == "Unschedulable" and outcome.retry and outcome.clusters is None


def test_cluster_affinities_never_return_to_an_earlier_term_on_their_own() -> None:
    clusters = [cluster("m1"), cluster("m2"), cluster("m3")]
    status = {"schedulerObservingAffinityName": "backup", "lastScheduledTime": "2024-05-01T10:00:00Z"}
    spec = binding_spec(replicas=1, placement=duplicated(**AFFINITIES))
    assert schedule_binding(spec, clusters, status).affinity_name == "backup"
    spec["rescheduleTriggeredAt"] = "2024-05-01T11:00:00Z"
    assert schedule_binding(spec, clusters, status).affinity_name == "primary"


def test_overflow_affinities_through_the_pipeline() -> None:
    placement = aggregated(
        clusterAffinities=[{"affinityName": "home", **names("h1"), "overflowAffinities": [{"affinityName": "cloud", **names("c1", "c2")}]}]
    )
    clusters = [cluster("h1", pods=3), cluster("c1", pods=10), cluster("c2", pods=20), cluster("x", pods=100)]
    outcome = schedule_binding(binding_spec(replicas=8, placement=placement), clusters)
    assert outcome.affinity_name == "home"
    assert as_dict(outcome.clusters) == {"h1": 3, "c2": 5}


# ---------------------------------------------------------------------------------------------
# Helpers for the controller


def test_success_event_message() -> None:
    assert success_event_message(targets(m1=3, m2=2)) == "Binding has been scheduled successfully. Result: {m1:3, m2:2}"
    assert success_event_message([{"name": "m1"}], cluster_scoped=True) == "Binding has been scheduled successfully. Result {m1:0}"


def test_applied_placement_annotation_is_compact_json() -> None:
    assert applied_placement_annotation({"clusterAffinity": {"clusterNames": ["m1"]}}) == '{"clusterAffinity":{"clusterNames":["m1"]}}'


def test_errors_are_typed() -> None:
    assert issubclass(FitError, SchedulingError) and issubclass(UnschedulableError, SchedulingError)
    assert SchedulingError("x").wrapped("p: ").message == "p: x"
    wrapped = UnschedulableError("x").wrapped("p: ")
    assert isinstance(wrapped, UnschedulableError) and str(wrapped) == "p: x"
