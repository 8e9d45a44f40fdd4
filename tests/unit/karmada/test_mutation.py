"""Defaults of karmada/mutation.py (surfaces.md 3.3-3.5)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pykarmada.karmada import constants as c
from pykarmada.karmada.mutation import mutate_binding, mutate_override_policy, mutate_propagation_policy, mutate_work

NS = "demo"
SELECTOR = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}


def _pp(spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {"kind": "PropagationPolicy", "metadata": {"name": "p", **meta}, "spec": {"resourceSelectors": [dict(SELECTOR)], **spec}}


SPEC_CASES = [
    pytest.param({}, {"placement": {}}, id="placement-filled"),
    pytest.param(
        {"placement": {"spreadConstraints": [{"maxGroups": 2}, {"spreadByLabel": "t", "minGroups": 2}]}},
        {"placement": {"spreadConstraints": [{"maxGroups": 2, "spreadByField": "cluster", "minGroups": 1}, {"spreadByLabel": "t", "minGroups": 2}]}},
        id="spread-defaults",
    ),
    pytest.param(
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}},
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}},
        id="divided-weighted",
    ),
    pytest.param(
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}},
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}},
        id="duplicated-unchanged",
    ),
    pytest.param(
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}},
        {"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}},
        id="aggregated-kept",
    ),
    pytest.param(
        {"failover": {"application": {"decisionConditions": {}, "purgeMode": "Gracefully"}}},
        {"placement": {}, "failover": {"application": {"decisionConditions": {}, "purgeMode": "Gracefully", "gracePeriodSeconds": 600}}},
        id="grace-period",
    ),
    pytest.param(
        {"failover": {"application": {"decisionConditions": {}, "purgeMode": "Directly"}}},
        {"placement": {}, "failover": {"application": {"decisionConditions": {}, "purgeMode": "Directly"}}},
        id="no-grace-period-when-directly",
    ),
]


@pytest.mark.parametrize(("spec", "want"), SPEC_CASES)
def test_propagation_spec_defaults(spec: dict[str, Any], want: dict[str, Any]) -> None:
    out = mutate_propagation_policy(_pp(spec), namespace=NS, cluster_scoped=False, creating=False, new_id="id")
    expected = {"resourceSelectors": [{**SELECTOR, "namespace": NS}], "placement": {}, **want}
    assert out["spec"] == expected


def test_service_import_forces_propagate_deps() -> None:
    policy = _pp({})
    policy["spec"]["resourceSelectors"].append({"apiVersion": c.SERVICE_IMPORT_API_VERSION, "kind": c.SERVICE_IMPORT_KIND, "name": "s"})
    out = mutate_propagation_policy(policy, namespace=NS, cluster_scoped=False, creating=False, new_id="id")
    assert out["spec"]["propagateDeps"] is True


@pytest.mark.parametrize(
    ("cluster_scoped", "label", "finalizer"),
    [
        pytest.param(False, c.PROPAGATION_POLICY_PERMANENT_ID_LABEL, c.PROPAGATION_POLICY_CONTROLLER_FINALIZER, id="pp"),
        pytest.param(True, c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL, c.CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER, id="cpp"),
    ],
)
def test_create_adds_permanent_id_and_finalizer(cluster_scoped: bool, label: str, finalizer: str) -> None:
    policy = _pp({}, labels={label: "user-chosen", "app": "x"}, finalizers=["other"])
    original = copy.deepcopy(policy)
    out = mutate_propagation_policy(policy, namespace=NS, cluster_scoped=cluster_scoped, creating=True, new_id="fresh")
    assert policy == original, "the input is not changed"
    assert out["metadata"]["labels"] == {label: "fresh", "app": "x"}, "a user value is overwritten"
    assert out["metadata"]["finalizers"] == ["other", finalizer]
    assert out["spec"]["resourceSelectors"][0].get("namespace") == (None if cluster_scoped else NS)
    again = mutate_propagation_policy(out, namespace=NS, cluster_scoped=cluster_scoped, creating=True, new_id="fresh")
    assert again["metadata"]["finalizers"] == ["other", finalizer], "the finalizer is added once"


def test_update_keeps_labels_and_finalizers() -> None:
    policy = _pp({}, labels={c.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id-1"})
    out = mutate_propagation_policy(policy, namespace=NS, cluster_scoped=False, creating=False, new_id="fresh")
    assert out["metadata"] == policy["metadata"]


def test_override_policy_namespaces_and_overriders() -> None:
    policy = {"kind": "OverridePolicy", "spec": {"resourceSelectors": [dict(SELECTOR), {**SELECTOR, "namespace": "x"}], "overrideRules": []}}
    out = mutate_override_policy(policy, namespace=NS)
    assert [s["namespace"] for s in out["spec"]["resourceSelectors"]] == [NS, "x"]
    assert out["spec"]["overriders"] == {}


@pytest.mark.parametrize(
    ("labels", "want"),
    [pytest.param(None, "fresh", id="absent"), pytest.param({"x": "y"}, "fresh", id="other-labels"),
     pytest.param({"L": ""}, "fresh", id="empty"), pytest.param({"L": "kept"}, "kept", id="present")],
)
@pytest.mark.parametrize("cluster_scoped", [False, True], ids=["rb", "crb"])
def test_binding_permanent_id(labels: dict[str, str] | None, want: str, cluster_scoped: bool) -> None:
    label = c.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL if cluster_scoped else c.RESOURCE_BINDING_PERMANENT_ID_LABEL
    labels = {label if k == "L" else k: v for k, v in (labels or {}).items()} if labels is not None else None
    binding = {"metadata": {"name": "b"} | ({"labels": labels} if labels is not None else {}), "spec": {}}
    assert mutate_binding(binding, cluster_scoped=cluster_scoped, new_id="fresh")["metadata"]["labels"][label] == want


def test_work_permanent_id_and_manifests() -> None:
    work = {
        "metadata": {"name": "w", "labels": {c.WORK_PERMANENT_ID_LABEL: "work-id"}},
        "spec": {"workload": {"manifests": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "u", "resourceVersion": "7"}, "data": {"a": "b"}},
        ]}},
    }
    out = mutate_work(work, new_id="fresh")
    assert out["metadata"]["labels"][c.WORK_PERMANENT_ID_LABEL] == "work-id"
    manifest = out["spec"]["workload"]["manifests"][0]
    assert manifest["metadata"] == {
        "name": "c",
        "labels": {c.WORK_PERMANENT_ID_LABEL: "work-id"},
        "annotations": {
            c.MANAGED_ANNOTATIONS_ANNOTATION: f"{c.MANAGED_ANNOTATIONS_ANNOTATION},{c.MANAGED_LABELS_ANNOTATION}",
            c.MANAGED_LABELS_ANNOTATION: c.WORK_PERMANENT_ID_LABEL,
        },
    }
    assert mutate_work(out, new_id="other") == out, "mutating again changes nothing"
