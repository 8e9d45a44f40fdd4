"""When a dequeued binding is (re)scheduled (behaviour.md 2.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pykarmada.controllers.scheduler.triggers import (
    ALWAYS_SCHEDULED,
    PLACEMENT_CHANGED,
    REPLICAS_CHANGED,
    RESCHEDULE_TRIGGERED,
    TERMINATING_CLUSTER,
    binding_affected_by_cluster,
    clusters_to_reconcile,
    is_binding_for_scheduler,
    placement_changed,
    replicas_changed,
    schedule_trigger,
)
from pykarmada.karmada import constants as C
from tests.unit.scheduler.builders import binding_spec, cluster, duplicated, dynamic_weights, names, targets

TERMS = [{"affinityName": "a", **names("m1")}, {"affinityName": "b", **names("m2")}]


@pytest.mark.parametrize(
    ("current", "applied", "observed", "changed"),
    [
        ({"clusterAffinity": names("m1")}, None, "", True),
        ({"clusterAffinity": names("m1")}, "not json", "", False),
        ({"clusterAffinity": names("m1")}, {"clusterAffinity": names("m1")}, "", False),
        ({"clusterAffinity": names("m1")}, {"clusterAffinity": names("m2")}, "", True),
        ({"clusterTolerations": [{"key": "k", "operator": "Exists"}]}, {}, "", True),
        (dynamic_weights(), duplicated(), "", True),
        ({"clusterAffinity": {"clusterNames": ["m1"], "exclude": []}}, {"clusterAffinity": names("m1")}, "", False),
        ({"clusterAffinities": TERMS}, {"clusterAffinities": TERMS}, "a", False),
        ({"clusterAffinities": TERMS}, {"clusterAffinities": [TERMS[0], {"affinityName": "b", **names("m9")}]}, "", True),
        ({"clusterAffinities": TERMS}, {"clusterAffinities": [TERMS[0], {"affinityName": "b", **names("m9")}]}, "a", False),
        ({"clusterAffinities": TERMS}, {"clusterAffinities": [TERMS[0], {"affinityName": "b", **names("m9")}]}, "b", True),
        ({"clusterAffinities": TERMS}, {"clusterAffinities": [TERMS[1]]}, "a", True),
        ({"clusterAffinities": TERMS, "workloadAffinity": {}}, {"clusterAffinities": TERMS, "x": 1}, "a", False),
    ],
    ids=[
        "no-annotation",
        "unparsable",
        "equal",
        "affinity-differs",
        "tolerations-differ",
        "replica-scheduling-differs",
        "empty-lists-ignored",
        "terms-equal",
        "other-term-changed-no-observed-name",
        "other-term-changed-observed-unchanged",
        "observed-term-changed",
        "observed-term-missing-before",
        "only-unrelated-fields-differ",
    ],
)
def test_placement_changed(current: dict[str, Any], applied: Any, observed: str, changed: bool) -> None:
    text = applied if isinstance(applied, str) or applied is None else json.dumps(applied)
    assert placement_changed(current, text, observed) is changed


@pytest.mark.parametrize(
    ("placement", "replicas", "clusters", "changed"),
    [
        ({}, 3, targets(m1=1), False),
        (duplicated(), 3, targets(m1=3, m2=3), False),
        (duplicated(), 4, targets(m1=3, m2=4), True),
        (dynamic_weights(), 5, targets(m1=3, m2=2), False),
        (dynamic_weights(), 6, targets(m1=3, m2=2), True),
        ({"replicaScheduling": {}}, 6, targets(m1=3, m2=2), True),
    ],
    ids=["no-replica-scheduling", "duplicated-same", "duplicated-differs", "divided-sum-equal", "divided-sum-differs", "type-defaults-to-divided"],
)
def test_replicas_changed(placement: dict, replicas: int, clusters: list, changed: bool) -> None:
    assert replicas_changed(binding_spec(replicas=replicas, placement=placement, clusters=clusters)) is changed


def binding(spec: dict[str, Any], *, applied: bool = True, status: dict[str, Any] | None = None) -> dict[str, Any]:
    annotations = {C.APPLIED_PLACEMENT_ANNOTATION: json.dumps(spec["placement"])} if applied else {}
    return {"metadata": {"name": "nginx-deployment", "namespace": "default", "annotations": annotations, "generation": 2}, "spec": spec, "status": status or {}}


def test_schedule_trigger_order() -> None:
    divided = binding_spec(replicas=5, placement=dynamic_weights(), clusters=targets(m1=3, m2=2))
    clusters = [cluster("m1"), cluster("m2")]
    assert schedule_trigger(binding(divided, applied=False), clusters) == PLACEMENT_CHANGED
    assert schedule_trigger(binding({**divided, "replicas": 6}), clusters) == REPLICAS_CHANGED
    status = {"lastScheduledTime": "2024-05-01T10:00:00Z"}
    assert schedule_trigger(binding({**divided, "rescheduleTriggeredAt": "2024-05-01T10:00:01Z"}, status=status), clusters) == RESCHEDULE_TRIGGERED
    assert schedule_trigger(binding({**divided, "rescheduleTriggeredAt": "2024-05-01T09:00:00Z"}, status=status), clusters) is None
    assert schedule_trigger(binding(divided), [cluster("m1"), cluster("m2", deleting=True)]) == TERMINATING_CLUSTER
    assert schedule_trigger(binding(divided), [cluster("m1"), cluster("m3", deleting=True)]) is None


def test_duplicated_and_non_workloads_are_always_scheduled() -> None:
    dup = binding_spec(replicas=2, placement=duplicated(), clusters=targets(m1=2))
    assert schedule_trigger(binding(dup), []) == ALWAYS_SCHEDULED
    config = binding_spec(replicas=0, placement=dynamic_weights(), resource=("v1", "ConfigMap"), clusters=[{"name": "m1"}])
    assert schedule_trigger(binding(config), []) == ALWAYS_SCHEDULED


def labelled(spec: dict[str, Any], labels: dict[str, str], **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "b", "namespace": "default", "generation": 3, "labels": labels}, "spec": spec, "status": status}


PP_LABEL = {C.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id"}


@pytest.mark.parametrize(
    ("spec_extra", "labels", "scheduler", "accepted"),
    [
        ({}, PP_LABEL, "default-scheduler", True),
        ({}, {C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id"}, "default-scheduler", True),
        ({}, {C.BINDING_MANAGED_BY_LABEL: "MultiClusterService"}, "default-scheduler", True),
        ({}, {}, "default-scheduler", False),
        ({"schedulerName": ""}, PP_LABEL, "default-scheduler", True),
        ({"schedulerName": "other"}, PP_LABEL, "default-scheduler", False),
        ({"schedulerName": "other"}, PP_LABEL, "other", True),
        ({"suspension": {"scheduling": True}}, PP_LABEL, "default-scheduler", False),
        ({"suspension": {"scheduling": False}}, PP_LABEL, "default-scheduler", True),
    ],
    ids=["pp", "cpp", "managed-by", "unclaimed", "empty-name-is-default", "other-scheduler", "named-scheduler", "suspended", "not-suspended"],
)
def test_binding_event_filter(spec_extra: dict, labels: dict, scheduler: str, accepted: bool) -> None:
    spec = {**binding_spec(replicas=1), **spec_extra}
    assert is_binding_for_scheduler(labelled(spec, labels), scheduler) is accepted


def test_clusters_to_reconcile() -> None:
    old = cluster("m1", labels={"env": "prod"})
    old["metadata"]["generation"] = 1
    status_only = {**old, "status": {"conditions": []}}
    assert clusters_to_reconcile(old, status_only) == ()
    relabelled = {**old, "metadata": {**old["metadata"], "labels": {"env": "dev"}}}
    assert clusters_to_reconcile(old, relabelled) == (old, relabelled)
    tainted = {**old, "metadata": {**old["metadata"], "generation": 2}}
    assert clusters_to_reconcile(old, tainted) == (old, tainted)
    deleting = {**old, "metadata": {**old["metadata"], "deletionTimestamp": "2024-01-01T00:00:00Z", "labels": {}}}
    assert clusters_to_reconcile(old, deleting) == (deleting,)


@pytest.mark.parametrize(
    ("placement", "status", "cluster_name", "affected"),
    [
        ({}, {}, "m9", True),
        ({"clusterAffinity": names("m1")}, {}, "m1", True),
        ({"clusterAffinity": names("m1")}, {}, "m2", False),
        ({"clusterAffinities": TERMS}, {"schedulerObservedGeneration": 3}, "m1", True),
        ({"clusterAffinities": TERMS}, {"schedulerObservedGeneration": 3}, "m2", False),
        ({"clusterAffinities": TERMS}, {"schedulerObservedGeneration": 3, "schedulerObservingAffinityName": "b"}, "m2", True),
        ({"clusterAffinities": TERMS}, {"schedulerObservedGeneration": 2}, "m9", True),
    ],
    ids=["no-affinity", "affinity-match", "affinity-mismatch", "first-term-by-default", "other-term", "observed-term", "pending-generation"],
)
def test_binding_affected_by_cluster(placement: dict, status: dict, cluster_name: str, affected: bool) -> None:
    b = labelled(binding_spec(replicas=1, placement=placement), PP_LABEL, **status)
    assert binding_affected_by_cluster(b, cluster(cluster_name)) is affected
