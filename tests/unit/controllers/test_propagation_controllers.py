"""Pure decisions inside the propagation controllers: what the scheduler writes, which events
reach which queue, namespace sync selection, metadata patches and the Work index."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pykarmada.controllers.common.apiutil import binding_path, merge_patch, metadata_patch, with_finalizer, without_finalizer, work_path
from pykarmada.controllers.binding.binding import WORKS_BY_BINDING_ID, BindingController, binding_of_work, work_binding_ids
from pykarmada.controllers.detector.policies import PolicyKey, PolicyReconciler, TemplateKey
from pykarmada.controllers.namespace.namespace_sync import namespaces_selected_by, should_sync
from pykarmada.controllers.scheduler.controller import SchedulerController, build_status, result_patch, same_targets
from pykarmada.controllers.scheduler.core import schedule_binding
from pykarmada.karmada import constants as C
from pykarmada.karmada.propagation import compile_namespace_patterns
from pykarmada.kube.informer import Informer, object_key
from pykarmada.kube.workqueue import HIGH_PRIORITY, LOW_PRIORITY
from tests.unit.scheduler.builders import EVEN_UID, cluster


class FakeInformer(Informer):
    """An Informer holding the given objects, never started: no I/O."""

    def __init__(self, *objs: dict[str, Any]) -> None:
        super().__init__(None, "/")  # type: ignore[arg-type]
        for o in objs:
            self._put(object_key(o), o)


def rb(name: str, namespace: str = "default", *, generation: int = 1, clusters: list[dict[str, Any]] | None = None, placement: dict[str, Any] | None = None,
       resource: dict[str, Any] | None = None, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "generation": generation, "resourceVersion": "10", "labels": {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "p"} if labels is None else labels}
    if namespace:
        meta["namespace"] = namespace
    body: dict[str, Any] = {"resource": resource or {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": namespace, "name": name, "uid": EVEN_UID},
                            "placement": placement if placement is not None else {"clusterAffinity": {"clusterNames": ["m1", "m2"]}}, **spec}
    if clusters is not None:
        body["clusters"] = clusters
    return {"metadata": meta, "spec": body, "status": {}}


# ---- scheduler -------------------------------------------------------------------------------


def test_success_status_and_result_patch() -> None:
    binding = rb("web", replicas=4, placement={"clusterAffinity": {"clusterNames": ["m1", "m2"]}, "replicaScheduling": {"replicaSchedulingType": "Divided"}})
    outcome = schedule_binding(binding["spec"], [cluster("m1"), cluster("m2"), cluster("m3")], {})
    patch = result_patch(binding, outcome)
    assert patch["spec"]["clusters"] == [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}]
    assert json.loads(patch["metadata"]["annotations"][C.APPLIED_PLACEMENT_ANNOTATION]) == binding["spec"]["placement"]
    assert "resourceVersion" not in patch["metadata"]
    capacity = json.loads(patch["metadata"]["annotations"][C.ESTIMATED_CAPACITY_ANNOTATION])
    assert set(capacity) == {"m1", "m2"} and all(v >= 2 for v in capacity.values()), capacity
    status = build_status({"conditions": [{"type": "FullyApplied", "status": "True", "reason": "x", "message": "", "lastTransitionTime": "t"}]}, 1, outcome)
    scheduled = next(c for c in status["conditions"] if c["type"] == "Scheduled")
    assert (scheduled["status"], scheduled["reason"], scheduled["message"]) == ("True", "Success", "Binding has been scheduled successfully.")
    assert status["schedulerObservedGeneration"] == 1 and status["lastScheduledTime"]
    assert any(c["type"] == "FullyApplied" for c in status["conditions"])


def test_no_cluster_fit_empties_clusters_and_keeps_observed_generation() -> None:
    binding = rb("web", clusters=[{"name": "m1"}], placement={"clusterAffinity": {"clusterNames": ["nowhere"]}})
    binding["status"] = {"schedulerObservedGeneration": 0}
    outcome = schedule_binding(binding["spec"], [cluster("m1")], {})
    patch = result_patch(binding, outcome)
    assert patch["spec"] == {"clusters": None}
    status = build_status(binding["status"], 3, outcome)
    cond = status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "NoClusterFit")
    assert cond["message"] == "0/1 clusters are available: 1 cluster(s) did not match the placement cluster affinity constraint."
    assert status["schedulerObservedGeneration"] == 0 and "lastScheduledTime" not in status


def test_result_patch_is_empty_when_nothing_changes() -> None:
    placement = {"clusterAffinity": {"clusterNames": ["m1"]}}
    binding = rb("web", placement=placement, clusters=[{"name": "m1"}])
    binding["metadata"]["annotations"] = {C.APPLIED_PLACEMENT_ANNOTATION: json.dumps(placement, separators=(",", ":"))}
    assert result_patch(binding, schedule_binding(binding["spec"], [cluster("m1")], {})) is None


def test_an_equal_result_in_another_order_is_not_written_again() -> None:
    placement = {"clusterAffinity": {"clusterNames": ["m1", "m2"]}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
    binding = rb("web", replicas=1, placement=placement, clusters=[{"name": "m2", "replicas": 1}, {"name": "m1", "replicas": 1}])
    binding["metadata"]["annotations"] = {C.APPLIED_PLACEMENT_ANNOTATION: json.dumps(placement, separators=(",", ":"))}
    assert result_patch(binding, schedule_binding(binding["spec"], [cluster("m1"), cluster("m2")], {})) is None
    assert same_targets([{"name": "a", "replicas": 1}, {"name": "b"}], [{"name": "b", "replicas": 0}, {"name": "a", "replicas": 1}])
    assert not same_targets([{"name": "a", "replicas": 1}], [{"name": "a", "replicas": 2}])
    assert not same_targets([{"name": "a"}], [{"name": "a"}, {"name": "b"}])


@pytest.mark.parametrize(
    ("event", "old", "new", "queued"),
    [
        ("ADDED", None, rb("a"), True),
        ("ADDED", None, rb("a", labels={}), False),
        ("ADDED", None, rb("a", schedulerName="other"), False),
        ("MODIFIED", rb("a"), rb("a"), False),
        ("MODIFIED", rb("a"), rb("a", generation=2), True),
        ("DELETED", rb("a"), rb("a"), False),
    ],
    ids=["added", "no-policy-label", "other-scheduler", "status-only", "generation-changed", "deleted"],
)
def test_scheduler_binding_events(event: str, old: dict[str, Any] | None, new: dict[str, Any], queued: bool) -> None:
    queue: list[Any] = []
    scheduler = SchedulerController(None, FakeInformer(), FakeInformer(), FakeInformer())  # type: ignore[arg-type]
    scheduler.on_binding(queue.append)(event, new, old)
    assert bool(queue) is queued


def test_cluster_label_change_enqueues_only_bindings_that_select_it() -> None:
    by_label = rb("labelled", placement={"clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}}})
    by_name = rb("named", placement={"clusterAffinity": {"clusterNames": ["m9"]}})
    anywhere = rb("anywhere", placement={})
    queue: list[Any] = []
    scheduler = SchedulerController(None, FakeInformer(by_label, by_name, anywhere), FakeInformer(), FakeInformer())  # type: ignore[arg-type]
    old, new = cluster("m1"), cluster("m1", labels={"env": "prod"})
    scheduler.on_cluster(queue.append)("MODIFIED", new, old)
    assert sorted(queue) == [("default", "anywhere"), ("default", "labelled")]
    queue.clear()
    scheduler.on_cluster(queue.append)("MODIFIED", new, new)  # status-only: nothing
    assert queue == []


# ---- binding controller ----------------------------------------------------------------------


def work(name: str, namespace: str, bid: str, binding: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "labels": {C.RESOURCE_BINDING_PERMANENT_ID_LABEL: bid},
                         "annotations": {C.RESOURCE_BINDING_NAMESPACE_ANNOTATION: "default", C.RESOURCE_BINDING_NAME_ANNOTATION: binding}}}


def test_works_are_indexed_by_their_bindings_permanent_id() -> None:
    w1, w2 = work("w", "karmada-es-m1", "id-1", "b"), work("w", "karmada-es-m2", "id-1", "b")
    assert work_binding_ids(w1) == ["id-1"] and work_binding_ids({"metadata": {}}) == []
    works = FakeInformer(w1, w2)
    works.add_index(WORKS_BY_BINDING_ID, work_binding_ids)
    assert works.index_keys(WORKS_BY_BINDING_ID, "id-1") == [("karmada-es-m1", "w"), ("karmada-es-m2", "w")]
    assert binding_of_work(w1) == ("default", "b")
    assert binding_of_work({"metadata": {"annotations": {C.CLUSTER_RESOURCE_BINDING_ANNOTATION: "crb"}}}) == ("", "crb")
    assert binding_of_work({"metadata": {}}) is None


def test_override_policy_events_reach_the_bindings_it_may_select() -> None:
    web, db, other_ns = rb("web"), rb("db"), rb("web", namespace="other")
    crb = rb("role", namespace="", resource={"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "role"})
    informers = {
        C.RESOURCE_BINDINGS_PATH: FakeInformer(web, db, other_ns), C.CLUSTER_RESOURCE_BINDINGS_PATH: FakeInformer(crb),
        C.WORKS_PATH: FakeInformer(), C.CLUSTERS_PATH: FakeInformer(), C.OVERRIDE_POLICIES_PATH: FakeInformer(), C.CLUSTER_OVERRIDE_POLICIES_PATH: FakeInformer(),
    }
    controller = BindingController(None, informers, None)  # type: ignore[arg-type]
    op = {"metadata": {"name": "op", "namespace": "default"}, "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}]}}
    assert controller.bindings_for_policy(op) == {("default", "web")}
    everything = {"metadata": {"name": "op", "namespace": "default"}, "spec": {}}
    assert controller.bindings_for_policy(everything) == {("default", "web"), ("default", "db")}
    cop = {"metadata": {"name": "cop"}, "spec": {"resourceSelectors": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}]}}
    assert controller.bindings_for_policy(cop) == {("", "role")}
    narrowed = {"metadata": {"name": "op", "namespace": "default"}, "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "db"}]}}
    assert controller.bindings_for_policy(narrowed, old=op) == {("default", "web"), ("default", "db")}


# ---- detector policy events ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "old_meta", "new_meta", "queued"),
    [
        ("ADDED", None, {"generation": 1}, True),
        ("MODIFIED", {"generation": 1}, {"generation": 1}, False),
        ("MODIFIED", {"generation": 1}, {"generation": 2}, True),
        ("MODIFIED", {"generation": 2}, {"generation": 2, "deletionTimestamp": "t"}, True),
        ("DELETED", {"generation": 2}, {"generation": 2}, False),
    ],
    ids=["added", "same-generation", "generation-changed", "deletion-started", "deleted"],
)
def test_policy_events(event: str, old_meta: dict[str, Any] | None, new_meta: dict[str, Any], queued: bool) -> None:
    class Detector:
        queue = type("Q", (), {"add": lambda self, key, _priority: added.append(key)})()
        pps = cpps = type("I", (), {"low_priority": False})()

        def deprioritized(self, *_args: Any) -> None:
            pass

    added: list[Any] = []
    handler = PolicyReconciler(Detector()).on_policy(C.KIND_PROPAGATION_POLICY)  # type: ignore[arg-type]
    old = {"metadata": {"name": "p", "namespace": "ns", **old_meta}} if old_meta is not None else None
    handler(event, {"metadata": {"name": "p", "namespace": "ns", **new_meta}}, old)
    assert added == ([PolicyKey(C.KIND_PROPAGATION_POLICY, "ns", "p")] if queued else [])


def test_policies_from_the_informer_list_are_queued_at_low_priority() -> None:
    class Detector:
        queue = type("Q", (), {"add": lambda self, key, priority: added.append((key.name, priority))})()
        pps = cpps = type("I", (), {"low_priority": False})()

    added: list[Any] = []
    handler = PolicyReconciler(Detector()).on_policy(C.KIND_PROPAGATION_POLICY)  # type: ignore[arg-type]
    Detector.pps.low_priority = True
    handler("ADDED", {"metadata": {"name": "listed", "namespace": "ns", "generation": 1}}, None)
    Detector.pps.low_priority = False
    handler("ADDED", {"metadata": {"name": "created", "namespace": "ns", "generation": 1}}, None)
    assert added == [("listed", LOW_PRIORITY), ("created", HIGH_PRIORITY)]


def test_template_keys() -> None:
    key = TemplateKey("apps/v1", "Deployment", "ns", "web", lazy=True)
    assert key.base == TemplateKey("apps/v1", "Deployment", "ns", "web") and key.base != key
    assert str(TemplateKey("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r")) == "ClusterRole(rbac.authorization.k8s.io/v1) r"


# ---- namespace sync --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "labels", "deleting", "synced"),
    [
        ("team-a", {}, False, True),
        ("default", {}, False, False),
        ("kube-system", {}, False, False),
        ("karmada-es-member1", {}, False, False),
        ("karmada-system", {}, False, False),
        ("team-b", {C.NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL: "True"}, False, False),
        ("team-c", {C.NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL: "no"}, False, True),
        ("team-d", {}, True, False),
    ],
    ids=["plain", "default", "kube-prefix", "execution-space", "reserved", "skip-label-any-case", "skip-label-not-true", "deleting"],
)
def test_namespace_selection(name: str, labels: dict[str, str], deleting: bool, synced: bool) -> None:
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if deleting:
        meta["deletionTimestamp"] = "t"
    assert should_sync({"metadata": meta}, compile_namespace_patterns(C.DEFAULT_SKIPPED_PROPAGATING_NAMESPACES)) is synced


@pytest.mark.parametrize(
    ("selectors", "selected"),
    [
        ([{"apiVersion": "v1", "kind": "Namespace", "name": "a"}, {"apiVersion": "v1", "kind": "Namespace", "name": "b"}], {"a", "b"}),
        ([{"apiVersion": "v1", "kind": "Namespace", "name": "a"}, {"apiVersion": "v1", "kind": "Namespace"}], None),
        ([{"apiVersion": "apps/v1", "kind": "Deployment"}], set()),
    ],
    ids=["named", "unnamed-means-all", "other-kinds"],
)
def test_namespaces_a_cluster_override_policy_touches(selectors: list[dict[str, Any]], selected: set[str] | None) -> None:
    assert namespaces_selected_by({"spec": {"resourceSelectors": selectors}}) == selected


# ---- patches and paths -----------------------------------------------------------------------


def test_metadata_patch() -> None:
    old = {"metadata": {"resourceVersion": "3", "labels": {"a": "1", "gone": "x"}, "annotations": {"k": "v"}}}
    new = {"metadata": {"labels": {"a": "1", "added": "y"}, "annotations": {"k": "v"}}}
    assert metadata_patch(old, new) == {"metadata": {"labels": {"gone": None, "added": "y"}, "resourceVersion": "3"}}
    assert metadata_patch(old, old) is None


def test_finalizer_patches() -> None:
    obj = {"metadata": {"resourceVersion": "1", "finalizers": ["a", "b"]}}
    assert without_finalizer(obj, "a") == {"metadata": {"resourceVersion": "1", "finalizers": ["b"]}}
    assert without_finalizer(obj, "c") is None
    assert with_finalizer(obj, "c") == {"metadata": {"resourceVersion": "1", "finalizers": ["a", "b", "c"]}}
    assert with_finalizer(obj, "a") is None


def test_paths() -> None:
    assert binding_path("ns", "b") == "/apis/work.karmada.io/v1alpha2/namespaces/ns/resourcebindings/b"
    assert binding_path("", "b", subresource="status") == "/apis/work.karmada.io/v1alpha2/clusterresourcebindings/b/status"
    assert work_path("karmada-es-m1") == "/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-m1/works"


def test_merge_patch_turns_the_old_status_into_the_new() -> None:
    old = {"replicas": 3, "readyReplicas": 1, "unavailableReplicas": 2, "loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    new = {"replicas": 3, "readyReplicas": 3, "loadBalancer": {}}
    patch = merge_patch(old, new)
    assert patch == {"readyReplicas": 3, "unavailableReplicas": None, "loadBalancer": {"ingress": None}}
    assert merge_patch(new, new) == {}
    assert merge_patch({}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_a_cached_template_older_than_the_binding_names_is_not_used() -> None:
    from pykarmada.controllers.common.templates import _older

    assert _older("9", "10") and not _older("10", "10") and not _older("11", "10")
    assert _older(None, "10") and _older("x", "10")
