"""The descheduler's decisions (behaviour.md 9)."""

from __future__ import annotations

import json

from pykarmada.descheduler.core import is_candidate, plan, undesired_clusters


def binding(clusters, ready, placement=None):
    placement = placement or {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}
    return {
        "metadata": {"annotations": {"policy.karmada.io/applied-placement": json.dumps(placement)}},
        "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment"}, "clusters": [{"name": n, "replicas": r} for n, r in clusters]},
        "status": {"aggregatedStatus": [{"clusterName": n, "status": {"readyReplicas": r}} for n, r in ready]},
    }


def test_only_dynamically_divided_deployments():
    assert is_candidate(binding([], []))
    weighted = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted", "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}
    assert is_candidate(binding([], [], weighted))
    static = {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}
    assert not is_candidate(binding([], [], static))
    other = binding([], [])
    other["spec"]["resource"]["kind"] = "StatefulSet"
    assert not is_candidate(other)


def test_example_of_behaviour_md():
    b = binding([("A", 6), ("B", 4)], [("A", 2), ("B", 4)])
    assert undesired_clusters(b) == ["A"]
    result = plan(b, {"A": 4})
    assert result.clusters == [{"name": "A", "replicas": 2}, {"name": "B", "replicas": 4}]
    assert result.message == "Binding has been descheduled, 4 replica(s) in cluster(A), 4 total descheduled replica(s)"


def test_ready_replicas_bound_what_is_taken_and_unknown_or_too_many_change_nothing():
    b = binding([("A", 6)], [("A", 4)])
    assert plan(b, {"A": 3}).clusters == [{"name": "A", "replicas": 4}]
    assert plan(b, {"A": -1}) is None
    assert plan(b, {"A": 7}) is None
    assert plan(b, {}) is None
    assert undesired_clusters(binding([("A", 2)], [])) == ["A"]  # no status yet: ready unknown
