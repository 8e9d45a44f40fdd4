"""The scheduler's remembered answers (filters by binding shape, estimates by request) hold only
while the clusters are the same objects, and never cross from one shape or request to another."""

from __future__ import annotations

import copy

from pykarmada.controllers.scheduler.core import find_feasible_clusters
from pykarmada.controllers.scheduler.estimation import general_estimator
from pykarmada.controllers.scheduler.framework import BindingContext
from tests.unit.scheduler.builders import binding_spec, cluster, names

NO_SCHEDULE = {"key": "maintenance", "effect": "NoSchedule"}


def _feasible(spec: dict, clusters: list[dict]) -> list[str]:
    found, _ = find_feasible_clusters(BindingContext.build(spec), clusters)
    return [c["metadata"]["name"] for c in found]


def test_filters_are_answered_again_when_a_cluster_is_replaced() -> None:
    clusters = [cluster("m1"), cluster("m2")]
    spec = binding_spec(replicas=1)
    assert _feasible(spec, clusters) == ["m1", "m2"]
    tainted = copy.deepcopy(clusters[1])
    tainted["spec"]["taints"] = [NO_SCHEDULE]
    assert _feasible(binding_spec(replicas=1), [clusters[0], tainted]) == ["m1"]
    assert _feasible(binding_spec(replicas=1), clusters) == ["m1", "m2"]


def test_filters_of_one_shape_do_not_answer_another() -> None:
    clusters = [cluster("m1", labels={"env": "prod"}), cluster("m2")]
    assert _feasible(binding_spec(placement={"clusterAffinity": names("m2")}), clusters) == ["m2"]
    assert _feasible(binding_spec(placement={"clusterAffinity": names("m1")}), clusters) == ["m1"]
    by_label = {"clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}}}
    assert _feasible(binding_spec(placement=by_label), clusters) == ["m1"]
    # Already placed on m2: the taint there no longer excludes it.
    clusters[1]["spec"]["taints"] = [NO_SCHEDULE]
    clusters = [copy.deepcopy(c) for c in clusters]
    assert _feasible(binding_spec(), clusters) == ["m1"]
    assert _feasible(binding_spec(clusters=[{"name": "m2", "replicas": 1}]), clusters) == ["m1", "m2"]


def test_callers_cannot_change_a_remembered_answer() -> None:
    clusters = [cluster("m1"), cluster("m2")]
    found, diagnosis = find_feasible_clusters(BindingContext.build(binding_spec()), clusters)
    found.clear()
    diagnosis["m1"] = None  # type: ignore[assignment]
    again, diagnosis = find_feasible_clusters(BindingContext.build(binding_spec()), clusters)
    assert [c["metadata"]["name"] for c in again] == ["m1", "m2"] and diagnosis == {}


def test_estimates_follow_the_request_and_the_summary_object() -> None:
    summary = {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "100"}}
    member = cluster("m1", summary=summary)
    small = binding_spec(replicas=1, requirements={"resourceRequest": {"cpu": "1"}})
    large = binding_spec(replicas=1, requirements={"resourceRequest": {"cpu": "4"}})
    assert general_estimator([member], small) == [8]
    assert general_estimator([member], large) == [2]
    assert general_estimator([member], binding_spec(replicas=1)) == [100]
    grown = copy.deepcopy(member)
    grown["status"]["resourceSummary"]["allocatable"]["cpu"] = "16"
    assert general_estimator([grown], small) == [16]
    assert general_estimator([member], small) == [8]
