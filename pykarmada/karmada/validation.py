"""Validation of Karmada's policies and bindings: the rules karmada-webhook enforces (surfaces.md
3.3-3.5), as pure functions from an object to the list of what is wrong with it.

Objects are the JSON dicts the API server sends, already type-checked against the CRD schema
(``openapi.check_types``); absent fields are read as Go's zero values. Each error names the
field it is about; several errors are reported together rather than only the first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada.apivalidation import is_json_pointer, validate_annotations, validate_labels
from pykarmada.karmada.fielderrors import FieldError, FieldPath, duplicate, forbidden, invalid, not_supported, required
from pykarmada.kube.validation import qualified_name

Obj = Mapping[str, Any]
SPEC = FieldPath("spec")
FIELD_SELECTOR_KEYS = (c.CLUSTER_FIELD_PROVIDER, c.CLUSTER_FIELD_REGION, c.CLUSTER_FIELD_ZONE)
FIELD_SELECTOR_OPERATORS = ("In", "NotIn")
TOLERATION_OPERATORS = ("", "Exists", "Equal")
# Overriders whose presence conflicts with overrideRules (fieldOverrider is not among them upstream).
DEPRECATED_OVERRIDERS = ("plaintext", "imageOverrider", "commandOverrider", "argsOverrider", "labelsOverrider", "annotationsOverrider")


def _d(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _labels(obj: Obj) -> Obj:
    return _d(_d(obj.get("metadata")).get("labels"))


# ---- PropagationPolicy / ClusterPropagationPolicy ----------------------------------------------
def permanent_id_label(cluster_scoped: bool) -> str:
    return c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL if cluster_scoped else c.PROPAGATION_POLICY_PERMANENT_ID_LABEL


def validate_propagation_policy(policy: Obj, *, namespace: str, cluster_scoped: bool, old: Obj | None = None) -> list[FieldError]:
    """Everything the validating webhook checks on CREATE (``old`` None) and UPDATE."""
    errs: list[FieldError] = []
    label = permanent_id_label(cluster_scoped)
    label_path = FieldPath("metadata", "labels").key(label)
    spec = _d(policy.get("spec"))
    if old is not None:
        old_spec = _d(old.get("spec"))
        if spec.get("schedulerName", "") != old_spec.get("schedulerName", ""):
            errs.append(invalid(SPEC.child("schedulerName"), spec.get("schedulerName", ""), "field is immutable"))
    if label not in _labels(policy):
        errs.append(required(label_path, "the mutating admission webhook sets it at creation and updates must keep it"))
    elif old is not None and _labels(policy).get(label) != _labels(old).get(label, ""):
        errs.append(invalid(label_path, _labels(policy).get(label), "label is immutable; only the system sets it, at creation"))
    errs += validate_propagation_spec(spec, "" if cluster_scoped else namespace)
    return errs


def validate_propagation_spec(spec: Obj, policy_namespace: str) -> list[FieldError]:
    """``policy_namespace`` is empty for a ClusterPropagationPolicy (selectors may name any)."""
    errs = validate_placement(_d(spec.get("placement")), SPEC.child("placement"))
    failover = _d(spec.get("failover"))
    if failover.get("application") is not None and not spec.get("propagateDeps"):
        errs.append(invalid(SPEC.child("propagateDeps"), bool(spec.get("propagateDeps")), "must be true when failover.application is set"))
    errs += validate_failover(failover, SPEC.child("failover"))
    selectors = _l(spec.get("resourceSelectors"))
    errs += validate_selector_namespaces(selectors, policy_namespace, SPEC.child("resourceSelectors"))
    if spec.get("preemption") == "Always":
        for i, selector in enumerate(selectors):
            if not _d(selector).get("name"):
                errs.append(
                    required(
                        SPEC.child("resourceSelectors").index(i).child("name"),
                        "required when preemption is Always: a selector without a name could preempt unrelated resources",
                    )
                )
    suspension = _d(spec.get("suspension"))
    on_clusters = _l(_d(suspension.get("dispatchingOnClusters")).get("clusterNames"))
    if suspension.get("dispatching") is True and on_clusters:
        path = SPEC.child("suspension", "dispatchingOnClusters", "clusterNames")
        errs.append(forbidden(path, "cannot be set while suspension.dispatching is true"))
    return errs


def validate_selector_namespaces(selectors: list[Any], policy_namespace: str, path: FieldPath) -> list[FieldError]:
    if not policy_namespace:
        return []
    return [
        invalid(path.index(i).child("namespace"), _d(s).get("namespace", ""), f'must be the namespace of the policy, "{policy_namespace}"')
        for i, s in enumerate(selectors)
        if _d(s).get("namespace", "") != policy_namespace
    ]


def is_overflow_scheduling_allowed(replica_scheduling: Obj | None) -> bool:
    """Overflow affinities need Divided replicas that are Aggregated or Weighted by dynamic weight."""
    if not replica_scheduling or replica_scheduling.get("replicaSchedulingType") != "Divided":
        return False
    preference = replica_scheduling.get("replicaDivisionPreference")
    if preference == "Aggregated":
        return True
    return preference == "Weighted" and bool(_d(replica_scheduling.get("weightPreference")).get("dynamicWeight"))


def validate_placement(placement: Obj, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    if placement.get("clusterAffinity") is not None and placement.get("clusterAffinities") is not None:
        errs.append(forbidden(path.child("clusterAffinities"), "cannot be used together with clusterAffinity"))
    overflow_allowed = is_overflow_scheduling_allowed(_d(placement.get("replicaScheduling")))
    for i, term in enumerate(_l(placement.get("clusterAffinities"))):
        if _d(term).get("overflowAffinities") is not None and not overflow_allowed:
            errs.append(
                forbidden(
                    path.child("clusterAffinities").index(i).child("overflowAffinities"),
                    "only allowed with replicaSchedulingType Divided and replicaDivisionPreference Aggregated, "
                    "or Weighted with weightPreference.dynamicWeight",
                )
            )
    if placement.get("clusterAffinity") is not None:
        errs += validate_cluster_affinity(_d(placement.get("clusterAffinity")), path.child("clusterAffinity"))
    errs += validate_cluster_affinities(_l(placement.get("clusterAffinities")), path.child("clusterAffinities"))
    errs += validate_spread_constraints(_l(placement.get("spreadConstraints")), path.child("spreadConstraints"))
    errs += validate_workload_affinity(placement.get("workloadAffinity"), path.child("workloadAffinity"))
    for i, toleration in enumerate(_l(placement.get("clusterTolerations"))):
        operator = _d(toleration).get("operator", "")
        if operator in ("Lt", "Gt"):
            errs.append(not_supported(path.child("clusterTolerations").index(i).child("operator"), operator, TOLERATION_OPERATORS))
    return errs


def validate_cluster_affinity(affinity: Obj, path: FieldPath) -> list[FieldError]:
    """Only provider, region and zone may be selected by field, with In or NotIn."""
    errs: list[FieldError] = []
    expressions = _l(_d(affinity.get("fieldSelector")).get("matchExpressions"))
    for i, expression in enumerate(expressions):
        expression = _d(expression)
        at = path.child("fieldSelector", "matchExpressions").index(i)
        if expression.get("key", "") not in FIELD_SELECTOR_KEYS:
            errs.append(not_supported(at.child("key"), expression.get("key", ""), FIELD_SELECTOR_KEYS))
        if expression.get("operator", "") not in FIELD_SELECTOR_OPERATORS:
            errs.append(not_supported(at.child("operator"), expression.get("operator", ""), FIELD_SELECTOR_OPERATORS))
    return errs


def _is_empty_affinity(term: Obj) -> bool:
    return (
        term.get("labelSelector") is None
        and term.get("fieldSelector") is None
        and not term.get("clusterNames")
        and not term.get("exclude")
    )


def validate_cluster_affinities(terms: list[Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, term in enumerate(terms):
        term = _d(term)
        name = term.get("affinityName", "")
        name_path = path.index(i).child("affinityName")
        errs += [invalid(name_path, name, msg) for msg in qualified_name(name)]
        if name in seen:
            errs.append(duplicate(name_path, name))
        seen.add(name)
        errs += validate_cluster_affinity(term, path.index(i))
        errs += _validate_overflow_affinities(term, path.index(i))
    return errs


def _validate_overflow_affinities(term: Obj, path: FieldPath) -> list[FieldError]:
    overflows = term.get("overflowAffinities")
    if overflows is None:
        return []
    path = path.child("overflowAffinities")
    errs: list[FieldError] = []
    if _is_empty_affinity(term):
        errs.append(forbidden(path, "only allowed when the term itself selects clusters (labelSelector, fieldSelector, clusterNames or exclude)"))
    names = {term.get("affinityName", "")}
    for j, overflow in enumerate(_l(overflows)):
        overflow = _d(overflow)
        name = overflow.get("affinityName", "")
        errs += [invalid(path.index(j).child("affinityName"), name, msg) for msg in qualified_name(name)]
        if name in names:
            errs.append(invalid(path.index(j).child("affinityName"), name, "must be unique and differ from the term's affinityName"))
        names.add(name)
        errs += validate_cluster_affinity(overflow, path.index(j))
    return errs


def validate_spread_constraints(constraints: list[Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    by_field: dict[str, bool] = {}  # spreadByField value -> already reported as repeated
    for i, constraint in enumerate(constraints):
        constraint = _d(constraint)
        at = path.index(i)
        by, label = constraint.get("spreadByField", ""), constraint.get("spreadByLabel", "")
        min_groups, max_groups = constraint.get("minGroups") or 0, constraint.get("maxGroups") or 0
        if by and label:
            errs.append(forbidden(at.child("spreadByLabel"), "cannot be used together with spreadByField"))
        if min_groups < 0:
            errs.append(invalid(at.child("minGroups"), min_groups, "must be greater than or equal to 0"))
        if max_groups < 0:
            errs.append(invalid(at.child("maxGroups"), max_groups, "must be greater than or equal to 0"))
        if max_groups > 0 and max_groups < min_groups:
            errs.append(invalid(at.child("maxGroups"), max_groups, f"must be greater than or equal to minGroups ({min_groups})"))
        if by:
            if by in by_field and not by_field[by]:
                errs.append(invalid(at.child("spreadByField"), by, "only one spread constraint may use this field"))
                by_field[by] = True
            by_field.setdefault(by, False)
    if by_field and "cluster" not in by_field:
        errs.append(required(path, "a constraint with spreadByField cluster is needed when any constraint uses spreadByField"))
    return errs


def validate_workload_affinity(value: Any, path: FieldPath) -> list[FieldError]:
    if value is None:
        return []
    affinity, anti = _d(value).get("affinity"), _d(value).get("antiAffinity")
    errs: list[FieldError] = []
    for name, term in (("affinity", affinity), ("antiAffinity", anti)):
        if term is not None:
            key = _d(term).get("groupByLabelKey", "")
            errs += [invalid(path.child(name, "groupByLabelKey"), key, msg) for msg in qualified_name(key)]
    if affinity is not None and anti is not None:
        key = _d(anti).get("groupByLabelKey", "")
        if key == _d(affinity).get("groupByLabelKey", ""):
            errs.append(invalid(path.child("antiAffinity", "groupByLabelKey"), key, "must differ from affinity.groupByLabelKey"))
    return errs


def validate_failover(failover: Obj, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    application = failover.get("application")
    if application is not None:
        application = _d(application)
        at = path.child("application")
        toleration = _d(application.get("decisionConditions")).get("tolerationSeconds")
        if toleration is not None and toleration < 0:
            errs.append(invalid(at.child("decisionConditions", "tolerationSeconds"), toleration, "must be greater than or equal to 0"))
        gracefully = application.get("purgeMode", "") == "Gracefully"
        grace = application.get("gracePeriodSeconds")
        if not gracefully and grace is not None:
            errs.append(invalid(at.child("gracePeriodSeconds"), grace, "only allowed when purgeMode is Gracefully"))
        if gracefully and grace is None:
            errs.append(required(at.child("gracePeriodSeconds"), "required when purgeMode is Gracefully"))
        if grace is not None and grace <= 0:
            errs.append(invalid(at.child("gracePeriodSeconds"), grace, "must be greater than 0"))
        errs += _validate_state_preservation(application.get("statePreservation"), at.child("statePreservation"))
    cluster = failover.get("cluster")
    if cluster is not None:
        at = path.child("cluster", "statePreservation")
        errs += _validate_state_preservation(_d(cluster).get("statePreservation"), at)
    return errs


def _validate_state_preservation(value: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, rule in enumerate(_l(_d(value).get("rules"))):
        name = _d(rule).get("aliasLabelName", "")
        errs += [invalid(path.child("rules").index(i).child("aliasLabelName"), name, msg) for msg in qualified_name(name)]
    return errs


# ---- OverridePolicy / ClusterOverridePolicy ----------------------------------------------------
def validate_override_policy(policy: Obj, *, namespace: str, cluster_scoped: bool) -> list[FieldError]:
    return validate_override_spec(_d(policy.get("spec")), "" if cluster_scoped else namespace)


def validate_override_spec(spec: Obj, policy_namespace: str) -> list[FieldError]:
    errs: list[FieldError] = []
    rules = spec.get("overrideRules")
    if spec.get("targetCluster") is not None:
        errs += validate_cluster_affinity(_d(spec.get("targetCluster")), SPEC.child("targetCluster"))
        if rules is not None:
            errs.append(forbidden(SPEC.child("targetCluster"), "cannot be used together with overrideRules"))
    overriders = _d(spec.get("overriders"))
    if rules is not None and any(overriders.get(k) for k in DEPRECATED_OVERRIDERS):
        errs.append(forbidden(SPEC.child("overriders"), "cannot be used together with overrideRules"))
    for i, rule in enumerate(_l(rules)):
        errs += validate_override_rule(_d(rule), SPEC.child("overrideRules").index(i))
    errs += validate_selector_namespaces(_l(spec.get("resourceSelectors")), policy_namespace, SPEC.child("resourceSelectors"))
    return errs


def validate_override_rule(rule: Obj, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    overriders = _d(rule.get("overriders"))
    at = path.child("overriders")
    for j, item in enumerate(_l(overriders.get("annotationsOverrider"))):
        errs += validate_annotations(_d(_d(item).get("value")), at.child("annotationsOverrider").index(j).child("value"))
    for j, item in enumerate(_l(overriders.get("labelsOverrider"))):
        errs += validate_labels(_d(_d(item).get("value")), at.child("labelsOverrider").index(j).child("value"))
    for j, item in enumerate(_l(overriders.get("imageOverrider"))):
        predicate = _d(item).get("predicate")
        if predicate is not None:
            pointer = _d(predicate).get("path", "")
            if problem := is_json_pointer(pointer):
                errs.append(invalid(at.child("imageOverrider").index(j).child("predicate", "path"), pointer, problem))
    for j, item in enumerate(_l(overriders.get("fieldOverrider"))):
        errs += _validate_field_overrider(_d(item), at.child("fieldOverrider").index(j))
    if rule.get("targetCluster") is not None:
        errs += validate_cluster_affinity(_d(rule.get("targetCluster")), path.child("targetCluster"))
    return errs


def _validate_field_overrider(item: Obj, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    json_ops, yaml_ops = _l(item.get("json")), _l(item.get("yaml"))
    if json_ops and yaml_ops:
        errs.append(forbidden(path.child("yaml"), "json and yaml cannot both be set; use one of them"))
    if not json_ops and not yaml_ops:
        errs.append(required(path, "one of json or yaml must be set"))
    if problem := is_json_pointer(item.get("fieldPath", "")):
        errs.append(invalid(path.child("fieldPath"), item.get("fieldPath", ""), problem))
    for name, ops in (("json", json_ops), ("yaml", yaml_ops)):
        for k, op in enumerate(ops):
            op, at = _d(op), path.child(name).index(k)
            if problem := is_json_pointer(op.get("subPath", "")):
                errs.append(invalid(at.child("subPath"), op.get("subPath", ""), problem))
            has_value = op.get("value") is not None
            if op.get("operator") in ("add", "replace") and not has_value:
                errs.append(required(at.child("value"), f"required for the {op.get('operator')} operation"))
            if op.get("operator") == "remove" and has_value:
                errs.append(forbidden(at.child("value"), "not allowed for the remove operation"))
    return errs


# ---- ResourceBinding ---------------------------------------------------------------------------
def validate_resource_binding(binding: Obj) -> list[FieldError]:
    """The dependencies annotation parses, and component names are set and unique.
    (FederatedQuotaEnforcement, off by default, is not implemented.)"""
    errs: list[FieldError] = []
    annotations = _d(_d(binding.get("metadata")).get("annotations"))
    if c.DEPENDENCIES_ANNOTATION in annotations:
        raw = annotations[c.DEPENDENCIES_ANNOTATION]
        if not _is_dependency_list(raw):
            path = FieldPath("metadata", "annotations").key(c.DEPENDENCIES_ANNOTATION)
            errs.append(invalid(path, raw, "must be a JSON array of {apiVersion, kind, namespace, name} objects"))
    names: set[str] = set()
    for i, component in enumerate(_l(_d(binding.get("spec")).get("components"))):
        name = _d(component).get("name", "")
        path = SPEC.child("components").index(i).child("name")
        if not name:
            errs.append(required(path, "component names must be non-empty"))
        elif name in names:
            errs.append(duplicate(path, name))
        names.add(name)
    return errs


def _is_dependency_list(raw: Any) -> bool:
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return False
    if value is None:
        return raw.strip() == "null" if isinstance(raw, str) else False
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)
