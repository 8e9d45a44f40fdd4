"""The scheduler's assumption cache and how estimator answers combine with the general estimate."""

from __future__ import annotations

from pykarmada.controllers.scheduler.assumptions import AssumptionCache, merge_same_shapes, newly_healthy_clusters
from pykarmada.karmada.estimation.fit import max_available_replicas, node_infos
from pykarmada.karmada.estimation.protocol import parse_assumed_workloads, parse_replica_requirements
from pykarmada.controllers.scheduler.estimation import answers_estimator, estimate_available, general_estimator

SPEC = {
    "replicas": 4,
    "resource": {"namespace": "ns", "name": "web"},
    "replicaRequirements": {"resourceRequest": {"cpu": "1"}},
}


def test_assumed_workloads_per_cluster_leave_out_the_binding_itself():
    cache = AssumptionCache()
    cache.assume(("ns", "a"), SPEC, [{"name": "m1", "replicas": 3}, {"name": "m2", "replicas": 1}])
    cache.assume(("ns", "b"), SPEC, [{"name": "m1", "replicas": 2}])
    got = cache.for_clusters(["m1", "m2"], exclude=("ns", "b"))
    assert got == {
        "m1": [{"namespace": "ns", "components": [{"name": "web", "replicas": 3, "replicaRequirements": {"namespace": "ns", "resourceRequest": {"cpu": "1"}}}]}],
        "m2": [{"namespace": "ns", "components": [{"name": "web", "replicas": 1, "replicaRequirements": {"namespace": "ns", "resourceRequest": {"cpu": "1"}}}]}],
    }
    cache.release(("ns", "a"), "m1")
    assert set(cache.for_clusters(["m1", "m2"])) == {"m1", "m2"}  # b still on m1, a on m2
    cache.release(("ns", "a"))
    assert list(cache.for_clusters(["m2"])) == []


def test_assumptions_of_one_shape_go_to_the_estimator_as_one_placement():
    cache = AssumptionCache()
    for i in range(50):
        cache.assume(("ns", f"d{i}"), SPEC, [{"name": "m1", "replicas": 1}])
    cache.assume(("other", "x"), {**SPEC, "resource": {"namespace": "other", "name": "x"}}, [{"name": "m1", "replicas": 2}])
    cache.assume(("ns", "big"), {**SPEC, "replicaRequirements": {"resourceRequest": {"cpu": "3"}}}, [{"name": "m1", "replicas": 1}])
    merged = cache.for_clusters(["m1"])["m1"]
    assert [(w["namespace"], w["components"][0]["replicas"]) for w in merged] == [("ns", 50), ("other", 2), ("ns", 1)]
    # The estimator's answer is the one it gives to the workloads one by one.
    nodes = node_infos([{"metadata": {"name": f"n{i}"}, "status": {"allocatable": {"cpu": "8", "pods": "110"}}} for i in range(10)], [])
    one_by_one = [w for key in sorted(cache._entries) for w in cache._entries[key][1].values()]
    request = parse_replica_requirements({"resourceRequest": {"cpu": "2"}}, "r")
    assert max_available_replicas(nodes, request, parse_assumed_workloads(merge_same_shapes(one_by_one), "a")) == max_available_replicas(
        nodes, request, parse_assumed_workloads(one_by_one, "a")
    )


def test_expired_assumptions_are_dropped_and_restore_undoes_an_assume():
    cache = AssumptionCache(ttl=-1)
    cache.assume(("ns", "a"), SPEC, [{"name": "m1", "replicas": 3}])
    assert cache.for_clusters(["m1"]) == {} and len(cache) == 0
    cache = AssumptionCache()
    saved = cache.snapshot(("ns", "a"))
    cache.assume(("ns", "a"), SPEC, [{"name": "m1", "replicas": 3}])
    cache.restore(("ns", "a"), saved)
    assert len(cache) == 0


def test_newly_healthy_clusters():
    old = {"status": {"aggregatedStatus": [{"clusterName": "m1", "health": "Healthy"}, {"clusterName": "m2", "health": "Unknown"}]}}
    new = {"status": {"aggregatedStatus": [{"clusterName": "m1", "health": "Healthy"}, {"clusterName": "m2", "health": "Healthy"}]}}
    assert newly_healthy_clusters(old, new) == ["m2"]
    assert newly_healthy_clusters(None, old) == ["m1"]


def test_the_minimum_of_general_and_estimator_answers_with_unknown_ignored():
    clusters = [{"metadata": {"name": n}, "status": {"resourceSummary": {"allocatable": {"pods": "100", "cpu": "100"}}}} for n in ("m1", "m2", "m3")]
    spec = dict(SPEC, replicaRequirements=None)
    answers = answers_estimator({"m1": 7, "m2": -1})
    assert estimate_available(clusters, spec, [answers]) == [7, 4, 4]  # unbounded -> spec.replicas
    assert estimate_available(clusters, spec, [general_estimator, answers]) == [7, 100, 100]
