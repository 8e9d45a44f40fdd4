"""Works as the binding and namespace-sync controllers write them (behaviour.md 3 and 7, api.md 7).

``build_binding_work`` turns (template, binding, one target cluster) into the Work for that
cluster: replicas revised, overrides applied, the manifest stamped with Karmada's labels and
annotations and pruned. ``merge_work`` folds a desired Work into the stored one, and
``work_changed`` compares them *after* the Work mutating webhook's transformation, which the
server applies on every write, so an unchanged Work is never rewritten.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.replicas import revise_replicas, set_job_completions
from pykarmada.karmada.mutation import mutate_work
from pykarmada.karmada.names import execution_namespace, work_name
from pykarmada.karmada.overrides import OverrideResult, apply_override_policies
from pykarmada.karmada.prune import prune_manifest, record_managed_keys
from pykarmada.karmada.webster import divide_by_weight

Obj = dict[str, Any]

__all__ = [
    "target_clusters",
    "expected_clusters",
    "direct_purge_clusters",
    "is_workload",
    "conflict_resolution",
    "suspend_dispatching",
    "job_completions",
    "build_binding_work",
    "build_namespace_work",
    "merge_work",
    "work_changed",
]

_OVERRIDE_RECORDS = (C.APPLIED_OVERRIDES_ANNOTATION, C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION)


def target_clusters(spec: Mapping[str, Any]) -> list[Obj]:
    """``spec.clusters`` followed by the ``requiredBy`` clusters not already present."""
    out = [dict(t) for t in spec.get("clusters") or ()]
    seen = {t.get("name") for t in out}
    for snapshot in spec.get("requiredBy") or ():
        for target in snapshot.get("clusters") or ():
            if target.get("name") not in seen:
                seen.add(target.get("name"))
                out.append(dict(target))
    return out


def expected_clusters(spec: Mapping[str, Any]) -> set[str]:
    """Clusters that may keep a Work: targets, plus clusters being evicted gracefully."""
    names = {t.get("name") or "" for t in target_clusters(spec)}
    for task in spec.get("gracefulEvictionTasks") or ():
        if task.get("purgeMode") != C.PURGE_MODE_DIRECTLY:
            names.add(task.get("fromCluster") or "")
    return names


def direct_purge_clusters(spec: Mapping[str, Any]) -> set[str]:
    return {t.get("fromCluster") or "" for t in spec.get("gracefulEvictionTasks") or () if t.get("purgeMode") == C.PURGE_MODE_DIRECTLY}


def is_workload(spec: Mapping[str, Any]) -> bool:
    return (spec.get("replicas") or 0) > 0 or spec.get("replicaRequirements") is not None or bool(spec.get("components"))


def conflict_resolution(manifest: Mapping[str, Any], binding_spec: Mapping[str, Any]) -> str:
    """A valid template annotation wins; else ``overwrite`` iff the binding says Overwrite."""
    value = ((manifest.get("metadata") or {}).get("annotations") or {}).get(C.CONFLICT_RESOLUTION_ANNOTATION)
    if value in (C.CONFLICT_RESOLUTION_OVERWRITE, C.CONFLICT_RESOLUTION_ABORT):
        return value
    if binding_spec.get("conflictResolution") == C.CONFLICT_RESOLUTION_POLICY_OVERWRITE:
        return C.CONFLICT_RESOLUTION_OVERWRITE
    return C.CONFLICT_RESOLUTION_ABORT


def suspend_dispatching(binding_spec: Mapping[str, Any], cluster: str) -> bool:
    suspension = binding_spec.get("suspension") or {}
    if suspension.get("dispatching"):
        return True
    return cluster in ((suspension.get("dispatchingOnClusters") or {}).get("clusterNames") or ())


def job_completions(template: Mapping[str, Any], binding_spec: Mapping[str, Any], targets: Iterable[Mapping[str, Any]]) -> dict[str, int] | None:
    """A Divided Job's ``spec.completions`` split over the targets by their replicas (Webster,
    tie-break on the Job's uid); None when nothing is to be split."""
    if template.get("kind") != "Job" or (binding_spec.get("replicas") or 0) <= 0:
        return None
    strategy = (binding_spec.get("placement") or {}).get("replicaScheduling")
    if strategy is None or (strategy.get("replicaSchedulingType") or C.REPLICA_SCHEDULING_DIVIDED) != C.REPLICA_SCHEDULING_DIVIDED:
        return None
    completions = (template.get("spec") or {}).get("completions")
    if completions is None:
        return None
    weights = [(t.get("name") or "", t.get("replicas") or 0) for t in targets]
    uid = (template.get("metadata") or {}).get("uid")
    return dict(divide_by_weight(int(completions), weights, uid=uid))


