"""Overrides: every overrider type, their fixed order, and policy selection/ordering."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from pykarmada.karmada import constants as C
from pykarmada.karmada.overrides import (
    OverrideError,
    apply_override_policies,
    apply_overriders,
    applied_overrides_json,
    matching_overriders,
)
from tests.unit.scheduler.builders import cluster

DIGEST = "sha256:" + "b" * 64


def deployment(*images: str, init_image: str = "busybox:1", **container_extra: Any) -> dict[str, Any]:
    containers = [{"name": f"c{i}", "image": image, **container_extra} for i, image in enumerate(images)]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {"initContainers": [{"name": "init", "image": init_image}], "containers": containers}},
        },
    }


def images(obj: dict[str, Any]) -> list[str]:
    return [c["image"] for c in obj["spec"]["template"]["spec"]["containers"]]


# ---------------------------------------------------------------------------------------------
# imageOverrider


@pytest.mark.parametrize(
    ("image", "component", "operator", "value", "expected"),
    [
        ("reg.io/app:v1", "Registry", "add", "-cn", "reg.io-cn/app:v1"),
        ("nginx", "Registry", "replace", "r.io", "r.io/nginx"),
        ("reg.io/app:v1", "Registry", "replace", "other.io:5000", "other.io:5000/app:v1"),
        ("reg.io/app:v1", "Registry", "remove", "", "app:v1"),
        ("reg.io/app:v1", "Repository", "add", "-debug", "reg.io/app-debug:v1"),
        ("reg.io/team/app:v1", "Repository", "replace", "other/app", "reg.io/other/app:v1"),
        ("reg.io/app:v1", "Repository", "remove", "", "reg.io/:v1"),
        ("nginx:1.19", "Tag", "add", "-alpine", "nginx:1.19-alpine"),
        ("nginx", "Tag", "add", "v1", "nginx:v1"),
        ("nginx:1.19", "Tag", "replace", "1.20", "nginx:1.20"),
        ("nginx:1.19", "Tag", "replace", DIGEST, f"nginx@{DIGEST}"),
        (f"nginx@{DIGEST}", "Tag", "replace", "v2", "nginx:v2"),
        ("nginx:1.19", "Tag", "replace", "!!", "nginx:1.19"),
        ("nginx:1.19", "Tag", "remove", "", "nginx"),
        (f"nginx@{DIGEST}", "Tag", "remove", "", "nginx"),
        (f"nginx:1@{DIGEST}", "Registry", "replace", "r.io", "r.io/nginx:1"),
    ],
    ids=[
        "registry-add-appends-string",
        "registry-replace-when-absent",
        "registry-replace-with-port",
        "registry-remove",
        "repository-add",
        "repository-replace",
        "repository-remove",
        "tag-add",
        "tag-add-without-tag",
        "tag-replace",
        "tag-replace-with-digest",
        "tag-replace-digest-with-tag",
        "tag-replace-invalid-is-noop",
        "tag-remove",
        "tag-remove-digest",
        "tag-and-digest-keeps-tag",
    ],
)
def test_image_component_rules(image: str, component: str, operator: str, value: str, expected: str) -> None:
    overrider: dict[str, Any] = {"component": component, "operator": operator}
    if value:
        overrider["value"] = value
    result = apply_overriders(deployment(image, "other:2"), {"imageOverrider": [overrider]})
    assert images(result)[0] == expected


def test_image_overrider_targets_every_container_but_not_init_containers() -> None:
    obj = deployment("nginx:1", "redis:6")
    result = apply_overriders(obj, {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "r.io"}]})
    assert images(result) == ["r.io/nginx:1", "r.io/redis:6"]
    assert result["spec"]["template"]["spec"]["initContainers"][0]["image"] == "busybox:1"
    assert images(obj) == ["nginx:1", "redis:6"], "input is not modified"


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, ["spec", "containers", 0, "image"]),
        (
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}},
            ["spec", "template", "spec", "containers", 0, "image"],
        ),
    ],
    ids=["pod", "job"],
)
def test_image_overrider_kinds(obj: dict[str, Any], path: list[Any]) -> None:
    result = apply_overriders(obj, {"imageOverrider": [{"component": "Tag", "operator": "replace", "value": "v9"}]})
    value: Any = result
    for key in path:
        value = value[key]
    assert value == "nginx:v9"


def test_image_overrider_without_predicate_leaves_other_kinds_alone() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"image": "nginx"}}
    assert apply_overriders(cm, {"imageOverrider": [{"component": "Tag", "operator": "replace", "value": "v9"}]}) == cm


def test_image_overrider_with_predicate_targets_one_field() -> None:
    obj = deployment("nginx:1", "redis:6")
    overrider = {"predicate": {"path": "/spec/template/spec/containers/1/image"}, "component": "Tag", "operator": "replace", "value": "7"}
    assert images(apply_overriders(obj, {"imageOverrider": [overrider]})) == ["nginx:1", "redis:7"]

    crd = {"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"image": "app:v1"}}
    result = apply_overriders(crd, {"imageOverrider": [{"predicate": {"path": "/spec/image"}, "component": "Registry", "operator": "replace", "value": "r.io"}]})
    assert result["spec"]["image"] == "r.io/app:v1"


@pytest.mark.parametrize(
    ("overrider", "message"),
    [
        ({"predicate": {"path": "/spec/missing/image"}, "component": "Tag", "operator": "replace", "value": "v"}, "failed to obtain imageValue"),
        ({"predicate": {"path": "/spec/replicas"}, "component": "Tag", "operator": "replace", "value": "v"}, "failed to convert path"),
        ({"predicate": {"path": "/spec/template/spec/containers/x/image"}, "component": "Tag", "operator": "replace", "value": "v"}, "is not number"),
        ({"predicate": {"path": "spec/template/spec/containers/0/image"}, "component": "Tag", "operator": "replace", "value": "v"}, "start with /"),
        ({"component": "Tag", "operator": "replace", "value": "v"}, "failed to parse image value"),
    ],
    ids=["missing-path", "not-a-string", "non-numeric-index", "relative-path", "unparsable-image"],
)
def test_image_overrider_errors(overrider: dict[str, Any], message: str) -> None:
    obj = deployment("nginx:1") if "predicate" in overrider else deployment("Not_Valid")
    with pytest.raises(OverrideError, match=message):
        apply_overriders(obj, {"imageOverrider": [overrider]})


# ---------------------------------------------------------------------------------------------
# commandOverrider / argsOverrider


@pytest.mark.parametrize(
    ("key", "field", "existing", "operator", "value", "expected"),
    [
        ("commandOverrider", "command", ["nginx", "-g"], "add", ["daemon off;"], ["nginx", "-g", "daemon off;"]),
        ("commandOverrider", "command", None, "add", ["/bin/sh"], ["/bin/sh"]),
        ("commandOverrider", "command", ["a", "b", "a", "c"], "remove", ["a", "x"], ["b", "c"]),
        ("commandOverrider", "command", None, "remove", ["a"], []),
        ("argsOverrider", "args", ["--v=1"], "add", ["--v=2"], ["--v=1", "--v=2"]),
        ("argsOverrider", "args", None, "add", [], []),
        ("argsOverrider", "args", ["--v=1"], "remove", ["--v=1"], []),
    ],
    ids=["command-add", "command-add-creates", "command-remove-all-equal", "command-remove-missing-list", "args-add", "args-add-nothing", "args-remove"],
)
def test_command_args(key: str, field: str, existing: list[str] | None, operator: str, value: list[str], expected: list[str]) -> None:
    extra = {field: existing} if existing is not None else {}
    obj = deployment("nginx", "redis", **extra)
    result = apply_overriders(obj, {key: [{"containerName": "c0", "operator": operator, "value": value}]})
    containers = result["spec"]["template"]["spec"]["containers"]
    assert containers[0][field] == expected
    assert containers[1].get(field) == existing, "other containers untouched"


def test_command_overrider_on_pod_and_unsupported_kind() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "main", "image": "x"}]}}
    result = apply_overriders(pod, {"commandOverrider": [{"containerName": "main", "operator": "add", "value": ["run"]}]})
    assert result["spec"]["containers"][0]["command"] == ["run"]
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    assert apply_overriders(svc, {"argsOverrider": [{"containerName": "main", "operator": "add", "value": ["x"]}]}) == svc


# ---------------------------------------------------------------------------------------------
# labelsOverrider / annotationsOverrider


@pytest.mark.parametrize(
    ("key", "operator", "value", "before", "after"),
    [
        ("labels", "add", {"env": "prod", "app": "web"}, {"app": "nginx"}, {"app": "web", "env": "prod"}),
        ("labels", "add", {"env": "prod"}, None, {"env": "prod"}),
        ("labels", "remove", {"app": "", "missing": ""}, {"app": "nginx", "keep": "1"}, {"keep": "1"}),
        ("labels", "replace", {"app": "web", "missing": "x"}, {"app": "nginx"}, {"app": "web"}),
        ("labels", "replace", {"app": "web"}, None, None),
        ("annotations", "add", {"example.io/owner": "team-a"}, {}, {"example.io/owner": "team-a"}),
        ("annotations", "remove", {"example.io/owner": ""}, {"example.io/owner": "a", "b": "c"}, {"b": "c"}),
    ],
    ids=["add-overwrites", "add-creates-map", "remove-skips-missing", "replace-existing-only", "replace-without-map", "annotation-key-with-slash", "annotation-remove"],
)
def test_labels_and_annotations(key: str, operator: str, value: dict[str, str], before: dict[str, str] | None, after: dict[str, str] | None) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    if before is not None:
        obj["metadata"][key] = before
    result = apply_overriders(obj, {f"{key}Overrider": [{"operator": operator, "value": value}]})
    assert result["metadata"].get(key) == after


def test_labels_overrider_acts_on_the_object_not_the_pod_template() -> None:
    obj = deployment("nginx")
    obj["spec"]["template"]["metadata"] = {"labels": {"app": "nginx"}}
    result = apply_overriders(obj, {"labelsOverrider": [{"operator": "replace", "value": {"app": "web"}}]})
    assert result["metadata"]["labels"] == {"app": "web"}
    assert result["spec"]["template"]["metadata"]["labels"] == {"app": "nginx"}


# ---------------------------------------------------------------------------------------------
# fieldOverrider


def configmap(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}, "data": data}


def test_field_overrider_yaml_subdocument_sorted_keys() -> None:
    obj = configmap(**{"app.yaml": "server:\n  port: 80\n  host: a\nlist:\n- 1\n"})
    result = apply_overriders(
        obj,
        {
            "fieldOverrider": [
                {
                    "fieldPath": "/data/app.yaml",
                    "yaml": [
                        {"subPath": "/server/port", "operator": "replace", "value": 8080},
                        {"subPath": "/debug", "operator": "add", "value": True},
                        {"subPath": "/list", "operator": "remove"},
                    ],
                }
            ]
        },
    )
    text = result["data"]["app.yaml"]
    assert yaml.safe_load(text) == {"server": {"port": 8080, "host": "a"}, "debug": True}
    assert text == "debug: true\nserver:\n  host: a\n  port: 8080\n"


def test_field_overrider_json_subdocument() -> None:
    obj = configmap(**{"cfg.json": '{"b": 1, "a": {"x": "y"}}'})
    result = apply_overriders(
        obj,
        {"fieldOverrider": [{"fieldPath": "/data/cfg.json", "json": [{"subPath": "/a/x", "operator": "replace", "value": "z"}, {"subPath": "/c", "operator": "add", "value": [1]}]}]},
    )
    assert result["data"]["cfg.json"] == '{"b":1,"a":{"x":"z"},"c":[1]}'


@pytest.mark.parametrize(
    ("overrider", "message"),
    [
        ({"fieldPath": "/metadata", "json": [{"subPath": "/a", "operator": "add", "value": 1}]}, "is not string"),
        ({"fieldPath": "/data/missing", "json": [{"subPath": "/a", "operator": "add", "value": 1}]}, "path"),
        ({"fieldPath": "data/cfg.json", "json": [{"subPath": "/a", "operator": "add", "value": 1}]}, "path"),
        ({"fieldPath": "/data/cfg.json", "json": [{"subPath": "/missing", "operator": "replace", "value": 1}]}, "JSON patch"),
        ({"fieldPath": "/data/text", "json": [{"subPath": "/a", "operator": "add", "value": 1}]}, "invalid JSON"),
    ],
    ids=["not-a-string", "missing-field", "bad-pointer", "sub-patch-fails", "not-json"],
)
def test_field_overrider_errors(overrider: dict[str, Any], message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        apply_overriders(configmap(**{"cfg.json": "{}", "text": "not json"}), {"fieldOverrider": [overrider]})


# ---------------------------------------------------------------------------------------------
# plaintext


def test_plaintext_is_one_strict_json_patch() -> None:
    obj = deployment("nginx")
    obj["metadata"]["annotations"] = {"a": "1", "b": "2"}
    result = apply_overriders(
        obj,
        {
            "plaintext": [
                {"path": "/spec/replicas", "operator": "replace", "value": 5},
                {"path": "/metadata/annotations", "operator": "add", "value": {"only": "this"}},
                {"path": "/metadata/labels/app", "operator": "remove"},
            ]
        },
    )
    assert result["spec"]["replicas"] == 5
    assert result["metadata"]["annotations"] == {"only": "this"}, "add on an existing key replaces the whole map"
    assert result["metadata"]["labels"] == {}


@pytest.mark.parametrize(
    "entry",
    [
        {"path": "/spec/missing", "operator": "replace", "value": 1},
        {"path": "/spec/missing", "operator": "remove"},
        {"path": "/spec/missing/deeper", "operator": "add", "value": 1},
        {"path": "/spec/replicas", "operator": "bogus", "value": 1},
    ],
    ids=["replace-missing", "remove-missing", "add-without-parent", "unknown-op"],
)
def test_plaintext_errors(entry: dict[str, Any]) -> None:
    with pytest.raises(OverrideError):
        apply_overriders(deployment("nginx"), {"plaintext": [entry]})


def test_overriders_run_in_fixed_order_plaintext_last() -> None:
    result = apply_overriders(
        deployment("nginx:1"),
        {
            # Listed in reverse on purpose: the order of keys in the block does not matter.
            "plaintext": [{"path": "/spec/template/spec/containers/0/image", "operator": "replace", "value": "final:1"}, {"path": "/metadata/labels/stage", "operator": "replace", "value": "plain"}],
            "labelsOverrider": [{"operator": "add", "value": {"stage": "labels"}}],
            "imageOverrider": [{"component": "Registry", "operator": "replace", "value": "r.io"}],
        },
    )
    assert images(result) == ["final:1"]
    assert result["metadata"]["labels"]["stage"] == "plain"


# ---------------------------------------------------------------------------------------------
# Policy selection and ordering

MEMBER1 = cluster("member1", labels={"env": "prod"})
MEMBER2 = cluster("member2")


def policy(name: str, selectors: list[dict[str, Any]] | None, rules: list[dict[str, Any]], namespace: str | None = None, **spec: Any) -> dict[str, Any]:
    metadata = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    body: dict[str, Any] = {"overrideRules": rules, **spec}
    if selectors is not None:
        body["resourceSelectors"] = selectors
    return {"metadata": metadata, "spec": body}


def label_rule(key: str, value: str, target: dict[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"overriders": {"labelsOverrider": [{"operator": "add", "value": {key: value}}]}}
    if target is not None:
        rule["targetCluster"] = target
    return rule


BY_NAME = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]
BY_LABEL = [{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "nginx"}}}]
ALL_DEPLOYMENTS = [{"apiVersion": "apps/v1", "kind": "Deployment"}]


def test_most_specific_policy_applies_last_and_wins() -> None:
    policies = [
        policy("a-by-name", BY_NAME, [label_rule("winner", "name")]),
        policy("b-by-label", BY_LABEL, [label_rule("winner", "label")]),
        policy("c-all", ALL_DEPLOYMENTS, [label_rule("winner", "all")]),
        policy("d-no-selectors", None, [label_rule("winner", "none")]),
        policy("e-other-kind", [{"apiVersion": "v1", "kind": "Service"}], [label_rule("winner", "service")]),
    ]
    order = [item.policy_name for item in matching_overriders(policies, deployment("nginx"), MEMBER1)]
    assert order == ["c-all", "d-no-selectors", "b-by-label", "a-by-name"]
    result = apply_override_policies(deployment("nginx"), MEMBER1, override_policies=policies)
    assert result.manifest["metadata"]["labels"]["winner"] == "name"


def test_rules_filtered_by_target_cluster_in_rule_order() -> None:
    p = policy(
        "p",
        ALL_DEPLOYMENTS,
        [label_rule("first", "1"), label_rule("prod", "yes", {"labelSelector": {"matchLabels": {"env": "prod"}}}), label_rule("m2", "yes", {"clusterNames": ["member2"]})],
    )
    assert len(matching_overriders([p], deployment("nginx"), MEMBER1)) == 2
    labels1 = apply_override_policies(deployment("nginx"), MEMBER1, override_policies=[p]).manifest["metadata"]["labels"]
    labels2 = apply_override_policies(deployment("nginx"), MEMBER2, override_policies=[p]).manifest["metadata"]["labels"]
    assert labels1 == {"app": "nginx", "first": "1", "prod": "yes"}
    assert labels2 == {"app": "nginx", "first": "1", "m2": "yes"}


def test_legacy_target_cluster_and_overriders_form_one_rule() -> None:
    legacy = {
        "metadata": {"name": "legacy"},
        "spec": {
            "resourceSelectors": ALL_DEPLOYMENTS,
            "targetCluster": {"clusterNames": ["member1"]},
            "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 7}]},
        },
    }
    assert apply_override_policies(deployment("nginx"), MEMBER1, override_policies=[legacy]).manifest["spec"]["replicas"] == 7
    assert apply_override_policies(deployment("nginx"), MEMBER2, override_policies=[legacy]).manifest["spec"]["replicas"] == 2


def test_cluster_policies_first_then_namespaced_and_records() -> None:
    cop = policy("cop", None, [label_rule("order", "cop"), label_rule("cop-only", "1")])
    op = policy("op", BY_NAME, [label_rule("order", "op")], namespace="default")
    foreign = policy("foreign", None, [label_rule("order", "foreign")], namespace="other")
    result = apply_override_policies(deployment("nginx"), MEMBER1, cluster_override_policies=[cop], override_policies=[op, foreign])
    assert result.manifest["metadata"]["labels"]["order"] == "op"
    assert [i["policyName"] for i in result.applied_cluster_overrides] == ["cop", "cop"], "one entry per applied rule"
    assert [i["policyName"] for i in result.applied_overrides] == ["op"]
    annotations = result.work_annotations()
    assert json.loads(annotations[C.APPLIED_OVERRIDES_ANNOTATION]) == [
        {"policyName": "op", "overriders": {"labelsOverrider": [{"operator": "add", "value": {"order": "op"}}]}}
    ]
    assert C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION in annotations


def test_cluster_scoped_objects_get_only_cluster_policies() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    result = apply_override_policies(ns, MEMBER1, cluster_override_policies=[policy("cop", None, [label_rule("x", "1")])], override_policies=[policy("op", None, [label_rule("y", "1")])])
    assert result.manifest["metadata"]["labels"] == {"x": "1"}
    assert result.applied_overrides == []


def test_nothing_applied_records_nothing() -> None:
    result = apply_override_policies(deployment("nginx"), MEMBER1, override_policies=[policy("p", [{"apiVersion": "v1", "kind": "Service"}], [label_rule("x", "1")])])
    assert result.manifest == deployment("nginx")
    assert result.work_annotations() == {}


def test_failure_names_policy_and_cluster() -> None:
    bad = policy("bad", None, [{"overriders": {"plaintext": [{"path": "/nope/x", "operator": "replace", "value": 1}]}}], namespace="default")
    with pytest.raises(OverrideError, match=r"policy\(default/bad\) for cluster\(member1\)"):
        apply_override_policies(deployment("nginx"), MEMBER1, override_policies=[bad])


def test_applied_overrides_json_shape() -> None:
    items = [
        {"policyName": "b", "overriders": {"imageOverrider": [{"component": "Tag", "operator": "remove"}]}},
        {"policyName": "a", "overriders": {"plaintext": [{"path": "/x", "operator": "remove", "value": None}]}},
    ]
    assert applied_overrides_json(items) == (
        '[{"policyName":"a","overriders":{"plaintext":[{"path":"/x","operator":"remove","value":null}]}},'
        '{"policyName":"b","overriders":{"imageOverrider":[{"component":"Tag","operator":"remove"}]}}]'
    )
    assert applied_overrides_json([]) is None
    assert "\\u003c" in applied_overrides_json([{"policyName": "<x>", "overriders": {}}])


def test_shadow_uses_go_field_order() -> None:
    p = policy(
        "p",
        None,
        [
            {
                "overriders": {
                    "fieldOverrider": [{"yaml": [{"value": 1, "operator": "add", "subPath": "/a"}], "fieldPath": "/data/app.yaml"}],
                    "imageOverrider": [{"value": "v", "operator": "replace", "component": "Tag", "predicate": {"path": "/spec/image"}}],
                }
            }
        ],
    )
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": {"app.yaml": "b: 1\n"}, "spec": {"image": "x:1"}}
    shadow = apply_override_policies(obj, MEMBER1, override_policies=[p]).applied_overrides[0]["overriders"]
    assert list(shadow) == ["imageOverrider", "fieldOverrider"]
    assert list(shadow["imageOverrider"][0]) == ["predicate", "component", "operator", "value"]
    assert list(shadow["fieldOverrider"][0]["yaml"][0]) == ["subPath", "operator", "value"]


def test_input_manifest_never_modified() -> None:
    obj = deployment("nginx")
    snapshot = copy.deepcopy(obj)
    apply_override_policies(obj, MEMBER1, cluster_override_policies=[policy("cop", None, [label_rule("x", "1")])])
    assert obj == snapshot
