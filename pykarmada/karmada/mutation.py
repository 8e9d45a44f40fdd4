"""Defaults karmada-webhook writes into policies, bindings and Works (surfaces.md 3.3-3.5), as
pure functions: object in, mutated copy out. Random ids are passed in, so results are
deterministic under test.

Besides the documented defaults, ``placement`` of a (Cluster)PropagationPolicy and ``overriders``
of an OverridePolicy are filled with ``{}`` when absent: upstream's webhook re-serializes the
typed object, where those struct fields are always present, and users read them back that way.
"""

from __future__ import annotations

from typing import Any

from pykarmada.karmada import constants as c
from pykarmada.karmada.prune import prune_manifest, record_managed_keys

Obj = dict[str, Any]


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); several times faster than copy.deepcopy,
    which matters because every admission request copies its object."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def _metadata(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    return meta


def _set_label(obj: Obj, key: str, value: str) -> None:
    meta = _metadata(obj)
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        labels = meta["labels"] = {}
    labels[key] = value


def _label(obj: Obj, key: str) -> str:
    labels = _metadata(obj).get("labels")
    return str(labels.get(key) or "") if isinstance(labels, dict) else ""


def _add_finalizer(obj: Obj, finalizer: str) -> None:
    meta = _metadata(obj)
    finalizers = meta.get("finalizers")
    if not isinstance(finalizers, list):
        finalizers = meta["finalizers"] = []
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def _dicts(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def default_selector_namespaces(spec: Obj, namespace: str) -> None:
    for selector in _dicts(spec.get("resourceSelectors")):
        if not selector.get("namespace"):
            selector["namespace"] = namespace


def default_spread_constraints(placement: Obj) -> None:
    for constraint in _dicts(placement.get("spreadConstraints")):
        if not constraint.get("spreadByField") and not constraint.get("spreadByLabel"):
            constraint["spreadByField"] = "cluster"
        if not constraint.get("minGroups"):
            constraint["minGroups"] = 1


def selects_service_import(spec: Obj) -> bool:
    return any(
        s.get("apiVersion") == c.SERVICE_IMPORT_API_VERSION and s.get("kind") == c.SERVICE_IMPORT_KIND
        for s in _dicts(spec.get("resourceSelectors"))
    )


def default_division_preference(placement: Obj) -> None:
    """Divided replicas without a preference are Weighted. (No ``replicaScheduling`` means
    Duplicated; the CRD defaults the type to Divided when the object is present.)"""
    strategy = placement.get("replicaScheduling")
    if isinstance(strategy, dict) and strategy.get("replicaSchedulingType") == "Divided":
        if not strategy.get("replicaDivisionPreference"):
            strategy["replicaDivisionPreference"] = "Weighted"


def default_grace_period(spec: Obj) -> None:
    failover = spec.get("failover")
    application = failover.get("application") if isinstance(failover, dict) else None
    if isinstance(application, dict) and application.get("purgeMode") == "Gracefully":
        if application.get("gracePeriodSeconds") is None:
            application["gracePeriodSeconds"] = c.DEFAULT_GRACE_PERIOD_SECONDS


def mutate_propagation_policy(policy: Obj, *, namespace: str, cluster_scoped: bool, creating: bool, new_id: str) -> Obj:
    """On CREATE and UPDATE: selector namespaces (PropagationPolicy only), spread constraint
    defaults, propagateDeps for ServiceImport, Weighted division, failover grace period. On CREATE
    only: the permanent-id label (always a fresh ``new_id``) and the controller's finalizer."""
    out = clone(policy)
    spec = out.get("spec")
    if isinstance(spec, dict):
        if not cluster_scoped:
            default_selector_namespaces(spec, namespace)
        placement = spec.get("placement")
        if not isinstance(placement, dict):
            placement = spec["placement"] = {}
        default_spread_constraints(placement)
        if selects_service_import(spec):
            spec["propagateDeps"] = True
        default_division_preference(placement)
        default_grace_period(spec)
    if creating:
        if cluster_scoped:
            _set_label(out, c.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL, new_id)
            _add_finalizer(out, c.CLUSTER_PROPAGATION_POLICY_CONTROLLER_FINALIZER)
        else:
            _set_label(out, c.PROPAGATION_POLICY_PERMANENT_ID_LABEL, new_id)
            _add_finalizer(out, c.PROPAGATION_POLICY_CONTROLLER_FINALIZER)
    return out


def mutate_override_policy(policy: Obj, *, namespace: str) -> Obj:
    """OverridePolicy only (there is no ClusterOverridePolicy mutation): selector namespaces."""
    out = clone(policy)
    spec = out.get("spec")
    if isinstance(spec, dict):
        default_selector_namespaces(spec, namespace)
        if not isinstance(spec.get("overriders"), dict):
            spec["overriders"] = {}
    return out


def mutate_binding(binding: Obj, *, cluster_scoped: bool, new_id: str) -> Obj:
    """On CREATE: the permanent-id label, only when absent or empty."""
    out = clone(binding)
    label = c.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL if cluster_scoped else c.RESOURCE_BINDING_PERMANENT_ID_LABEL
    if not _label(out, label):
        _set_label(out, label, new_id)
    return out


def mutate_work(work: Obj, *, new_id: str) -> Obj:
    """The Work's permanent id (when absent or empty), then every manifest pruned and stamped with
    that id and its managed label and annotation keys."""
    out = clone(work)
    if not _label(out, c.WORK_PERMANENT_ID_LABEL):
        _set_label(out, c.WORK_PERMANENT_ID_LABEL, new_id)
    work_id = _label(out, c.WORK_PERMANENT_ID_LABEL)
    spec = out.get("spec")
    workload = spec.get("workload") if isinstance(spec, dict) else None
    for manifest in _dicts(workload.get("manifests") if isinstance(workload, dict) else None):
        prune_manifest(manifest)
        record_managed_keys(manifest, work_id)
    return out