def _set(mapping_owner: Obj, field: str, key: str, value: str) -> None:
    meta = mapping_owner.setdefault("metadata", {})
    values = meta.get(field)
    if not isinstance(values, dict):
        values = meta[field] = {}
    values[key] = value


def _finish_manifest(manifest: Obj, work_meta: Mapping[str, Any], work_id: str) -> None:
    """What every Work's manifest gets (upstream CreateOrUpdateWork): managed label, template uid,
    Work back references, the Work's conflict resolution; then pruning and the managed-key
    records with the Work's permanent id."""
    _set(manifest, "labels", C.MANAGED_BY_KARMADA_LABEL, C.MANAGED_BY_KARMADA_LABEL_VALUE)
    _set(manifest, "annotations", C.RESOURCE_TEMPLATE_UID_ANNOTATION, (manifest.get("metadata") or {}).get("uid") or "")
    _set(manifest, "annotations", C.WORK_NAME_ANNOTATION, work_meta["name"])
    _set(manifest, "annotations", C.WORK_NAMESPACE_ANNOTATION, work_meta["namespace"])
    resolution = (work_meta.get("annotations") or {}).get(C.CONFLICT_RESOLUTION_ANNOTATION)
    if resolution is not None:
        _set(manifest, "annotations", C.CONFLICT_RESOLUTION_ANNOTATION, resolution)
    prune_manifest(manifest)
    record_managed_keys(manifest, work_id)


def build_binding_work(
    template: Mapping[str, Any],
    binding: Mapping[str, Any],
    target: Mapping[str, Any],
    *,
    cluster: Mapping[str, Any],
    cluster_override_policies: Iterable[Mapping[str, Any]] = (),
    override_policies: Iterable[Mapping[str, Any]] = (),
    completions: int | None = None,
    work_id: str = "",
    failover_labels: Mapping[str, str] | None = None,
) -> Obj:
    """The Work for one target cluster of a binding. Raises ``OverrideError``. ``failover_labels``
    (a failover's preserved state) go on the workload after the overrides, as upstream."""
    spec = binding.get("spec") or {}
    bmeta = binding.get("metadata") or {}
    cluster_name = target.get("name") or ""
    manifest: Obj = copy.deepcopy(dict(template))
    if is_workload(spec):
        revise_replicas(manifest, target.get("replicas") or 0)
    if completions is not None:
        set_job_completions(manifest, completions)
    result: OverrideResult = apply_override_policies(
        manifest, cluster, cluster_override_policies=cluster_override_policies, override_policies=override_policies
    )
    manifest = result.manifest
    for key, value in (failover_labels or {}).items():
        _set(manifest, "labels", key, value)
    labels: Obj = {}
    annotations: Obj = {}
    namespaced = bool(bmeta.get("namespace"))
    id_label = C.RESOURCE_BINDING_PERMANENT_ID_LABEL if namespaced else C.CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL
    binding_id = (bmeta.get("labels") or {}).get(id_label) or ""
    _set(manifest, "labels", id_label, binding_id)
    labels[id_label] = binding_id
    generation = (manifest.get("metadata") or {}).get("generation") or 0
    if generation > 0:
        _set(manifest, "annotations", C.RESOURCE_TEMPLATE_GENERATION_ANNOTATION, str(generation))
    if namespaced:
        _set(manifest, "annotations", C.RESOURCE_BINDING_NAMESPACE_ANNOTATION, bmeta["namespace"])
        _set(manifest, "annotations", C.RESOURCE_BINDING_NAME_ANNOTATION, bmeta.get("name") or "")
        annotations[C.RESOURCE_BINDING_NAMESPACE_ANNOTATION] = bmeta["namespace"]
        annotations[C.RESOURCE_BINDING_NAME_ANNOTATION] = bmeta.get("name") or ""
    else:
        _set(manifest, "annotations", C.CLUSTER_RESOURCE_BINDING_ANNOTATION, bmeta.get("name") or "")
        annotations[C.CLUSTER_RESOURCE_BINDING_ANNOTATION] = bmeta.get("name") or ""
    annotations[C.CONFLICT_RESOLUTION_ANNOTATION] = conflict_resolution(manifest, spec)
    annotations.update(result.work_annotations())
    if work_id:
        labels[C.WORK_PERMANENT_ID_LABEL] = work_id
    mmeta = manifest.get("metadata") or {}
    work_meta: Obj = {
        "name": work_name(manifest.get("kind") or "", mmeta.get("name") or "", mmeta.get("namespace") or ""),
        "namespace": execution_namespace(cluster_name),
        "finalizers": [C.EXECUTION_CONTROLLER_FINALIZER],
        "labels": labels,
        "annotations": annotations,
    }
    _finish_manifest(manifest, work_meta, work_id)
    return {
        "apiVersion": C.WORK_V1ALPHA1,
        "kind": C.KIND_WORK,
        "metadata": work_meta,
        "spec": {
            "workload": {"manifests": [manifest]},
            "suspendDispatching": suspend_dispatching(spec, cluster_name),
            "preserveResourcesOnDeletion": bool(spec.get("preserveResourcesOnDeletion")),
        },
    }


