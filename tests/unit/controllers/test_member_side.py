"""Pure decisions of the member-side controllers and the native interpreter."""

from __future__ import annotations

import pytest

from pykarmada.controllers.status.binding_status import aggregated_items, fully_applied
from pykarmada.controllers.status.work_status import progress_only
from pykarmada.controllers.cluster.cluster import desired_taints
from pykarmada.controllers.status.cluster_summary import api_enablements, discovered_resources, node_summary, resource_summary, slim_node, slim_pod
from pykarmada.controllers.cluster.unified_auth import impersonation_rules
from pykarmada.karmada.interpreter import aggregate_status, interpret_health, reflect_status
from pykarmada.karmada.retain import needs_update, retain


def test_deployment_aggregation_matches_the_documented_example() -> None:
    template = {"kind": "Deployment", "metadata": {"generation": 3}, "status": {}}
    items = [
        {"clusterName": "m1", "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2, "observedGeneration": 5, "generation": 5, "resourceTemplateGeneration": 3}},
        {"clusterName": "m2", "status": {"replicas": 3, "readyReplicas": 1, "updatedReplicas": 3, "availableReplicas": 1, "unavailableReplicas": 2, "observedGeneration": 4, "generation": 4, "resourceTemplateGeneration": 3}},
    ]
    assert aggregate_status(template, items) == {
        "replicas": 5, "readyReplicas": 3, "updatedReplicas": 5, "availableReplicas": 3, "unavailableReplicas": 2, "observedGeneration": 3,
    }


def test_observed_generation_waits_for_every_member() -> None:
    template = {"kind": "Deployment", "metadata": {"generation": 3}, "status": {"observedGeneration": 2}}
    items = [{"clusterName": "m1", "status": {"replicas": 1, "observedGeneration": 1, "generation": 2, "resourceTemplateGeneration": 3}}]
    assert aggregate_status(template, items)["observedGeneration"] == 2


def test_reflection_and_health_of_a_deployment() -> None:
    member = {
        "kind": "Deployment",
        "metadata": {"generation": 4, "annotations": {"resourcetemplate.karmada.io/generation": "7"}},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 4, "conditions": [{}]},
    }
    assert reflect_status(member) == {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 4, "generation": 4, "resourceTemplateGeneration": 7}
    assert interpret_health(member) == "Healthy"
    member["status"]["availableReplicas"] = 1
    assert interpret_health(member) == "Unhealthy"


