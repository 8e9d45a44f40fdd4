"""Resource detector decisions (karmada.propagation): what is watched, which policy wins, the claim
metadata, and the binding built from (template, policy) and merged into an existing one."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykarmada.karmada import constants as C
from pykarmada.karmada import propagation as P

PATTERNS = P.compile_namespace_patterns(C.DEFAULT_SKIPPED_PROPAGATING_NAMESPACES)


def deployment(name: str = "nginx", namespace: str = "default", labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels if labels is not None else {"app": "nginx"}, "uid": "uid-1", "resourceVersion": "7", **meta},
        "spec": {"replicas": 3},
    }


def pp(name: str, *selectors: dict[str, Any], priority: int | None = None, namespace: str = "default", deleting: bool = False, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: f"id-{name}"}}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    body: dict[str, Any] = {"resourceSelectors": list(selectors), "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}, **spec}
    if priority is not None:
        body["priority"] = priority
    return {"apiVersion": C.POLICY_V1ALPHA1, "kind": C.KIND_PROPAGATION_POLICY, "metadata": meta, "spec": body}


def cpp(name: str, *selectors: dict[str, Any], **spec: Any) -> dict[str, Any]:
    policy = pp(name, *selectors, **spec)
    policy["kind"] = C.KIND_CLUSTER_PROPAGATION_POLICY
    policy["metadata"] = {"name": name, "labels": {C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL: f"cid-{name}"}}
    return policy


ALL = {"apiVersion": "apps/v1", "kind": "Deployment"}
BY_LABEL = {**ALL, "labelSelector": {"matchLabels": {"app": "nginx"}}}
BY_NAME = {**ALL, "name": "nginx"}


@pytest.mark.parametrize(
    ("kind", "namespace", "name", "wanted"),
    [
        ("Deployment", "default", "nginx", True),
        ("Deployment", "karmada-system", "x", False),
        ("Deployment", "karmada-cluster", "x", False),
        ("Deployment", "karmada-es-member1", "x", False),
        ("Deployment", "kube-system", "x", False),
        ("Deployment", "kube-public", "x", False),
        ("ConfigMap", "kube-system", "extension-apiserver-authentication", False),
        ("ConfigMap", "default", "extension-apiserver-authentication", True),
        ("ClusterRole", "", "admin", True),
        ("Deployment", "kubeflow", "x", True),
    ],
    ids=["plain", "karmada-system", "karmada-cluster", "execution-space", "kube-system", "kube-public", "apiserver-auth-cm", "same-name-elsewhere", "cluster-scoped", "prefix-not-anchored-match"],
)
def test_template_event_filter(kind: str, namespace: str, name: str, wanted: bool) -> None:
    assert P.is_template_event_wanted(kind, namespace, name, PATTERNS) is wanted


@pytest.mark.parametrize(
    ("api_version", "kind", "skipped"),
    [
        ("apps/v1", "Deployment", False),
        ("v1", "ConfigMap", False),
        ("v1", "Event", True),
        ("events.k8s.io/v1", "Event", True),
        ("coordination.k8s.io/v1", "Lease", True),
        ("policy.karmada.io/v1alpha1", "PropagationPolicy", True),
        ("work.karmada.io/v1alpha2", "ResourceBinding", True),
        ("cluster.karmada.io/v1alpha1", "Cluster", True),
        ("apps.karmada.io/v1alpha1", "WorkloadRebalancer", True),
        ("policy/v1", "PodDisruptionBudget", False),
    ],
    ids=lambda v: str(v),
)
def test_karmada_kinds_are_not_templates(api_version: str, kind: str, skipped: bool) -> None:
    assert P.is_gvk_skipped(api_version, kind) is skipped


@pytest.mark.parametrize(
    ("change", "changed"),
    [
        (lambda o: o["status"].update(readyReplicas=3), False),
        (lambda o: o["metadata"].update(resourceVersion="9", managedFields=[{"manager": "x"}]), False),
        (lambda o: o["metadata"]["labels"].update(tier="web"), True),
        (lambda o: o["metadata"].setdefault("annotations", {}).update(a="b"), True),
        (lambda o: o["spec"].update(replicas=4), True),
    ],
    ids=["status-only", "rv-and-managed-fields", "label", "annotation", "spec"],
)
def test_specification_changed(change: Any, changed: bool) -> None:
    old = {**deployment(), "status": {"replicas": 3}}
    new = copy.deepcopy(old)
    change(new)
    assert P.specification_changed(old, new) is changed


@pytest.mark.parametrize(
    ("change", "by_karmada"),
    [
        (lambda o: o["metadata"]["labels"].update({C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "x"}), True),
        (lambda o: o["metadata"].update(generation=5), True),
        (lambda o: o["metadata"]["labels"].update({C.NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL: "true"}), False),
        (lambda o: o["spec"].update(replicas=5), False),
    ],
    ids=["claim-label", "generation", "skip-auto-propagation-counts", "user-spec-change"],
)
def test_lazy_activation_change_by_karmada(change: Any, by_karmada: bool) -> None:
    old = deployment()
    new = copy.deepcopy(old)
    change(new)
    assert P.changed_by_karmada(old, new) is by_karmada


@pytest.mark.parametrize(
    ("policies", "winner"),
    [
        ([pp("a", ALL), pp("b", BY_LABEL), pp("c", BY_NAME)], "c"),
        ([pp("a", ALL), pp("b", BY_LABEL), pp("c", BY_NAME), pp("z", ALL, priority=1)], "z"),
        ([pp("c", BY_NAME), pp("b2", BY_NAME)], "b2"),
        ([pp("a", ALL), pp("b", BY_LABEL)], "b"),
        ([pp("c", BY_NAME, deleting=True), pp("a", ALL)], "a"),
        ([pp("x", {**ALL, "name": "other"}), pp("y", {**ALL, "labelSelector": {"matchLabels": {"app": "db"}}})], None),
        ([pp("v", {"apiVersion": "apps/v1", "kind": "StatefulSet"})], None),
        ([pp("n", {**ALL, "namespace": "other"})], None),
        ([pp("m", {**ALL, "name": "other"}, BY_LABEL)], "m"),
    ],
    ids=["name-beats-label-beats-all", "explicit-priority-wins", "name-tie-smallest-name", "label-beats-all", "deleting-skipped", "no-match", "kind-mismatch", "namespace-mismatch", "max-over-selectors"],
)
def test_choose_policy(policies: list[dict[str, Any]], winner: str | None) -> None:
    chosen = P.choose_policy(policies, deployment())
    assert (chosen["metadata"]["name"] if chosen else None) == winner


def test_claim_of_reads_pp_first_then_cpp() -> None:
    template = deployment()
    assert P.claim_of(template) is None
    P.set_claim(template, cpp("cluster-wide", ALL))
    assert P.claim_of(template) == P.Claim(C.KIND_CLUSTER_PROPAGATION_POLICY, "", "cluster-wide", "cid-cluster-wide")
    P.set_claim(template, pp("mine", ALL))
    assert P.claim_of(template) == P.Claim(C.KIND_PROPAGATION_POLICY, "default", "mine", "id-mine")
    # A PP claim removes the CPP claim (behaviour.md 1.4).
    assert C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL not in template["metadata"]["labels"]
    assert C.CLUSTER_PROPAGATION_POLICY_ANNOTATION not in template["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("claimed_by", "policy", "needed"),
    [
        (None, pp("a", ALL), True),
        (pp("a", ALL), pp("a", ALL), False),
        (pp("b", ALL), pp("a", ALL), True),
        (cpp("c", ALL), cpp("c", ALL), False),
        (cpp("c", ALL), pp("a", ALL), True),
    ],
    ids=["unclaimed", "same-pp", "other-pp", "same-cpp", "pp-over-cpp"],
)
def test_needs_claim(claimed_by: dict[str, Any] | None, policy: dict[str, Any], needed: bool) -> None:
    template = deployment()
    if claimed_by is not None:
        P.set_claim(template, claimed_by)
    assert P.needs_claim(template, policy) is needed


def test_remove_claim_only_touches_one_kind() -> None:
    template = deployment()
    P.set_claim(template, cpp("c", ALL))
    assert not P.remove_claim(template, C.KIND_PROPAGATION_POLICY)
    assert P.remove_claim(template, C.KIND_CLUSTER_PROPAGATION_POLICY)
    assert template["metadata"]["labels"] == {"app": "nginx"} and template["metadata"]["annotations"] == {}


def test_build_binding_for_a_namespaced_template() -> None:
    policy = pp("nginx-propagation", BY_NAME, propagateDeps=True, conflictResolution="Overwrite", schedulerName="default-scheduler",
                suspension={"dispatching": True}, preserveResourcesOnDeletion=True)
    requirements = {"resourceRequest": {"cpu": "500m"}}
    binding = P.build_binding(deployment(), policy, replicas=3, replica_requirements=requirements, schedule_priority=7)
    assert binding["kind"] == C.KIND_RESOURCE_BINDING
    meta, spec = binding["metadata"], binding["spec"]
    assert (meta["name"], meta["namespace"]) == ("nginx-deployment", "default")
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "uid": "uid-1", "controller": True, "blockOwnerDeletion": True}]
    assert meta["finalizers"] == [C.BINDING_CONTROLLER_FINALIZER]
    assert meta["labels"] == {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id-nginx-propagation"}
    assert meta["annotations"] == {C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION: "default", C.PROPAGATION_POLICY_NAME_ANNOTATION: "nginx-propagation"}
    assert spec["resource"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx", "uid": "uid-1", "resourceVersion": "7"}
    assert (spec["replicas"], spec["replicaRequirements"], spec["propagateDeps"]) == (3, requirements, True)
    assert spec["placement"] == policy["spec"]["placement"] and spec["placement"] is not policy["spec"]["placement"]
    assert (spec["conflictResolution"], spec["schedulerName"], spec["preserveResourcesOnDeletion"]) == ("Overwrite", "default-scheduler", True)
    assert spec["suspension"] == {"dispatching": True} and spec["schedulePriority"] == {"priority": 7}
    assert "clusters" not in spec


def test_build_cluster_binding_for_a_cluster_scoped_template() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:reader", "uid": "u2", "resourceVersion": "1"}}
    binding = P.build_binding(role, cpp("c", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}), schedule_priority=3)
    meta, spec = binding["metadata"], binding["spec"]
    assert binding["kind"] == C.KIND_CLUSTER_RESOURCE_BINDING and "namespace" not in meta
    assert meta["name"] == "system.reader-clusterrole"
    assert meta["finalizers"] == [C.CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER]
    assert meta["labels"] == {C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL: "cid-c"}
    assert "namespace" not in spec["resource"] and "replicas" not in spec and "schedulePriority" not in spec


def test_cpp_matching_a_namespaced_template_gives_a_resource_binding() -> None:
    assert P.build_binding(deployment(), cpp("c", ALL))["kind"] == C.KIND_RESOURCE_BINDING


def existing_binding() -> dict[str, Any]:
    binding = P.build_binding(deployment(), pp("a", ALL), replicas=3)
    binding["metadata"].update(resourceVersion="10", labels={**binding["metadata"]["labels"], "user": "x", C.RESOURCE_BINDING_PERMANENT_ID_LABEL: "rb-1"})
    binding["spec"].update(
        clusters=[{"name": "member1", "replicas": 3}],
        gracefulEvictionTasks=[{"fromCluster": "member2", "reason": "TaintUntolerated", "producer": "TaintManager"}],
        requiredBy=[{"name": "x", "namespace": "default"}],
        rescheduleTriggeredAt="2024-01-01T00:00:00Z",
        suspension={"scheduling": True, "dispatching": True},
    )
    return binding


def test_merge_binding_keeps_what_other_controllers_own() -> None:
    existing = existing_binding()
    desired = P.build_binding(deployment(resourceVersion="11"), pp("a", ALL, placement={"clusterAffinity": {"clusterNames": ["member2"]}}), replicas=5)
    merged = P.merge_binding(existing, desired)
    spec = merged["spec"]
    assert spec["clusters"] == [{"name": "member1", "replicas": 3}]
    assert spec["gracefulEvictionTasks"] == existing["spec"]["gracefulEvictionTasks"]
    assert spec["requiredBy"] == existing["spec"]["requiredBy"] and spec["rescheduleTriggeredAt"] == existing["spec"]["rescheduleTriggeredAt"]
    assert spec["replicas"] == 5 and spec["resource"]["resourceVersion"] == "11"
    assert spec["placement"] == {"clusterAffinity": {"clusterNames": ["member2"]}}
    assert spec["suspension"] == {"scheduling": True}  # the policy no longer suspends dispatching
    assert merged["metadata"]["labels"]["user"] == "x" and merged["metadata"]["labels"][C.RESOURCE_BINDING_PERMANENT_ID_LABEL] == "rb-1"
    assert merged["metadata"]["resourceVersion"] == "10"
    assert existing["spec"]["replicas"] == 3  # inputs are not changed


def test_merge_binding_is_a_no_op_when_nothing_changed() -> None:
    existing = existing_binding()
    desired = P.build_binding(deployment(), pp("a", ALL), replicas=3)
    desired["spec"]["suspension"] = {"dispatching": True}
    assert P.merge_binding(existing, desired) == existing


def test_merge_binding_pp_drops_cpp_claim_and_refuses_another_owner() -> None:
    existing = P.build_binding(deployment(), cpp("c", ALL))
    merged = P.merge_binding(existing, P.build_binding(deployment(), pp("a", ALL)))
    assert P.claim_of(merged) == P.Claim(C.KIND_PROPAGATION_POLICY, "default", "a", "id-a")
    assert C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL not in merged["metadata"]["labels"]
    other = P.build_binding(deployment(uid="old-uid"), pp("a", ALL))
    with pytest.raises(P.OwnerConflict):
        P.merge_binding(other, P.build_binding(deployment(), pp("a", ALL)))


def test_a_template_that_moved_by_its_status_only_keeps_its_fingerprint() -> None:
    template = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "resourceVersion": "1", "labels": {"x": "y"}}, "spec": {"replicas": 1}}
    moved = {**template, "metadata": {**template["metadata"], "resourceVersion": "2"}, "status": {"readyReplicas": 1}}
    assert P.template_fingerprint(template) == P.template_fingerprint(moved)
    assert P.template_fingerprint(template) != P.template_fingerprint({**template, "spec": {"replicas": 2}})
    binding = {"metadata": {"name": "a-deployment"}, "spec": {"resource": {"name": "a", "resourceVersion": "1"}, "replicas": 1}}
    assert P.only_resource_version_moved(binding, {**binding, "spec": {**binding["spec"], "resource": {"name": "a", "resourceVersion": "2"}}})
    assert not P.only_resource_version_moved(binding, {**binding, "spec": {**binding["spec"], "replicas": 2}})
