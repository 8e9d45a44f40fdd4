"""The estimator's maths: per-node fit, node matching, assumed workloads, the quota cap, and the
protocol's field errors."""

from __future__ import annotations

import itertools

import pytest

from pykarmada.karmada.estimation.fit import NodeBook, max_available_replicas, node_infos, pod_requests
from pykarmada.karmada.estimation.protocol import (
    ProtocolError,
    parse_assumed_workloads,
    parse_max_available_replicas,
    parse_replica_requirements,
    parse_unschedulable_replicas,
)
from pykarmada.karmada.estimation.quota import quota_cap


def node(name, cpu="8", memory="32Gi", pods="110", labels=None, taints=None, unschedulable=False):
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods}},
    }


POD_NAMES = itertools.count()


def pod(node_name, cpu="0", memory="0", phase="Running", init=None):
    spec = {"nodeName": node_name, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if init:
        spec["initContainers"] = [{"resources": {"requests": init}}]
    return {"metadata": {"name": f"p{next(POD_NAMES)}"}, "spec": spec, "status": {"phase": phase}}


def req(**kw):
    return parse_replica_requirements(kw, "replicaRequirements")


def estimate(nodes, pods=(), requirements=None, assumed=()):
    return max_available_replicas(node_infos(nodes, pods), requirements, assumed)


def test_sum_of_per_node_fits_not_the_cluster_summary():
    # 4 nodes with 1.5 CPU free each: 6 CPU free in total, but a 2-CPU replica fits on none.
    nodes = [node(f"n{i}", cpu="2") for i in range(4)]
    pods = [pod(f"n{i}", cpu="500m") for i in range(4)]
    assert estimate(nodes, pods, req(resourceRequest={"cpu": "2"})) == 0
    assert estimate(nodes, pods, req(resourceRequest={"cpu": "500m"})) == 12


def test_every_requested_resource_and_pod_slots_bound_a_node():
    nodes = [node("a", cpu="8", memory="4Gi", pods="110"), node("b", cpu="8", memory="32Gi", pods="3")]
    assert estimate(nodes, [pod("b")], req(resourceRequest={"cpu": "1", "memory": "1Gi"})) == 4 + 2


def test_no_requirements_counts_pod_slots_and_no_nodes_is_zero():
    assert estimate([node("a", pods="10")], [pod("a"), pod("a", phase="Succeeded"), pod("")]) == 9
    assert estimate([], [], req(resourceRequest={"cpu": "1"})) == 0


def test_init_containers_and_overhead_count_as_kube_scheduler_counts_them():
    p = pod("a", cpu="1", init={"cpu": "3"})
    p["spec"]["overhead"] = {"cpu": "500m"}
    assert pod_requests(p)["cpu"] == 3500


def test_node_selector_and_required_affinity():
    nodes = [node("a", labels={"disk": "ssd", "zone": "z1"}), node("b", labels={"disk": "hdd", "zone": "z2"})]
    one_cpu = {"cpu": "1"}
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim={"nodeSelector": {"disk": "ssd"}})) == 8
    affinity = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z2"]}]}]}
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim={"hardNodeAffinity": affinity})) == 8
    by_name = {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}]}
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim={"hardNodeAffinity": by_name})) == 16
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim={"hardNodeAffinity": {"nodeSelectorTerms": []}})) == 0