@pytest.mark.parametrize(
    "obj,health",
    [
        ({"kind": "Service", "spec": {"type": "ClusterIP"}}, "Healthy"),
        ({"kind": "Service", "spec": {"type": "LoadBalancer"}, "status": {}}, "Unhealthy"),
        ({"kind": "Pod", "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}, "Healthy"),
        ({"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}}, "Unhealthy"),
        ({"kind": "ConfigMap"}, "Healthy"),
    ],
    ids=["cluster-ip-service", "lb-without-ingress", "ready-pod", "pending-pvc", "no-rule"],
)
def test_health_rules(obj: dict, health: str) -> None:
    assert interpret_health(obj) == health


def test_job_aggregation_reports_failed_members() -> None:
    template = {"kind": "Job", "status": {}}
    items = [
        {"clusterName": "m1", "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}},
        {"clusterName": "m2", "status": {"failed": 1, "conditions": [{"type": "Failed", "status": "True"}]}},
    ]
    out = aggregate_status(template, items)
    assert out["succeeded"] == 1 and out["failed"] == 1
    assert out["conditions"][0]["type"] == "Failed" and "m2" in out["conditions"][0]["message"]


def test_retention_keeps_member_fields_and_drops_what_karmada_removed() -> None:
    desired = {"kind": "Service", "metadata": {"name": "s", "labels": {"app": "x"}, "annotations": {"a": "1"}}, "spec": {"ports": [{"port": 80}]}}
    observed = {
        "kind": "Service",
        "metadata": {
            "name": "s",
            "resourceVersion": "9",
            "finalizers": ["f"],
            "labels": {"app": "x", "added-by-member": "y", "old-karmada": "z"},
            "annotations": {"resourcetemplate.karmada.io/managed-labels": "app,old-karmada"},
        },
        "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.5"},
    }
    out = retain(desired, observed)
    assert out["metadata"]["resourceVersion"] == "9" and out["metadata"]["finalizers"] == ["f"]
    assert out["metadata"]["labels"] == {"app": "x", "added-by-member": "y"}
    assert out["spec"]["clusterIP"] == "10.0.0.5"


def test_no_update_when_only_system_fields_differ() -> None:
    desired = {"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "3"}, "data": {"k": "v"}}
    observed = {"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "3", "uid": "u", "creationTimestamp": "t"}, "data": {"k": "v"}}
    assert not needs_update(desired, observed)
    assert needs_update({**desired, "data": {"k": "w"}}, observed)


def test_retain_replicas_label() -> None:
    desired = {"kind": "Deployment", "metadata": {"labels": {"resourcetemplate.karmada.io/retain-replicas": "true"}}, "spec": {"replicas": 1}}
    observed = {"kind": "Deployment", "metadata": {}, "spec": {"replicas": 7}}
    assert retain(desired, observed)["spec"]["replicas"] == 7


@pytest.mark.parametrize(
    "ready,taints",
    [(None, ["cluster.karmada.io/not-ready"]), ("False", ["cluster.karmada.io/not-ready"]), ("Unknown", ["cluster.karmada.io/unreachable"]), ("True", [])],
    ids=["no-condition", "false", "unknown", "true"],
)
def test_readiness_taints(ready: str | None, taints: list[str]) -> None:
    cluster = {"spec": {"taints": [{"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule"}, {"key": "user", "effect": "NoSchedule"}]}, "status": {}}
    if ready:
        cluster["status"]["conditions"] = [{"type": "Ready", "status": ready}]
    got = [t["key"] for t in desired_taints(cluster)]
    assert sorted(got) == sorted(["user", *taints])


def test_impersonation_subjects_come_from_proxy_roles() -> None:
    roles = [
        {"metadata": {"name": "proxy"}, "rules": [{"apiGroups": ["cluster.karmada.io"], "resources": ["clusters/proxy"], "verbs": ["*"]}]},
        {"metadata": {"name": "only-m2"}, "rules": [{"apiGroups": ["cluster.karmada.io"], "resources": ["clusters/proxy"], "resourceNames": ["m2"], "verbs": ["get"]}]},
        {"metadata": {"name": "admin"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"metadata": {"name": "view"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
    ]
    bindings = [
        {"roleRef": {"kind": "ClusterRole", "name": "proxy"}, "subjects": [{"kind": "User", "name": "alice"}]},
        {"roleRef": {"kind": "ClusterRole", "name": "only-m2"}, "subjects": [{"kind": "User", "name": "bob"}]},
        {"roleRef": {"kind": "ClusterRole", "name": "admin"}, "subjects": [{"kind": "Group", "name": "system:masters"}]},
        {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "User", "name": "carol"}]},
    ]
    rules = {r["resources"][0]: r["resourceNames"] for r in impersonation_rules(roles, bindings, "m1")}
    assert rules == {"users": ["alice"], "groups": ["system:masters"]}


def test_binding_aggregation_and_fully_applied() -> None:
    binding = {"spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "d", "name": "web"}, "clusters": [{"name": "m1"}, {"name": "m2"}]}}
    ident = {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "d", "name": "web"}
    works = [
        {"metadata": {"namespace": "karmada-es-m2"}, "status": {"conditions": [{"type": "Applied", "status": "False", "message": "boom"}]}},
        {"metadata": {"namespace": "karmada-es-m1"}, "status": {"conditions": [{"type": "Applied", "status": "True"}], "manifestStatuses": [{"identifier": ident, "status": {"replicas": 1}, "health": "Healthy"}]}},
    ]
    items = aggregated_items(binding, works)
    assert [i["clusterName"] for i in items] == ["m1", "m2"]
    assert items[0] == {"clusterName": "m1", "applied": True, "status": {"replicas": 1}, "health": "Healthy"}
    assert items[1]["appliedMessage"] == "boom" and items[1]["health"] == "Unknown"
    assert fully_applied(binding, items)[0] == "False"
    items[1]["applied"] = True
    assert fully_applied(binding, items) == ("True", "FullyAppliedSuccess", "All works have been successfully applied")
    # A dependency's attached binding has no clusters of its own: requiredBy names them.
    attached = {"spec": {"resource": binding["spec"]["resource"], "requiredBy": [{"name": "web-deployment", "clusters": [{"name": "m1"}, {"name": "m2"}]}]}}
    assert fully_applied(attached, items)[0] == "True"


def test_cluster_summaries() -> None:
    nodes = [
        {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}, "conditions": [{"type": "Ready", "status": "True"}]}},
        {"metadata": {"name": "n2"}, "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}, "conditions": [{"type": "Ready", "status": "False"}]}},
    ]
    pods = [
        {"spec": {"nodeName": "n1", "containers": [{"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}, "status": {"phase": "Running"}},
        {"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}, "status": {"phase": "Pending"}},
        {"spec": {"nodeName": "n1", "containers": [{"resources": {"requests": {"cpu": "2"}}}]}, "status": {"phase": "Succeeded"}},
    ]
    assert node_summary(nodes) == {"totalNum": 2, "readyNum": 1}
    from pykarmada.karmada.cluster import default_resource_models

    summary = resource_summary(nodes, pods, default_resource_models())
    assert summary["allocatable"] == {"cpu": "16", "memory": "64Gi", "pods": "220"}
    assert summary["allocated"] == {"cpu": "500m", "memory": "1Gi", "pods": "1"}
    assert summary["allocating"] == {"cpu": "1", "pods": "1"}
    counts = {m["grade"]: m["count"] for m in summary["allocatableModelings"]}
    # n1 has 7.5 CPU and 31Gi free (grade 2: cpu 4-8 and memory 16-32Gi); n2 all 8 CPU / 32Gi (grade 3 memory, grade 4 cpu -> 3)
    assert counts[2] == 1 and counts[3] == 1
    # The informers' slim copies give the same summaries.
    slim_nodes, slim_pods = [slim_node(n) for n in nodes], [slim_pod(p) for p in pods]
    assert node_summary(slim_nodes) == node_summary(nodes)
    assert resource_summary(slim_nodes, slim_pods, default_resource_models()) == summary
    assert api_enablements({"v1": [{"name": "pods", "kind": "Pod"}, {"name": "pods/log", "kind": "Pod"}], "apps/v1": []}) == [
        {"groupVersion": "apps/v1", "resources": []},
        {"groupVersion": "v1", "resources": [{"name": "pods", "kind": "Pod"}]},
    ]


def _entry(name: str, health: str, ready: int) -> dict:
    return {"identifier": {"ordinal": 0, "kind": "Deployment", "name": name}, "health": health, "status": {"readyReplicas": ready}}


@pytest.mark.parametrize(
    "before,after,deferred",
    [
        ([_entry("a", "Unhealthy", 0)], [_entry("a", "Unhealthy", 1)], True),
        ([_entry("a", "Unhealthy", 0)], [_entry("a", "Healthy", 1)], False),
        ([_entry("a", "Healthy", 1)], [_entry("a", "Healthy", 2)], False),
        ([_entry("a", "Healthy", 1)], [_entry("a", "Unhealthy", 0)], False),
        ([], [_entry("a", "Unhealthy", 0)], False),
        ([_entry("a", "Unhealthy", 0)], [_entry("b", "Unhealthy", 0)], False),
    ],
    ids=["still-unhealthy", "became-healthy", "healthy-change", "became-unhealthy", "new-object", "other-object"],
)
def test_only_progress_of_unhealthy_objects_waits(before: list, after: list, deferred: bool) -> None:
    assert progress_only(before, after) is deferred


def test_aggregated_discovery_gives_the_resources_of_each_group_version() -> None:
    core = {"kind": "APIGroupDiscoveryList", "items": [{"metadata": {}, "versions": [{"version": "v1", "resources": [
        {"resource": "pods", "responseKind": {"kind": "Pod"}, "subresources": [{"subresource": "log"}]}]}]}]}
    groups = {"kind": "APIGroupDiscoveryList", "items": [
        {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [{"resource": "deployments", "responseKind": {"kind": "Deployment"}}]}]},
        {"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale"}]},
    ]}
    found, stale = discovered_resources([core, groups])
    assert stale
    assert api_enablements(found) == [
        {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]},
        {"groupVersion": "v1", "resources": [{"name": "pods", "kind": "Pod"}]},
    ]
