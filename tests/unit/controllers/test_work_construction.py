"""Names and Works as the binding controller builds them (api.md 7 and 11, behaviour.md 3)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pykarmada.karmada import constants as C
from pykarmada.karmada.mutation import mutate_work
from pykarmada.karmada.names import binding_name, binding_reference_key, work_name
from pykarmada.karmada.overrides import OverrideError
from pykarmada.karmada.works import (
    build_binding_work,
    build_namespace_work,
    conflict_resolution,
    direct_purge_clusters,
    expected_clusters,
    job_completions,
    merge_work,
    suspend_dispatching,
    target_clusters,
    work_changed,
)
from tests.unit.scheduler.builders import EVEN_UID, cluster


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("Deployment", "nginx", "nginx-deployment"),
        ("CustomResourceDefinition", "guestbooks.webapp.my.domain", "guestbooks.webapp.my.domain-customresourcedefinition"),
        ("ClusterRole", "system:Reader", "system.reader-clusterrole"),
    ],
    ids=["deployment", "crd", "colon-and-case"],
)
def test_binding_name(kind: str, name: str, expected: str) -> None:
    assert binding_name(kind, name) == expected


def test_work_name_documented_example() -> None:
    assert work_name("Deployment", "nginx", "default") == "nginx-687f7fb96f"


@pytest.mark.parametrize(
    ("kind", "name", "namespace", "prefix"),
    [("Namespace", "demo", "", "demo-"), ("ClusterRole", "System:Reader", "", "system.reader-"), ("Deployment", "Web", "ns", "web-")],
    ids=["namespace-work", "cluster-scoped-colon", "lowercased"],
)
def test_work_name_prefix_and_alphabet(kind: str, name: str, namespace: str, prefix: str) -> None:
    got = work_name(kind, name, namespace)
    assert got.startswith(prefix) and set(got[len(prefix):]) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert got == work_name(kind, name, namespace)


def test_work_name_depends_on_namespace_kind_and_name_only() -> None:
    names = {work_name("Deployment", "nginx", "a"), work_name("Deployment", "nginx", "b"), work_name("StatefulSet", "nginx", "a"), work_name("Deployment", "web", "a")}
    assert len(names) == 4


def test_binding_reference_key_is_stable_and_scoped() -> None:
    assert binding_reference_key("default", "nginx-deployment") == binding_reference_key("default", "nginx-deployment")
    assert binding_reference_key("default", "x") != binding_reference_key("other", "x")
    assert set(binding_reference_key("", "x")) <= set("bcdfghjklmnpqrstvwxz2456789")


def template(**extra_meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx", "namespace": "default", "uid": EVEN_UID, "generation": 2, "resourceVersion": "99",
            "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"app": "nginx"},
            "annotations": {"deployment.kubernetes.io/revision": "1", "user": "note"}, "managedFields": [{}], **extra_meta,
        },
        "spec": {"replicas": 9, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
        "status": {"replicas": 9},
    }


def binding(clusters: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": C.WORK_V1ALPHA2,
        "kind": C.KIND_RESOURCE_BINDING,
        "metadata": {"name": "nginx-deployment", "namespace": "default", "labels": {C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "rb-id"}},
        "spec": {"replicas": 9, "clusters": clusters, "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx"}, **spec},
    }


def test_work_for_one_cluster_of_a_divided_deployment() -> None:
    b = binding([{"name": "member1", "replicas": 3}, {"name": "member2", "replicas": 6}])
    work = build_binding_work(template(), b, {"name": "member2", "replicas": 6}, cluster=cluster("member2"), work_id="w-id")
    meta, spec = work["metadata"], work["spec"]
    assert (meta["name"], meta["namespace"]) == ("nginx-687f7fb96f", "karmada-es-member2")
    assert meta["finalizers"] == [C.EXECUTION_CONTROLLER_FINALIZER]
    assert meta["labels"] == {C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "rb-id", C.WORK_PERMANENT_ID_LABEL: "w-id"}
    assert meta["annotations"] == {
        C.RESOURCE_BINDING_NAMESPACE_ANNOTATION: "default", C.RESOURCE_BINDING_NAME_ANNOTATION: "nginx-deployment", C.CONFLICT_RESOLUTION_ANNOTATION: "abort",
    }
    assert (spec["suspendDispatching"], spec["preserveResourcesOnDeletion"]) == (False, False)
    (manifest,) = spec["workload"]["manifests"]
    mmeta = manifest["metadata"]
    assert manifest["spec"]["replicas"] == 6 and "status" not in manifest
    assert set(mmeta) == {"name", "namespace", "labels", "annotations"}
    assert mmeta["labels"] == {"app": "nginx", C.MANAGED_BY_KARMADA_LABEL: "true", C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "rb-id", C.WORK_PERMANENT_ID_LABEL: "w-id"}
    annotations = mmeta["annotations"]
    assert "deployment.kubernetes.io/revision" not in annotations and annotations["user"] == "note"
    assert annotations[C.RESOURCE_TEMPLATE_GENERATION_ANNOTATION] == "2"
    assert annotations[C.RESOURCE_TEMPLATE_UID_ANNOTATION] == EVEN_UID
    assert (annotations[C.WORK_NAME_ANNOTATION], annotations[C.WORK_NAMESPACE_ANNOTATION]) == ("nginx-687f7fb96f", "karmada-es-member2")
    assert annotations[C.CONFLICT_RESOLUTION_ANNOTATION] == "abort"
    assert annotations[C.MANAGED_LABELS_ANNOTATION] == ",".join(sorted(mmeta["labels"]))
    assert annotations[C.MANAGED_ANNOTATIONS_ANNOTATION] == ",".join(sorted(annotations))


def test_work_equals_what_the_work_webhook_writes() -> None:
    work = build_binding_work(template(), binding([{"name": "member1", "replicas": 9}]), {"name": "member1", "replicas": 9}, cluster=cluster("member1"), work_id="w-id")
    assert mutate_work(copy.deepcopy(work), new_id="ignored") == work


def test_duplicated_and_non_workloads_keep_the_template_replicas() -> None:
    non_workload = binding([{"name": "member1"}])
    del non_workload["spec"]["replicas"]
    work = build_binding_work(template(), non_workload, {"name": "member1"}, cluster=cluster("member1"))
    assert work["spec"]["workload"]["manifests"][0]["spec"]["replicas"] == 9


def test_cluster_binding_work_uses_crb_keys() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader", "uid": "u"}}
    crb = {"metadata": {"name": "reader-clusterrole", "labels": {C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL: "crb-id"}}, "spec": {"clusters": [{"name": "member1"}]}}
    work = build_binding_work(role, crb, {"name": "member1"}, cluster=cluster("member1"))
    assert work["metadata"]["labels"] == {C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL: "crb-id"}
    assert work["metadata"]["annotations"][C.CLUSTER_RESOURCE_BINDING_ANNOTATION] == "reader-clusterrole"
    manifest = work["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"]["annotations"][C.CLUSTER_RESOURCE_BINDING_ANNOTATION] == "reader-clusterrole"
    assert C.RESOURCE_TEMPLATE_GENERATION_ANNOTATION not in manifest["metadata"]["annotations"]


def override(name: str, target: str, registry: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
            "overrideRules": [{"targetCluster": {"clusterNames": [target]}, "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": registry}]}}],
        },
    }


def test_overrides_apply_per_cluster_after_replicas_and_are_recorded() -> None:
    b = binding([{"name": "member1", "replicas": 3}, {"name": "member2", "replicas": 6}])
    ops = [override("registry", "member2", "r.example.io"), override("elsewhere", "member2", "x.io", namespace="other")]
    plaintext = {"metadata": {"name": "replicas"}, "spec": {"overrideRules": [{"overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 1}]}}]}}
    w1 = build_binding_work(template(), b, {"name": "member1", "replicas": 3}, cluster=cluster("member1"), override_policies=ops, cluster_override_policies=[plaintext])
    w2 = build_binding_work(template(), b, {"name": "member2", "replicas": 6}, cluster=cluster("member2"), override_policies=ops, cluster_override_policies=[plaintext])
    image = lambda w: w["spec"]["workload"]["manifests"][0]["spec"]["template"]["spec"]["containers"][0]["image"]  # noqa: E731
    assert (image(w1), image(w2)) == ("nginx", "r.example.io/nginx")
    # An override of /spec/replicas wins over the scheduler (api.md 5.4).
    assert w1["spec"]["workload"]["manifests"][0]["spec"]["replicas"] == 1
    assert C.APPLIED_OVERRIDES_ANNOTATION not in w1["metadata"]["annotations"]
    assert json.loads(w2["metadata"]["annotations"][C.APPLIED_OVERRIDES_ANNOTATION])[0]["policyName"] == "registry"
    assert json.loads(w1["metadata"]["annotations"][C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION])[0]["policyName"] == "replicas"


def test_failing_override_fails_that_cluster() -> None:
    bad = {"metadata": {"name": "bad"}, "spec": {"overrideRules": [{"overriders": {"plaintext": [{"path": "/spec/missing/x", "operator": "replace", "value": 1}]}}]}}
    with pytest.raises(OverrideError):
        build_binding_work(template(), binding([{"name": "member1", "replicas": 9}]), {"name": "member1", "replicas": 9}, cluster=cluster("member1"), cluster_override_policies=[bad])


@pytest.mark.parametrize(
    ("template_value", "policy_value", "expected"),
    [(None, None, "abort"), (None, "Overwrite", "overwrite"), ("abort", "Overwrite", "abort"), ("overwrite", "Abort", "overwrite"), ("Overwrite", "Abort", "abort"), ("bogus", "Overwrite", "overwrite")],
    ids=["default", "policy-overwrite", "template-abort-wins", "template-overwrite-wins", "capitalised-template-ignored", "invalid-template-ignored"],
)
def test_conflict_resolution(template_value: str | None, policy_value: str | None, expected: str) -> None:
    manifest = {"metadata": {"annotations": {C.CONFLICT_RESOLUTION_ANNOTATION: template_value} if template_value else {}}}
    assert conflict_resolution(manifest, {"conflictResolution": policy_value} if policy_value else {}) == expected


@pytest.mark.parametrize(
    ("suspension", "cluster_name", "suspended"),
    [(None, "m1", False), ({"dispatching": True}, "m1", True), ({"dispatchingOnClusters": {"clusterNames": ["m2"]}}, "m1", False), ({"dispatchingOnClusters": {"clusterNames": ["m2"]}}, "m2", True)],
    ids=["none", "all", "other-cluster", "this-cluster"],
)
def test_suspend_dispatching(suspension: dict[str, Any] | None, cluster_name: str, suspended: bool) -> None:
    assert suspend_dispatching({"suspension": suspension} if suspension else {}, cluster_name) is suspended


def test_targets_and_expected_clusters() -> None:
    spec = {
        "clusters": [{"name": "m1", "replicas": 2}],
        "requiredBy": [{"name": "a", "clusters": [{"name": "m1"}, {"name": "m2"}]}, {"name": "b", "clusters": [{"name": "m3"}]}],
        "gracefulEvictionTasks": [{"fromCluster": "m4", "purgeMode": "Gracefully"}, {"fromCluster": "m5", "purgeMode": "Directly"}],
    }
    assert target_clusters(spec) == [{"name": "m1", "replicas": 2}, {"name": "m2"}, {"name": "m3"}]
    assert expected_clusters(spec) == {"m1", "m2", "m3", "m4"}
    assert direct_purge_clusters(spec) == {"m5"}


def test_divided_job_completions_follow_the_replicas() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "uid": EVEN_UID}, "spec": {"parallelism": 3, "completions": 10}}
    divided = {"replicas": 3, "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}}
    assert job_completions(job, divided, [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 1}]) == {"a": 7, "b": 3}
    assert job_completions(job, {"replicas": 3, "placement": {}}, [{"name": "a", "replicas": 3}]) is None
    assert job_completions(job, {**divided, "replicas": 0}, [{"name": "a"}]) is None


def stored(work: dict[str, Any], work_id: str = "w-id") -> dict[str, Any]:
    """A Work as the API server keeps it: webhook mutation plus server metadata."""
    out = mutate_work(copy.deepcopy(work), new_id=work_id)
    out["metadata"].update(resourceVersion="5", uid="x", generation=1)
    return out


def test_unchanged_work_is_not_rewritten_and_changes_are() -> None:
    b = binding([{"name": "member1", "replicas": 9}])
    desired = build_binding_work(template(), b, {"name": "member1", "replicas": 9}, cluster=cluster("member1"))
    existing = stored(desired)
    existing["metadata"]["labels"]["someone"] = "else"
    assert not work_changed(existing, merge_work(existing, desired))
    scaled = build_binding_work(template(), b, {"name": "member1", "replicas": 4}, cluster=cluster("member1"))
    merged = merge_work(existing, scaled)
    assert work_changed(existing, merged)
    assert merged["metadata"]["resourceVersion"] == "5" and merged["metadata"]["labels"]["someone"] == "else"


def test_stale_override_records_are_dropped() -> None:
    b = binding([{"name": "member1", "replicas": 9}])
    with_override = build_binding_work(template(), b, {"name": "member1", "replicas": 9}, cluster=cluster("member1"), override_policies=[override("r", "member1", "r.io")])
    plain = build_binding_work(template(), b, {"name": "member1", "replicas": 9}, cluster=cluster("member1"))
    merged = merge_work(stored(with_override), plain)
    assert C.APPLIED_OVERRIDES_ANNOTATION not in merged["metadata"]["annotations"]


def test_namespace_work() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "uid": "ns-uid", "resourceVersion": "3"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    cop = {"metadata": {"name": "label-ns"}, "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "Namespace"}], "overrideRules": [{"overriders": {"labelsOverrider": [{"operator": "add", "value": {"team": "a"}}]}}]}}
    work = build_namespace_work(ns, cluster("member3"), cluster_override_policies=[cop])
    meta = work["metadata"]
    assert (meta["name"], meta["namespace"]) == (work_name("Namespace", "demo"), "karmada-es-member3")
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Namespace", "name": "demo", "uid": "ns-uid", "controller": True, "blockOwnerDeletion": True}]
    assert json.loads(meta["annotations"][C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION])[0]["policyName"] == "label-ns"
    assert "suspendDispatching" not in work["spec"]
    manifest = work["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"]["labels"] == {"team": "a", C.MANAGED_BY_KARMADA_LABEL: "true"} and "status" not in manifest
    assert C.CONFLICT_RESOLUTION_ANNOTATION not in manifest["metadata"]["annotations"]
