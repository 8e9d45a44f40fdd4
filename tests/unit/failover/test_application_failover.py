"""Application failover decisions: which clusters are unhealthy, when their time is up, the task left."""

from __future__ import annotations

import pytest

from pykarmada.karmada.eviction import (
    REASON_APPLICATION_FAILURE,
    GracefulEvictionDisabled,
    StateNotPreserved,
    application_task_options,
    detect_failure,
    failover_labels,
    graceful_evict_cluster,
    preserved_label_state,
    split_by_health,
    toleration_seconds,
)

PRODUCER = "resource-binding-application-failover-controller"


def test_unhealthy_clusters_exclude_those_already_evicting() -> None:
    spec = {"gracefulEvictionTasks": [{"fromCluster": "m3"}]}
    items = [{"clusterName": "m1", "health": "Unhealthy"}, {"clusterName": "m2", "health": "Healthy"},
             {"clusterName": "m3", "health": "Unhealthy"}, {"clusterName": "m4", "health": "Unknown"}]  # fmt: skip
    assert split_by_health(items, spec) == (["m1"], ["m2", "m4"])


def test_a_timer_starts_then_the_cluster_is_due_after_the_toleration() -> None:
    since: dict[str, float] = {}
    assert detect_failure(["m1"], since, 100.0, 5) == (5, [])
    assert since == {"m1": 100.0}
    assert detect_failure(["m1"], since, 103.0, 5) == (2.0, [])
    assert detect_failure(["m1"], since, 105.0, 5) == (0.1, []), "due only strictly after the toleration"
    assert detect_failure(["m1", "m2"], since, 105.5, 5) == (5, ["m1"])
    assert detect_failure([], since, 200.0, 5) == (None, [])


def test_default_toleration_is_300_seconds() -> None:
    assert toleration_seconds({}) == 300
    assert toleration_seconds({"decisionConditions": {"tolerationSeconds": 0}}) == 0


def test_task_options_follow_the_purge_mode() -> None:
    graceful = application_task_options({"purgeMode": "Gracefully", "gracePeriodSeconds": 600}, PRODUCER, graceful_eviction=True)
    assert (graceful.reason, graceful.purge_mode, graceful.grace_period_seconds, graceful.suppress_deletion) == (
        REASON_APPLICATION_FAILURE, "Gracefully", 600, None)  # fmt: skip
    never = application_task_options({"purgeMode": "Never"}, PRODUCER, graceful_eviction=True)
    assert (never.grace_period_seconds, never.suppress_deletion) == (None, True)
    directly = application_task_options({"purgeMode": "Directly"}, PRODUCER, graceful_eviction=False)
    assert (directly.grace_period_seconds, directly.suppress_deletion) == (None, None)
    with pytest.raises(GracefulEvictionDisabled, match="GracefulEviction featureGate must be enabled when purgeMode is Gracefully"):
        application_task_options({"purgeMode": "Gracefully", "gracePeriodSeconds": 60}, PRODUCER, graceful_eviction=False)


def test_the_task_left_on_the_binding() -> None:
    spec = {"clusters": [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 1}]}
    options = application_task_options({"purgeMode": "Never"}, PRODUCER, graceful_eviction=True)
    out = graceful_evict_cluster(spec, "m1", options)
    assert out["clusters"] == [{"name": "m2", "replicas": 1}]
    assert out["gracefulEvictionTasks"] == [{"fromCluster": "m1", "purgeMode": "Never", "replicas": 2, "reason": "ApplicationFailure",
                                             "producer": PRODUCER, "suppressDeletion": True}]  # fmt: skip



def test_which_bindings_application_failover_looks_at() -> None:
    from pykarmada.controllers.applicationfailover.application_failover import ApplicationFailoverController

    binding = {
        "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}, "propagateDeps": True,
                 "failover": {"application": {"decisionConditions": {"tolerationSeconds": 5}}}},
        "status": {"aggregatedStatus": [{"clusterName": "m1", "health": "Unhealthy"}]},
    }  # fmt: skip
    assert ApplicationFailoverController.applies(binding)
    assert not ApplicationFailoverController.applies({**binding, "status": {}}), "no status yet"
    assert not ApplicationFailoverController.applies({**binding, "spec": {**binding["spec"], "propagateDeps": False}})
    assert not ApplicationFailoverController.applies({**binding, "spec": {**binding["spec"], "resource": {"kind": "ConfigMap"}}}), "no health rule"
    assert not ApplicationFailoverController.applies({**binding, "spec": {**binding["spec"], "failover": {}}})


def test_preserved_label_state_reads_the_failed_clusters_status() -> None:
    rules = {"rules": [{"aliasLabelName": "failover.example.io/gen", "jsonPath": "{.observedGeneration}"}]}
    items = [{"clusterName": "m1", "status": {"observedGeneration": 3}}, {"clusterName": "m2", "status": {"observedGeneration": 7}}]
    assert preserved_label_state(rules, items, "m1") == {"failover.example.io/gen": "3"}
    assert preserved_label_state(None, items, "m1") is None and preserved_label_state({"rules": []}, items, "m1") is None
    with pytest.raises(StateNotPreserved, match=r"has not yet been collected from Cluster\(m3\)"):
        preserved_label_state(rules, items, "m3")
    with pytest.raises(StateNotPreserved, match="jsonpath"):
        preserved_label_state({"rules": [{"aliasLabelName": "x", "jsonPath": "{.nope}"}]}, items, "m1")


def test_the_task_carries_the_state_and_the_clusters_before_failover() -> None:
    spec = {"clusters": [{"name": "m1", "replicas": 2}]}
    options = application_task_options({"purgeMode": "Directly"}, PRODUCER, graceful_eviction=True, preserved={"k": "v"}, clusters_before_failover=["m1"])
    task = graceful_evict_cluster(spec, "m1", options)["gracefulEvictionTasks"][0]
    assert (task["preservedLabelState"], task["clustersBeforeFailover"]) == ({"k": "v"}, ["m1"])
    plain = application_task_options({"purgeMode": "Directly"}, PRODUCER, graceful_eviction=True, clusters_before_failover=["m1"])
    assert "clustersBeforeFailover" not in graceful_evict_cluster(spec, "m1", plain)["gracefulEvictionTasks"][0]


def test_failover_labels_only_for_a_single_new_cluster_after_a_direct_purge() -> None:
    task = {"fromCluster": "m1", "purgeMode": "Directly", "preservedLabelState": {"k": "v"}, "clustersBeforeFailover": ["m1"]}
    spec = {"gracefulEvictionTasks": [task]}
    assert failover_labels(spec, "m2", 1) == {"k": "v"}
    assert failover_labels(spec, "m1", 1) == {}, "a cluster it ran in before gets nothing"
    assert failover_labels(spec, "m2", 2) == {}, "only a workload in one cluster"
    assert failover_labels({"gracefulEvictionTasks": [{**task, "purgeMode": "Gracefully"}]}, "m2", 1) == {}
    assert failover_labels({}, "m2", 1) == {}
