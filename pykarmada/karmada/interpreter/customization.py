"""The declarative interpreter: the Lua rules of ResourceInterpreterCustomizations (config.karmada.io).

Customizations are read in name order and merged per target ``apiVersion``/``kind``: for each
operation the first customization with a script wins, and every dependency script counts (their
answers are joined). A rule that exists answers instead of the native interpreter (behaviour.md
5.5: webhook > declarative customization > third-party > native). Each method returns None when
the target has no rule for the operation, and raises LuaScriptError when the rule fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada.interpreter.kubelib import KUBE_LIBRARY
from pykarmada.karmada.interpreter.luavm import LuaScriptError, LuaVM, resolve_empty

__all__ = ["Rule", "RULES", "rule_for", "Customizations", "LuaScriptError"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    operation: str  # the InterpreterOperation, e.g. "Retain"
    field: str  # its place under spec.customizations
    function: str  # the Lua function its script defines
    document: str


RULES: tuple[Rule, ...] = (
    Rule("Retain", "retention", "Retain",
         "Keeps values the member cluster set in the desired object before it is applied.\n"
         "function Retain(desiredObj, observedObj)\n"
         "  desiredObj.spec.fieldFoo = observedObj.spec.fieldFoo\n"
         "  return desiredObj\nend"),
    Rule("InterpretReplica", "replicaResource", "GetReplicas",
         "Returns the replicas of the object and what one replica needs (or nil).\n"
         "function GetReplicas(desiredObj)\n"
         "  local kube = require(\"kube\")\n"
         "  return desiredObj.spec.replicas, kube.accuratePodRequirements(desiredObj.spec.template)\nend"),
    Rule("InterpretComponent", "componentResource", "GetComponents",
         "Returns the components of a multi-template workload: {name, replicas, replicaRequirements} each.\n"
         "function GetComponents(desiredObj)\n"
         "  return {{name = \"main\", replicas = desiredObj.spec.replicas}}\nend"),
    Rule("ReviseReplica", "replicaRevision", "ReviseReplica",
         "Writes one cluster's share of the replicas into the object.\n"
         "function ReviseReplica(desiredObj, desiredReplica)\n"
         "  desiredObj.spec.replicas = desiredReplica\n"
         "  return desiredObj\nend"),
    Rule("InterpretStatus", "statusReflection", "ReflectStatus",
         "Returns the part of a member object's status that is reported back.\n"
         "function ReflectStatus(observedObj)\n"
         "  return {readyReplicas = observedObj.status.readyReplicas}\nend"),
    Rule("AggregateStatus", "statusAggregation", "AggregateStatus",
         "Folds the members' reported statuses into the template.\n"
         "function AggregateStatus(desiredObj, statusItems)\n"
         "  local ready = 0\n"
         "  for i = 1, #statusItems do ready = ready + (statusItems[i].status.readyReplicas or 0) end\n"
         "  desiredObj.status = {readyReplicas = ready}\n"
         "  return desiredObj\nend"),
    Rule("InterpretHealth", "healthInterpretation", "InterpretHealth",
         "Returns true when a member object is healthy.\n"
         "function InterpretHealth(observedObj)\n"
         "  return observedObj.status.readyReplicas == observedObj.spec.replicas\nend"),
    Rule("InterpretDependency", "dependencyInterpretation", "GetDependencies",
         "Returns the objects the template needs in the same clusters: {apiVersion, kind, namespace, name} each.\n"
         "function GetDependencies(desiredObj)\n"
         "  local kube = require(\"kube\")\n"
         "  return kube.getPodDependencies(desiredObj.spec.template, desiredObj.metadata.namespace)\nend"),
)  # fmt: skip

_BY_OPERATION = {rule.operation.lower(): rule for rule in RULES}


def rule_for(operation: str) -> Rule | None:
    """The rule of an operation name, in any letter case (``retain``, ``InterpretHealth``)."""
    return _BY_OPERATION.get((operation or "").lower())


def rule_script(customization: Mapping[str, Any], rule: Rule) -> str:
    rules = ((customization.get("spec") or {}).get("customizations")) or {}
    return ((rules.get(rule.field) or {}).get("luaScript")) or ""


def _check_dependencies(dependencies: Sequence[Any]) -> list[Obj]:
    problems = []
    for index, dep in enumerate(dependencies):
        if not isinstance(dep, dict):
            problems.append(f"dependencies[{index}]: Invalid value: must be an object")
            continue
        if not dep.get("apiVersion"):
            problems.append(f'dependencies[{index}].apiVersion: Invalid value: "": missing required apiVersion')
        if not dep.get("kind"):
            problems.append(f'dependencies[{index}].kind: Invalid value: "": missing required kind')
        if not dep.get("name") and dep.get("labelSelector") is None:
            problems.append(f"dependencies[{index}]: Invalid value: dependency can not leave name and labelSelector all empty")
    if problems:
        raise LuaScriptError("[" + ", ".join(problems) + "]" if len(problems) > 1 else problems[0])
    keep = ("apiVersion", "kind", "namespace", "name", "labelSelector")
    return [{key: dep[key] for key in keep if dep.get(key) not in (None, "")} for dep in dependencies]


class Customizations:
    """The merged rules of a set of ResourceInterpreterCustomizations, and the VM that runs them."""

    def __init__(self, customizations: Iterable[Mapping[str, Any]] = ()) -> None:
        self._vm = LuaVM(KUBE_LIBRARY)
        self._scripts: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.load(customizations)

    def load(self, customizations: Iterable[Mapping[str, Any]]) -> None:
        scripts: dict[tuple[str, str], dict[str, list[str]]] = {}
        for customization in sorted(customizations, key=lambda c: (c.get("metadata") or {}).get("name") or ""):
            target = ((customization.get("spec") or {}).get("target")) or {}
            by_operation = scripts.setdefault((target.get("apiVersion") or "", target.get("kind") or ""), {})
            for rule in RULES:
                script = rule_script(customization, rule)
                if not script:
                    continue
                held = by_operation.setdefault(rule.operation, [])
                if rule.operation == "InterpretDependency" or not held:
                    held.append(script)
        self._scripts = scripts

    def __bool__(self) -> bool:
        return bool(self._scripts)

    def scripts(self, obj: Mapping[str, Any], operation: str) -> list[str]:
        key = (obj.get("apiVersion") or "", obj.get("kind") or "")
        return self._scripts.get(key, {}).get(operation, [])

    def enabled(self, obj: Mapping[str, Any], operation: str) -> bool:
        return bool(self.scripts(obj, operation))

    def check(self, script: str) -> None:
        self._vm.check(script)

    def _run(self, obj: Mapping[str, Any], operation: str, *args: Any) -> tuple[Any, ...] | None:
        scripts = self.scripts(obj, operation)
        if not scripts:
            return None
        rule = _BY_OPERATION[operation.lower()]
        return self._vm.call(scripts[0], rule.function, *args)

    def _table(self, value: Any, function: str, *, is_object: bool = True, references: Sequence[Any] = ()) -> Any:
        if not self._vm.is_table(value):
            raise LuaScriptError(f"{function} must return a table, got {self._vm.type_name(value)}")
        return resolve_empty(self._vm.from_lua(value), is_object=is_object, references=references)

    def get_replicas(self, obj: Obj) -> tuple[int, Obj | None] | None:
        result = self._run(obj, "InterpretReplica", obj)
        if result is None:
            return None
        replicas = result[0] if result else None
        if isinstance(replicas, bool) or not isinstance(replicas, (int, float)):
            raise LuaScriptError(f"GetReplicas must return a number, got {self._vm.type_name(replicas)}")
        requires = result[1] if len(result) > 1 else None
        requirements = None if requires is None else self._table(requires, "GetReplicas")
        if requirements is not None:
            keep = ("nodeClaim", "resourceRequest", "namespace", "priorityClassName")
            requirements = {key: requirements[key] for key in keep if requirements.get(key) not in (None, {}, [])} or None
        return int(replicas), requirements

    def get_components(self, obj: Obj) -> list[Obj] | None:
        result = self._run(obj, "InterpretComponent", obj)
        if result is None:
            return None
        if result[0] is None:
            return []
        return self._table(result[0], "GetComponents", is_object=False)

    def revise_replica(self, obj: Obj, replicas: int) -> Obj | None:
        result = self._run(obj, "ReviseReplica", obj, replicas)
        return None if result is None else self._table(result[0], "ReviseReplica", references=[obj])

    def retain(self, desired: Obj, observed: Obj) -> Obj | None:
        result = self._run(desired, "Retain", desired, observed)
        return None if result is None else self._table(result[0], "Retain", references=[desired, observed])

    def reflect_status(self, obj: Obj) -> Obj | None:
        result = self._run(obj, "InterpretStatus", obj)
        return None if result is None else self._table(result[0], "ReflectStatus")

    def aggregate_status(self, obj: Obj, items: list[Obj]) -> Obj | None:
        result = self._run(obj, "AggregateStatus", obj, items)
        return None if result is None else self._table(result[0], "AggregateStatus")

    def interpret_health(self, obj: Obj) -> bool | None:
        result = self._run(obj, "InterpretHealth", obj)
        if result is None:
            return None
        if not isinstance(result[0], bool):
            raise LuaScriptError(f"InterpretHealth must return a boolean, got {self._vm.type_name(result[0])}")
        return result[0]

    def get_dependencies(self, obj: Obj) -> list[Obj] | None:
        scripts = self.scripts(obj, "InterpretDependency")
        if not scripts:
            return None
        found: dict[str, Obj] = {}
        for script in scripts:
            deps = self._table(self._vm.call(script, "GetDependencies", obj)[0], "GetDependencies", is_object=False)
            for dep in _check_dependencies(deps if isinstance(deps, list) else [deps]):
                found.setdefault(repr(sorted(dep.items())), dep)
        return sorted(found.values(), key=lambda d: (d.get("apiVersion", ""), d.get("kind", ""), d.get("namespace", ""), d.get("name", "")))