def build_namespace_work(
    namespace: Mapping[str, Any],
    cluster: Mapping[str, Any],
    *,
    cluster_override_policies: Iterable[Mapping[str, Any]] = (),
    work_id: str = "",
) -> Obj:
    """A Namespace's Work for one cluster (behaviour.md 7): COPs only, owner = the Namespace."""
    result = apply_override_policies(namespace, cluster, cluster_override_policies=cluster_override_policies)
    manifest = result.manifest
    nmeta = namespace.get("metadata") or {}
    work_meta: Obj = {
        "name": work_name("Namespace", nmeta.get("name") or ""),
        "namespace": execution_namespace((cluster.get("metadata") or {}).get("name") or ""),
        "finalizers": [C.EXECUTION_CONTROLLER_FINALIZER],
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Namespace", "name": nmeta.get("name"), "uid": nmeta.get("uid"), "controller": True, "blockOwnerDeletion": True}
        ],
    }
    if annotations := result.work_annotations():
        work_meta["annotations"] = annotations
    if work_id:
        work_meta["labels"] = {C.WORK_PERMANENT_ID_LABEL: work_id}
    _finish_manifest(manifest, work_meta, work_id)
    return {"apiVersion": C.WORK_V1ALPHA1, "kind": C.KIND_WORK, "metadata": work_meta, "spec": {"workload": {"manifests": [manifest]}}}


def merge_work(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Obj:
    """The stored Work with the desired one folded in: labels and annotations merged (override
    records that no longer apply are dropped), finalizers added, spec replaced."""
    out = copy.deepcopy(dict(existing))
    meta, want = out.setdefault("metadata", {}), desired.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _OVERRIDE_RECORDS}
    annotations.update(want.get("annotations") or {})
    meta["annotations"] = annotations
    meta["labels"] = {**(meta.get("labels") or {}), **(want.get("labels") or {})}
    finalizers = list(meta.get("finalizers") or [])
    finalizers += [f for f in want.get("finalizers") or () if f not in finalizers]
    meta["finalizers"] = finalizers
    out["spec"] = copy.deepcopy(desired.get("spec") or {})
    return out


def _comparable(work: Mapping[str, Any]) -> tuple[Any, ...]:
    meta = work.get("metadata") or {}
    return meta.get("labels") or {}, meta.get("annotations") or {}, meta.get("finalizers") or [], work.get("spec") or {}


def work_changed(existing: Mapping[str, Any], merged: Mapping[str, Any]) -> bool:
    """Would writing ``merged`` change the stored Work, once the Work webhook has run on it?"""
    work_id = ((existing.get("metadata") or {}).get("labels") or {}).get(C.WORK_PERMANENT_ID_LABEL) or ""
    if work_id:
        merged = mutate_work(dict(merged), new_id=work_id)
    return _comparable(merged) != _comparable(existing)
