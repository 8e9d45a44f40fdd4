"""Validation rules of karmada/validation.py: valid policies pass, each broken rule names its field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykarmada.karmada import constants as c
from pykarmada.karmada.apivalidation import is_json_pointer
from pykarmada.karmada.mutation import mutate_override_policy, mutate_propagation_policy
from pykarmada.karmada.validation import (
    validate_override_policy,
    validate_propagation_policy,
    validate_resource_binding,
)

SAMPLES = Path(__file__).resolve().parents[2] / "e2e" / "testdata" / "samples"
NS = "demo"


def _pp(spec: dict[str, Any], *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    spec = {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "namespace": NS}], **spec}
    meta = {"name": "p", "namespace": NS, "labels": {c.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id-1"} if labels is None else labels}
    return {"apiVersion": c.POLICY_V1ALPHA1, "kind": "PropagationPolicy", "metadata": meta, "spec": spec}


def _paths(errors: list[Any]) -> list[str]:
    return [e.field for e in errors]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_karmada_samples_are_valid(name: str) -> None:
    policy = yaml.safe_load((SAMPLES / name).read_text())
    cluster_scoped = policy["kind"].startswith("Cluster")
    if "Propagation" in policy["kind"]:
        policy = mutate_propagation_policy(policy, namespace=NS, cluster_scoped=cluster_scoped, creating=True, new_id="id")
        assert validate_propagation_policy(policy, namespace=NS, cluster_scoped=cluster_scoped) == []
    else:
        policy = mutate_override_policy(policy, namespace=NS) if not cluster_scoped else policy
        assert validate_override_policy(policy, namespace=NS, cluster_scoped=cluster_scoped) == []


VALID_SPECS = [
    pytest.param({}, id="selectors-only"),
    pytest.param({"placement": {"clusterAffinity": {"fieldSelector": {"matchExpressions": [
        {"key": "region", "operator": "In", "values": ["us-east-1"]}, {"key": "zone", "operator": "NotIn", "values": ["a"]},
        {"key": "provider", "operator": "In", "values": ["aws"]}]}}}}, id="field-selector-all-keys"),
    pytest.param({"placement": {"clusterAffinities": [{"affinityName": "primary", "clusterNames": ["m1"],
        "overflowAffinities": [{"affinityName": "spill", "clusterNames": ["m2"]}]}],
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}}}, id="overflow-aggregated"),
    pytest.param({"placement": {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": 1, "maxGroups": 2},
        {"spreadByField": "region", "minGroups": 1, "maxGroups": 1}]}}, id="spread-region-and-cluster"),
    pytest.param({"placement": {"spreadConstraints": [{"spreadByLabel": "topology", "maxGroups": 0}]}}, id="spread-by-label"),
    pytest.param({"placement": {"clusterTolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]}}, id="toleration-exists"),
    pytest.param({"propagateDeps": True, "failover": {"application": {"decisionConditions": {"tolerationSeconds": 0},
        "purgeMode": "Gracefully", "gracePeriodSeconds": 600,
        "statePreservation": {"rules": [{"aliasLabelName": "example.com/replicas", "jsonPath": "{.replicas}"}]}}}}, id="failover-gracefully"),
    pytest.param({"propagateDeps": True, "failover": {"application": {"decisionConditions": {}, "purgeMode": "Never"}}}, id="failover-never"),
    pytest.param({"suspension": {"dispatching": False, "dispatchingOnClusters": {"clusterNames": ["m1"]}}}, id="suspension-on-clusters"),
    pytest.param({"placement": {"workloadAffinity": {"affinity": {"groupByLabelKey": "app"}, "antiAffinity": {"groupByLabelKey": "tier"}}}}, id="workload-affinity"),
    pytest.param({"preemption": "Always"}, id="preemption-with-names"),
]


@pytest.mark.parametrize("spec", VALID_SPECS)
def test_valid_propagation_specs(spec: dict[str, Any]) -> None:
    assert validate_propagation_policy(_pp(spec), namespace=NS, cluster_scoped=False) == []


UPDATE_CASES = [
    pytest.param({"spec": {"schedulerName": "other"}}, ["spec.schedulerName"], id="scheduler-name-immutable"),
    pytest.param({"labels": {c.PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id-2"}}, [f"metadata.labels[{c.PROPAGATION_POLICY_PERMANENT_ID_LABEL}]"], id="permanent-id-immutable"),
    pytest.param({"labels": {}}, [f"metadata.labels[{c.PROPAGATION_POLICY_PERMANENT_ID_LABEL}]"], id="permanent-id-removed"),
    pytest.param({"spec": {"priority": 5}}, [], id="other-fields-may-change"),
]


@pytest.mark.parametrize(("change", "want"), UPDATE_CASES)
def test_propagation_policy_updates(change: dict[str, Any], want: list[str]) -> None:
    old = _pp({"schedulerName": "default-scheduler"})
    new = _pp({"schedulerName": "default-scheduler", **change.get("spec", {})}, labels=change.get("labels"))
    assert _paths(validate_propagation_policy(new, namespace=NS, cluster_scoped=False, old=old)) == want


def test_cluster_policies_may_select_any_namespace() -> None:
    cpp = _pp({}, labels={c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL: "id"})
    cpp["spec"]["resourceSelectors"][0]["namespace"] = "elsewhere"
    assert validate_propagation_policy(cpp, namespace="", cluster_scoped=True) == []
    assert _paths(validate_propagation_policy(cpp, namespace="", cluster_scoped=False)) == [
        f"metadata.labels[{c.PROPAGATION_POLICY_PERMANENT_ID_LABEL}]"
    ]


def test_several_errors_are_reported_together() -> None:
    spec = {"preemption": "Always", "placement": {"spreadConstraints": [{"spreadByField": "region", "minGroups": -1}]}}
    policy = _pp(spec)
    del policy["spec"]["resourceSelectors"][0]["name"]
    assert _paths(validate_propagation_policy(policy, namespace=NS, cluster_scoped=False)) == [
        "spec.placement.spreadConstraints[0].minGroups",
        "spec.placement.spreadConstraints",
        "spec.resourceSelectors[0].name",
    ]


def test_override_rules_may_be_empty_but_still_exclude_deprecated_fields() -> None:
    op = {"kind": "OverridePolicy", "spec": {"overrideRules": [], "overriders": {"fieldOverrider": []}}}
    assert validate_override_policy(op, namespace=NS, cluster_scoped=False) == []
    op["spec"]["targetCluster"] = {}
    assert _paths(validate_override_policy(op, namespace=NS, cluster_scoped=False)) == ["spec.targetCluster"]


def test_deprecated_overriders_alone_are_valid() -> None:
    op = {"kind": "ClusterOverridePolicy", "spec": {"targetCluster": {"clusterNames": ["m1"]},
          "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 1}]}}}
    assert validate_override_policy(op, namespace="", cluster_scoped=True) == []


def test_annotations_total_size_is_limited() -> None:
    rule = {"overriders": {"annotationsOverrider": [{"operator": "add", "value": {"big": "x" * (256 * 1024)}}]}}
    errors = validate_override_policy({"spec": {"overrideRules": [rule]}}, namespace="", cluster_scoped=True)
    assert [str(e) for e in errors] == [
        "spec.overrideRules[0].overriders.annotationsOverrider[0].value: Too long: may not be more than 262144 bytes"
    ]


@pytest.mark.parametrize(
    ("pointer", "valid"),
    [("", True), ("/", True), ("/a/b", True), ("/a~0b/c~1d", True), ("a/b", False), ("/a~", False), ("/a~2", False)],
    ids=lambda v: repr(v),
)
def test_json_pointers(pointer: str, valid: bool) -> None:
    assert (is_json_pointer(pointer) is None) is valid


BINDING_CASES = [
    pytest.param({}, {}, [], id="plain"),
    pytest.param({c.DEPENDENCIES_ANNOTATION: '[{"apiVersion":"v1","kind":"ConfigMap","namespace":"d","name":"c"}]'}, {}, [], id="dependencies-json"),
    pytest.param({c.DEPENDENCIES_ANNOTATION: "null"}, {}, [], id="dependencies-null"),
    pytest.param({c.DEPENDENCIES_ANNOTATION: "{not json"}, {}, [f"metadata.annotations[{c.DEPENDENCIES_ANNOTATION}]"], id="dependencies-not-json"),
    pytest.param({c.DEPENDENCIES_ANNOTATION: '{"a": 1}'}, {}, [f"metadata.annotations[{c.DEPENDENCIES_ANNOTATION}]"], id="dependencies-not-array"),
    pytest.param({}, {"components": [{"name": "a", "replicas": 1}, {"name": "b", "replicas": 1}]}, [], id="components-unique"),
    pytest.param({}, {"components": [{"name": "", "replicas": 1}]}, ["spec.components[0].name"], id="component-unnamed"),
    pytest.param({}, {"components": [{"name": "a", "replicas": 1}, {"name": "a", "replicas": 2}]}, ["spec.components[1].name"], id="component-duplicate"),
]


@pytest.mark.parametrize(("annotations", "spec", "want"), BINDING_CASES)
def test_resource_binding(annotations: dict[str, str], spec: dict[str, Any], want: list[str]) -> None:
    binding = {"metadata": {"annotations": annotations}, "spec": {"resource": {"apiVersion": "v1", "kind": "Pod", "name": "p"}, **copy.deepcopy(spec)}}
    assert _paths(validate_resource_binding(binding)) == want
