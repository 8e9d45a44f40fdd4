"""The declarative interpreter on plain data: the Lua sandbox, empty-table rules, the merge of
customizations, and each operation's answer and errors."""

from __future__ import annotations

import time

import pytest

from pykarmada.karmada.interpreter.customization import Customizations, LuaScriptError, rule_for
from pykarmada.karmada.interpreter.luavm import LuaVM, resolve_empty

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "ns1", "annotations": {}},
    "spec": {
        "replicas": 3,
        "template": {"spec": {"serviceAccountName": "sa1", "containers": [{"name": "c", "resources": {"requests": {"cpu": "250m"}}, "envFrom": [{"configMapRef": {"name": "cm1"}}]}]}},
        "strategy": {},
    },
    "status": {"readyReplicas": 2},
}


def customization(name: str, rules: dict[str, str], kind: str = "Deployment") -> dict:
    return {
        "apiVersion": "config.karmada.io/v1alpha1",
        "kind": "ResourceInterpreterCustomization",
        "metadata": {"name": name},
        "spec": {"target": {"apiVersion": "apps/v1", "kind": kind}, "customizations": {field: {"luaScript": script} for field, script in rules.items()}},
    }


@pytest.fixture(scope="module")
def vm() -> LuaVM:
    return LuaVM()


@pytest.mark.parametrize("expression", ["load", "loadstring", "setfenv", "rawset", "setmetatable", "dofile", "collectgarbage"])
def test_the_functions_that_escape_the_sandbox_raise(vm: LuaVM, expression: str) -> None:
    with pytest.raises(LuaScriptError, match=f"call function {expression} is not supported"):
        vm.call(f"function F() return {expression}('x') end", "F")


def test_python_io_and_debug_are_gone_and_os_keeps_only_time_and_date(vm: LuaVM) -> None:
    script = "function F() return python == nil, io == nil, debug == nil, os.execute == nil, type(os.time()) end"
    assert vm.call(script, "F") == (True, True, True, True, "number")


def test_require_loads_only_the_kube_library() -> None:
    vm = LuaVM({"double": lambda x: x * 2})
    assert vm.call('function F() return require("kube").double(21) end', "F") == (42,)
    with pytest.raises(LuaScriptError, match="module 'os' not found|module 'io' not found"):
        vm.call('function F() return require("io") end', "F")


def test_a_script_that_loops_forever_is_stopped_after_a_second(vm: LuaVM) -> None:
    start = time.monotonic()
    with pytest.raises(LuaScriptError, match="time limit"):
        vm.call("function F() while true do end end", "F")
    assert time.monotonic() - start < 5
    assert vm.call("function G() return 1 end", "G") == (1,)  # the VM still works


def test_missing_function_and_syntax_errors_are_named(vm: LuaVM) -> None:
    with pytest.raises(LuaScriptError, match="not found function GetReplicas"):
        vm.call("x = 1", "GetReplicas")
    with pytest.raises(LuaScriptError, match="script:1:"):
        vm.check("function F(")


def test_empty_tables_follow_the_references() -> None:
    marker = LuaVM().from_lua(LuaVM()._lua.table())
    value = {"a": marker, "b": marker, "c": marker, "d": [1, marker]}
    references = [{"a": {}, "b": [], "d": [{}]}]
    assert resolve_empty(value, is_object=True, references=references) == {"a": {}, "b": [], "d": [1, {}]}
    assert resolve_empty(marker, is_object=True) == {}
    assert resolve_empty(marker, is_object=False) == []


def test_rules_merge_in_name_order_and_dependency_scripts_add_up() -> None:
    first = customization("a", {"replicaResource": "function GetReplicas(o) return 7, nil end",
                                "dependencyInterpretation": 'function GetDependencies(o) return {{apiVersion="v1", kind="Secret", name="s1", namespace="ns1"}} end'})
    second = customization("b", {"replicaResource": "function GetReplicas(o) return 9, nil end",
                                 "healthInterpretation": "function InterpretHealth(o) return o.status.readyReplicas == o.spec.replicas end",
                                 "dependencyInterpretation": 'function GetDependencies(o) return {{apiVersion="v1", kind="ConfigMap", name="c1", namespace="ns1"}, {apiVersion="v1", kind="Secret", name="s1", namespace="ns1"}} end'})
    interpreter = Customizations([second, first])
    assert interpreter.get_replicas(DEPLOYMENT) == (7, None)
    assert interpreter.interpret_health(DEPLOYMENT) is False
    assert [d["name"] for d in interpreter.get_dependencies(DEPLOYMENT)] == ["c1", "s1"]
    assert interpreter.retain(DEPLOYMENT, DEPLOYMENT) is None  # no rule: the native interpreter answers
    assert interpreter.get_replicas({**DEPLOYMENT, "kind": "StatefulSet"}) is None


