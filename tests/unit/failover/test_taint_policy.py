"""ClusterTaintPolicy: condition matching, taints added and removed, webhook validation."""

from __future__ import annotations

import pytest

from pykarmada.karmada.taint_policy import cluster_taints, condition_matches, validate_cluster_taint_policy
from pykarmada.webhooks.app import admit, routes
from pykarmada.webhooks.review import AdmissionRequest

READY_FALSE = [{"type": "Ready", "status": "False"}]
NOW = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("conditions", "match", "expected"),
    [
        (READY_FALSE, [{"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}], True),
        (READY_FALSE, [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}], False),
        (READY_FALSE, [{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["True"]}], True),
        (READY_FALSE, [{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["False"]}], False),
        ([], [{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["True"]}], False),  # absent type matches nothing
        (READY_FALSE, [], False),  # no match conditions: never
        (READY_FALSE, [{"conditionType": "Ready", "operator": "Exists", "statusValues": []}], False),
        (
            READY_FALSE + [{"type": "Disk", "status": "True"}],
            [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}, {"conditionType": "Disk", "operator": "In", "statusValues": ["False"]}],
            False,  # ANDed
        ),
    ],
)
def test_condition_matches(conditions: list, match: list, expected: bool) -> None:
    assert condition_matches(conditions, match) is expected


def _policy(name: str, created: str, **spec: object) -> dict:
    return {"metadata": {"name": name, "creationTimestamp": created}, "spec": {"taints": [{"key": "down", "effect": "NoExecute"}], **spec}}


ADD_ON_FALSE = [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}]
REMOVE_ON_TRUE = [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}]


def _cluster(status: str, taints: list | None = None, name: str = "m1") -> dict:
    return {"metadata": {"name": name, "labels": {"env": "prod"}}, "spec": {"taints": taints or []}, "status": {"conditions": [{"type": "Ready", "status": status}]}}


def test_taint_added_on_condition_and_removed_on_recovery() -> None:
    policy = _policy("p", NOW, addOnConditions=ADD_ON_FALSE, removeOnConditions=REMOVE_ON_TRUE)
    tainted = cluster_taints(_cluster("False"), [policy], NOW)
    assert tainted == [{"key": "down", "effect": "NoExecute", "timeAdded": NOW}]
    assert cluster_taints(_cluster("False", tainted), [policy], "later") == tainted, "present taint keeps its timeAdded"
    assert cluster_taints(_cluster("True", tainted), [policy], NOW) == []
    assert cluster_taints(_cluster("Unknown", tainted), [policy], NOW) == tainted, "neither condition: unchanged"


def test_target_clusters_and_policy_order() -> None:
    only_m2 = _policy("a", "2026-01-01T00:00:01Z", targetClusters={"clusterNames": ["m2"]}, addOnConditions=ADD_ON_FALSE)
    assert cluster_taints(_cluster("False"), [only_m2], NOW) == []
    # older policy adds, newer removes on the same condition: the newer one wins, every time
    adds = _policy("old", "2026-01-01T00:00:00Z", addOnConditions=ADD_ON_FALSE)
    removes = _policy("new", "2026-01-01T00:00:05Z", removeOnConditions=ADD_ON_FALSE)
    assert cluster_taints(_cluster("False"), [removes, adds], NOW) == []


def test_value_and_other_taints_kept() -> None:
    policy = {"metadata": {"creationTimestamp": NOW}, "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}], "addOnConditions": ADD_ON_FALSE}}
    other = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}
    assert cluster_taints(_cluster("False", [other]), [policy], NOW) == [other, {"key": "k", "effect": "NoSchedule", "timeAdded": NOW, "value": "v"}]


def test_validation_names_the_field() -> None:
    policy = {"spec": {"taints": [{"key": "a", "effect": "NoExecute"}, {"key": "b", "effect": "NoSchedule"}, {"key": "b", "effect": "NoSchedule", "value": "x"}]}}
    errors = [str(e) for e in validate_cluster_taint_policy(policy, allow_no_execute=False)]
    assert errors == [
        "spec.taints[0]: Forbidden: Configuring taint with NoExecute effect is not allowed, this capability must be explicitly enabled by administrators through command-line flags",
        'spec.taints[1]: Duplicate value: "Duplicate taint with the same key(b) and effect(NoSchedule) is not allowed"',
    ]
    assert [str(e) for e in validate_cluster_taint_policy(policy, allow_no_execute=True)] == errors[1:]


def _request(obj: dict) -> AdmissionRequest:
    return AdmissionRequest("u", "ClusterTaintPolicy", "CREATE", "", obj["metadata"]["name"], obj, None, False)


def test_webhook_flag_allows_no_execute() -> None:
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": "p"}, "spec": {"taints": [{"key": "a", "effect": "NoExecute"}]}}
    refused = admit(routes(False)["/validate-clustertaintpolicy"], _request(policy))
    assert refused["allowed"] is False and refused["status"]["code"] == 403 and refused["status"]["message"].startswith("spec.taints[0]: Forbidden")
    assert admit(routes(True)["/validate-clustertaintpolicy"], _request(policy))["allowed"] is True
    bad = {**policy, "spec": {"taints": "nope"}}
    assert admit(routes(True)["/validate-clustertaintpolicy"], _request(bad))["status"]["code"] == 400


def test_no_execute_on_every_cluster_is_admitted_with_a_warning() -> None:
    spec = {"taints": [{"key": "a", "effect": "NoExecute"}]}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy", "metadata": {"name": "p"}, "spec": spec}
    answer = admit(routes(True)["/validate-clustertaintpolicy"], _request(policy))
    assert answer["allowed"] is True and answer["warnings"][0].startswith("spec.targetClusters: selects every cluster")
    narrowed = {**policy, "spec": {**spec, "targetClusters": {"clusterNames": ["member1"]}}}
    assert "warnings" not in admit(routes(True)["/validate-clustertaintpolicy"], _request(narrowed))
    no_schedule = {**policy, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}
    assert "warnings" not in admit(routes(True)["/validate-clustertaintpolicy"], _request(no_schedule))