def test_taints_and_unschedulable_nodes_need_tolerations():
    nodes = [
        node("tainted", taints=[{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]),
        node("soft", taints=[{"key": "x", "effect": "PreferNoSchedule"}]),
        node("cordoned", unschedulable=True),
    ]
    one_cpu = {"cpu": "1"}
    assert estimate(nodes, (), req(resourceRequest=one_cpu)) == 8
    tolerate_gpu = {"tolerations": [{"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}]}
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim=tolerate_gpu)) == 16
    tolerate_all = {"tolerations": [{"operator": "Exists"}]}
    assert estimate(nodes, (), req(resourceRequest=one_cpu, nodeClaim=tolerate_all)) == 24


def test_assumed_workloads_are_deducted_first_fit():
    nodes = [node("a", cpu="4"), node("b", cpu="4")]
    assumed = parse_assumed_workloads(
        [{"namespace": "ns", "components": [{"name": "w", "replicas": 5, "replicaRequirements": {"resourceRequest": {"cpu": "1"}}}]}],
        "assumedWorkloads",
    )
    assert estimate(nodes, (), req(resourceRequest={"cpu": "1"}), assumed) == 3
    # a 2-CPU replica fits once in what is left (a: 0, b: 3 CPU)
    assert estimate(nodes, (), req(resourceRequest={"cpu": "2"}), assumed) == 1


def quota(hard, used, scopes=None, selector=None):
    spec = {}
    if scopes:
        spec["scopes"] = scopes
    if selector:
        spec["scopeSelector"] = {"matchExpressions": selector}
    return {"metadata": {"namespace": "ns"}, "spec": spec, "status": {"hard": hard, "used": used}}


def test_quota_caps_by_free_requests():
    r = req(resourceRequest={"cpu": "500m", "memory": "1Gi"}, namespace="ns")
    assert quota_cap([], r) == 2**31 - 1
    assert quota_cap([quota({"requests.cpu": "4", "limits.cpu": "1"}, {"requests.cpu": "1", "limits.cpu": "1"})], r) == 6
    assert quota_cap([quota({"memory": "10Gi", "pods": "1"}, {"memory": "7Gi", "pods": "1"})], r) == 3
    both = [quota({"cpu": "4"}, {"cpu": "0"}), quota({"memory": "2Gi"}, {"memory": "0"})]
    assert quota_cap(both, r) == 2


def test_quota_scopes_and_assumed_workloads():
    r = req(resourceRequest={"cpu": "1"}, namespace="ns", priorityClassName="high")
    low_only = quota({"cpu": "2"}, {"cpu": "0"}, selector=[{"scopeName": "PriorityClass", "operator": "In", "values": ["low"]}])
    assert quota_cap([low_only], r) == 2**31 - 1
    terminating = quota({"cpu": "2"}, {"cpu": "0"}, scopes=["Terminating"])
    assert quota_cap([terminating], r) == 2**31 - 1
    assumed = parse_assumed_workloads(
        [{"namespace": "ns", "components": [{"name": "w", "replicas": 3, "replicaRequirements": {"resourceRequest": {"cpu": "1"}}}]},
         {"namespace": "other", "components": [{"name": "w", "replicas": 3, "replicaRequirements": {"resourceRequest": {"cpu": "1"}}}]}],
        "assumedWorkloads",
    )
    assert quota_cap([quota({"cpu": "5"}, {"cpu": "1"})], r, assumed) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "cluster"),
        ({"cluster": "m1", "replicaRequirements": {"resourceRequest": {"cpu": "-1"}}}, "replicaRequirements.resourceRequest.cpu"),
        ({"cluster": "m1", "replicaRequirements": {"resourceRequest": {"cpus": "1"}}}, "replicaRequirements.resourceRequest.cpus"),
        ({"cluster": "m1", "replicaRequirements": {"resourceRequest": {"memory": "lots"}}}, "replicaRequirements.resourceRequest.memory"),
        ({"cluster": "m1", "replicaRequirements": {"nodeClaim": {"tolerations": [{"operator": "Lt"}]}}}, "replicaRequirements.nodeClaim.tolerations[0].operator"),
        (
            {"cluster": "m1", "replicaRequirements": {"nodeClaim": {"hardNodeAffinity": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "k", "operator": "In"}]}]}}}},
            "replicaRequirements.nodeClaim.hardNodeAffinity.nodeSelectorTerms[0].matchExpressions[0].values",
        ),
        ({"cluster": "m1", "assumedWorkloads": [{"components": [{"replicas": -2}]}]}, "assumedWorkloads[0].components[0].replicas"),
    ],
)
def test_protocol_errors_name_the_field(body, field):
    with pytest.raises(ProtocolError) as info:
        parse_max_available_replicas(body)
    assert info.value.field == field


def test_unschedulable_request_threshold_in_nanoseconds():
    parsed = parse_unschedulable_replicas(
        {"cluster": "m1", "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "d"}, "unschedulableThreshold": 300 * 10**9}
    )
    assert parsed.threshold_seconds == 300
    with pytest.raises(ProtocolError) as info:
        parse_unschedulable_replicas({"cluster": "m1", "resource": {"kind": "Deployment", "name": "d"}})
    assert info.value.field == "resource.apiVersion"


def test_the_node_book_follows_pods_and_nodes_event_by_event():
    book = NodeBook()
    book.set_node(node("a", cpu="4"))
    book.set_node(node("b", cpu="4"))
    first = {"metadata": {"namespace": "ns", "name": "x"}, "spec": {"nodeName": "a", "containers": [{"resources": {"requests": {"cpu": "1"}}}]}}
    book.set_pod(first)
    assert [i.free["cpu"] for i in book.node_infos()] == [3000, 4000]
    assert book.node_infos() is book.node_infos()  # shared until something changes
    book.set_pod({**first, "spec": {**first["spec"], "nodeName": "b"}})  # moved (a new pod of the same name)
    assert [(i.free["cpu"], i.free["pods"]) for i in book.node_infos()] == [(4000, 110), (3000, 109)]
    book.set_pod({**first, "spec": {**first["spec"], "nodeName": "b"}, "status": {"phase": "Succeeded"}})
    assert [i.free["cpu"] for i in book.node_infos()] == [4000, 4000]
    book.set_pod(first)
    book.remove_pod(("ns", "x"))
    book.remove_node("b")
    assert [(i.name, i.free["cpu"]) for i in book.node_infos()] == [("a", 4000)]


def test_a_book_answers_as_the_node_list_does_and_forgets_matches_when_a_node_changes():
    book = NodeBook()
    for i in range(4):
        book.set_node(node(f"n{i}", labels={"zone": "a" if i % 2 else "b"}))
    in_a = req(resourceRequest={"cpu": "1"}, nodeClaim={"nodeSelector": {"zone": "a"}})
    assert max_available_replicas(book, in_a) == max_available_replicas(book.node_infos(), in_a) == 16
    book.set_pod({"metadata": {"namespace": "ns", "name": "x"}, "spec": {"nodeName": "n1", "containers": [{"resources": {"requests": {"cpu": "3"}}}]}})
    assert max_available_replicas(book, in_a) == 13  # free capacity is read fresh from the cached matches
    book.set_node(node("n0", labels={"zone": "a"}))
    assert max_available_replicas(book, in_a) == 21
    book.set_node(node("n3", labels={"zone": "a"}, taints=[{"key": "k", "effect": "NoSchedule"}]))
    assert max_available_replicas(book, in_a) == 13