def test_the_kube_library_agrees_with_the_native_interpreter() -> None:
    rules = {
        "replicaResource": 'function GetReplicas(o) local kube = require("kube"); return o.spec.replicas, kube.accuratePodRequirements(o.spec.template) end',
        "dependencyInterpretation": 'function GetDependencies(o) local kube = require("kube"); return kube.getPodDependencies(o.spec.template, o.metadata.namespace) end',
        "statusReflection": 'function ReflectStatus(o) local kube = require("kube"); return {cpu = kube.resourceAdd("100m", "1"), n = kube.getResourceQuantity("2Gi")} end',
    }
    interpreter = Customizations([customization("k", rules)])
    assert interpreter.get_replicas(DEPLOYMENT) == (3, {"resourceRequest": {"cpu": "250m"}})
    assert [(d["kind"], d["name"]) for d in interpreter.get_dependencies(DEPLOYMENT)] == [("ConfigMap", "cm1"), ("ServiceAccount", "sa1")]
    assert interpreter.reflect_status(DEPLOYMENT) == {"cpu": "1100m", "n": 2 * 2**30}


def test_retain_and_revise_keep_empty_objects_of_their_inputs() -> None:
    rules = {
        "retention": "function Retain(d, o) d.metadata.annotations.kept = 'yes'; return d end",
        "replicaRevision": "function ReviseReplica(o, n) o.spec.replicas = n; return o end",
    }
    interpreter = Customizations([customization("r", rules)])
    revised = interpreter.revise_replica(DEPLOYMENT, 5)
    assert revised["spec"]["replicas"] == 5 and revised["spec"]["strategy"] == {}
    retained = interpreter.retain(DEPLOYMENT, DEPLOYMENT)
    assert retained["metadata"]["annotations"] == {"kept": "yes"}


@pytest.mark.parametrize(
    ("field", "script", "call", "message"),
    [
        ("healthInterpretation", "function InterpretHealth(o) return 1 end", lambda i: i.interpret_health(DEPLOYMENT), "must return a boolean, got number"),
        ("replicaResource", "function GetReplicas(o) return 'x' end", lambda i: i.get_replicas(DEPLOYMENT), "must return a number, got string"),
        ("statusReflection", "function ReflectStatus(o) return 3 end", lambda i: i.reflect_status(DEPLOYMENT), "must return a table, got number"),
        ("dependencyInterpretation", "function GetDependencies(o) return {{kind='Secret'}} end", lambda i: i.get_dependencies(DEPLOYMENT), "missing required apiVersion"),
        ("statusAggregation", "function AggregateStatus(o, items) return {a = 1, [2] = 3} end", lambda i: i.aggregate_status(DEPLOYMENT, []), "mixed or invalid key types"),
        ("healthInterpretation", "function InterpretHealth(o) return o.spec.missing.field end", lambda i: i.interpret_health(DEPLOYMENT), "attempt to index"),
    ],
)
def test_a_rule_that_answers_the_wrong_shape_fails_clearly(field: str, script: str, call, message: str) -> None:
    with pytest.raises(LuaScriptError, match=message):
        call(Customizations([customization("bad", {field: script})]))


def test_aggregate_status_sees_the_items() -> None:
    script = "function AggregateStatus(o, items) local n = 0; for i = 1, #items do n = n + items[i].status.readyReplicas end; o.status = {readyReplicas = n}; return o end"
    interpreter = Customizations([customization("agg", {"statusAggregation": script})])
    items = [{"clusterName": "m1", "status": {"readyReplicas": 2}}, {"clusterName": "m2", "status": {"readyReplicas": 3}}]
    assert interpreter.aggregate_status(DEPLOYMENT, items)["status"] == {"readyReplicas": 5}


def test_operations_are_named_in_any_case() -> None:
    assert rule_for("retain").function == "Retain"
    assert rule_for("INTERPRETDEPENDENCY").function == "GetDependencies"
    assert rule_for("nope") is None
