"""Event messages in upstream's words."""

from __future__ import annotations

import json

from pykarmada.karmada import constants as C
from pykarmada.karmada import event_messages as M

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "ns", "name": "nginx", "annotations": {C.RESOURCE_TEMPLATE_UID_ANNOTATION: "u1"}}}


def test_apply_policy() -> None:
    pp = {"kind": "PropagationPolicy", "metadata": {"namespace": "ns", "name": "p"}}
    cpp = {"kind": "ClusterPropagationPolicy", "metadata": {"name": "c"}}
    assert M.apply_policy(pp) == "Apply policy(ns/p) succeed"
    assert M.apply_policy(cpp, "boom") == "Apply cluster policy(c) failed: boom"


def test_sync_work_and_aggregate_name_the_binding() -> None:
    assert M.sync_work_succeed("ns", "nginx-deployment") == "Sync work of ResourceBinding(ns/nginx-deployment) successful."
    assert M.sync_work_succeed("", "ns-namespace") == "Sync work of ClusterResourceBinding(ns-namespace) successful."
    assert M.aggregate_binding_succeed("ns", "b") == "Update ResourceBinding(ns/b) with AggregatedStatus successfully."
    assert M.aggregate_binding_succeed("", "b") == "Update ClusterResourceBinding(b) with AggregatedStatus successfully."


def test_override_messages_follow_the_records_on_the_work() -> None:
    work = {
        "metadata": {"annotations": {
            C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION: json.dumps([{"policyName": "cop", "overriders": {}}]),
            C.APPLIED_OVERRIDES_ANNOTATION: json.dumps([{"policyName": "a", "overriders": {}}, {"policyName": "b", "overriders": {}}]),
        }},
        "spec": {"workload": {"manifests": [DEPLOYMENT]}},
    }
    assert M.applied_overrides(work, "member1") == [
        "Apply cluster override policy(cop) for cluster(member1) succeed.",
        "Apply override policy(ns/a) for cluster(member1) succeed.",
        "Apply override policy(ns/b) for cluster(member1) succeed.",
    ]
    assert M.applied_overrides({"metadata": {}, "spec": {"workload": {"manifests": [DEPLOYMENT]}}}, "member1") == []
    assert M.apply_override("ns", "op", "member2", failed=True) == "Apply override policy(ns/op) for cluster(member2) failed."


def test_execution_messages() -> None:
    work = {"metadata": {"namespace": "karmada-es-member1", "name": "nginx-687f7fb96f"}}
    assert M.sync_work_to_cluster(work, "member1") == "Sync work(karmada-es-member1/nginx-687f7fb96f) to cluster(member1) successful."
    assert M.sync_work_to_cluster(work, "member1", "x") == "Failed to sync work(karmada-es-member1/nginx-687f7fb96f) to cluster(member1), err: x"
    assert M.apply_manifest(DEPLOYMENT, "member1") == "Successfully applied resource(ns/nginx) to cluster member1"
    namespace = {"kind": "Namespace", "metadata": {"name": "ns"}}
    assert M.apply_manifest(namespace, "member1") == "Successfully applied resource(/ns) to cluster member1"
    assert M.apply_manifest(namespace, "member1", "denied") == "Failed to create or update resource(ns) in member cluster(member1): denied"


def test_manifest_events_are_about_the_template() -> None:
    assert M.manifest_event_ref(DEPLOYMENT) == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "nginx", "uid": "u1"}
    assert M.manifest_event_ref({"kind": "ConfigMap", "metadata": {"name": "x"}}) is None  # no uid: nothing to refer to


def test_status_messages() -> None:
    assert M.reflect_status(DEPLOYMENT) == "Reflect status for object(Deployment/ns/nginx) succeed."
    assert M.interpret_health(DEPLOYMENT, "Healthy") == "Interpret health of object(Deployment/ns/nginx) as healthy."
    assert M.interpret_health(DEPLOYMENT, "Unhealthy") == "Interpret health of object(Deployment/ns/nginx) as unhealthy."


def test_dependencies_as_go_prints_them() -> None:
    deps = [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "ns", "name": "cm"}, {"apiVersion": "v1", "kind": "Secret", "namespace": "ns", "labelSelector": {"matchLabels": {"a": "b"}}}]
    assert M.get_dependencies_succeed(deps) == (
        "Get dependencies([{APIVersion:v1 Kind:ConfigMap Namespace:ns Name:cm LabelSelector:<nil>} "
        '{APIVersion:v1 Kind:Secret Namespace:ns Name: LabelSelector:{"matchLabels":{"a":"b"}}}]) succeed.'
    )


def test_cluster_messages() -> None:
    assert M.created_execution_space("karmada-es-m", "m") == "Created execution space(karmada-es-m) for cluster(m)."
    assert M.removed_execution_space("m") == "Removed execution space for cluster(m)."
    taints = [{"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule", "timeAdded": "t"}, {"key": "k", "value": "v", "effect": "NoExecute"}]
    assert M.taint_cluster_succeed(taints) == "Taint cluster succeed: cluster now has taints([{Key:cluster.karmada.io/not-ready,Effect:NoSchedule},{Key:k,Value:v,Effect:NoExecute}])."
    assert M.taint_cluster_succeed([]) == "Taint cluster succeed: cluster now does not have taints."
