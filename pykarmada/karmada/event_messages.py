"""The messages of Karmada's Events, worded as upstream's call sites word them, so a user (or a
script) reading ``kubectl describe`` sees what upstream would show. Reasons live in constants."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.taints import taints_summary

Obj = Mapping[str, Any]


def kobj(meta_or_obj: Obj) -> str:
    """klog.KObj: ``namespace/name``, or ``name`` when cluster-scoped."""
    meta = meta_or_obj.get("metadata") or meta_or_obj
    ns, name = meta.get("namespace") or "", meta.get("name") or ""
    return f"{ns}/{name}" if ns else name


def policy_label(policy: Obj) -> str:
    """``policy(ns/name)`` or ``cluster policy(name)``, as ApplyPolicy events name the policy."""
    meta = policy.get("metadata") or {}
    if policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY:
        return f"cluster policy({meta.get('name')})"
    return f"policy({meta.get('namespace')}/{meta.get('name')})"


def binding_label(namespace: str, name: str) -> str:
    return f"ResourceBinding({namespace}/{name})" if namespace else f"ClusterResourceBinding({name})"


# ---- detector ----------------------------------------------------------------------------------


def apply_policy(policy: Obj, error: object | None = None) -> str:
    label = policy_label(policy)
    return f"Apply {label} failed: {error}" if error is not None else f"Apply {label} succeed"


GET_REPLICAS_SUCCEED = "Get replicas of resource template successfully."


# ---- binding controller / override manager -----------------------------------------------------


def sync_work_succeed(namespace: str, name: str) -> str:
    return f"Sync work of {binding_label(namespace, name)} successful."


def _override_label(policy_namespace: str, policy_name: str) -> str:
    return f"override policy({policy_namespace}/{policy_name})" if policy_namespace else f"cluster override policy({policy_name})"


def apply_override(policy_namespace: str, policy_name: str, cluster: str, *, failed: bool = False) -> str:
    return f"Apply {_override_label(policy_namespace, policy_name)} for cluster({cluster}) {'failed' if failed else 'succeed'}."


def applied_overrides(work: Obj, cluster: str) -> list[str]:
    """One ApplyOverridePolicySucceed message per override rule the Work records as applied
    (its applied-(cluster-)overrides annotations): cluster-wide ones first, as they apply."""
    meta = work.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    manifests = ((work.get("spec") or {}).get("workload") or {}).get("manifests") or [{}]
    namespace = (manifests[0].get("metadata") or {}).get("namespace") or ""
    out = []
    for key, policy_namespace in ((C.APPLIED_CLUSTER_OVERRIDES_ANNOTATION, ""), (C.APPLIED_OVERRIDES_ANNOTATION, namespace)):
        try:
            records = json.loads(annotations.get(key) or "[]")
        except ValueError:
            continue
        out += [apply_override(policy_namespace, r.get("policyName") or "", cluster) for r in records if isinstance(r, dict)]
    return out


# ---- execution -----------------------------------------------------------------------------------


def sync_work_to_cluster(work: Obj, cluster: str, error: object | None = None) -> str:
    where = kobj(work)
    if error is not None:
        return f"Failed to sync work({where}) to cluster({cluster}), err: {error}"
    return f"Sync work({where}) to cluster({cluster}) successful."


def apply_manifest(manifest: Obj, cluster: str, error: object | None = None) -> str:
    meta = manifest.get("metadata") or {}
    if error is not None:
        return f"Failed to create or update resource({kobj(manifest)}) in member cluster({cluster}): {error}"
    return f"Successfully applied resource({meta.get('namespace') or ''}/{meta.get('name') or ''}) to cluster {cluster}"


def manifest_event_ref(manifest: Obj) -> dict[str, Any] | None:
    """The template a Work manifest came from, as an ObjectReference (the manifest carries the
    template's uid in an annotation); None when it carries none, as upstream then records nothing."""
    meta = manifest.get("metadata") or {}
    uid = meta.get("uid") or (meta.get("annotations") or {}).get(C.RESOURCE_TEMPLATE_UID_ANNOTATION)
    if not uid or not meta.get("name") or not manifest.get("kind"):
        return None
    ref = {"apiVersion": manifest.get("apiVersion"), "kind": manifest.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"), "uid": uid}
    return {k: v for k, v in ref.items() if v}


# ---- work status ---------------------------------------------------------------------------------


def _object(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"object({obj.get('kind') or ''}/{meta.get('namespace') or ''}/{meta.get('name') or ''})"


def reflect_status(obj: Obj, error: object | None = None) -> str:
    if error is not None:
        return f"Reflect status for {_object(obj)} failed, err: {error}."
    return f"Reflect status for {_object(obj)} succeed."


def interpret_health(obj: Obj, health: str, error: object | None = None) -> str:
    if error is not None:
        return f"Interpret health of {_object(obj)} failed, err: {error}."
    return f"Interpret health of {_object(obj)} as {'healthy' if health == 'Healthy' else 'unhealthy'}."


# ---- binding status ------------------------------------------------------------------------------

AGGREGATE_TEMPLATE_SUCCEED = "Update Resource with AggregatedStatus successfully."


def aggregate_binding_succeed(namespace: str, name: str) -> str:
    return f"Update {binding_label(namespace, name)} with AggregatedStatus successfully."


# ---- dependencies distributor --------------------------------------------------------------------


def get_dependencies_succeed(dependencies: Iterable[Obj]) -> str:
    """``Get dependencies([{APIVersion:v1 Kind:ConfigMap Namespace:ns Name:cm LabelSelector:<nil>}]) succeed.``
    (Go's ``%+v``; a label selector is written out where Go would print its address)."""
    items = []
    for d in dependencies:
        selector = d.get("labelSelector")
        shown = "<nil>" if selector is None else json.dumps(selector, separators=(",", ":"), sort_keys=True)
        items.append(f"{{APIVersion:{d.get('apiVersion') or ''} Kind:{d.get('kind') or ''} Namespace:{d.get('namespace') or ''} Name:{d.get('name') or ''} LabelSelector:{shown}}}")
    return f"Get dependencies([{' '.join(items)}]) succeed."


# ---- cluster controller --------------------------------------------------------------------------


def created_execution_space(namespace: str, cluster: str) -> str:
    return f"Created execution space({namespace}) for cluster({cluster})."


def removed_execution_space(cluster: str) -> str:
    return f"Removed execution space for cluster({cluster})."


def taint_cluster_succeed(taints: Iterable[Obj]) -> str:
    """``Taint cluster succeed: cluster now has taints([{Key:k,Effect:NoSchedule}]).``"""
    return f"Taint cluster succeed: {taints_summary(taints)}."


def taint_policy_succeed(cluster: str, taints: Iterable[Obj]) -> str:
    """The ClusterTaintPolicy controller's ``TaintClusterSucceed`` message."""
    return f"Update Cluster({cluster}) with taints({taints_summary(taints)}) succeed"


def evict_workload_from_cluster(cluster: str, *, failed: bool) -> str:
    return f"Evict from cluster {cluster} {'failed' if failed else 'succeed'}."


def _preemption_party(policy: Obj) -> str:
    meta = policy.get("metadata") or {}
    if policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY:
        return f"cluster propagation policy({meta.get('name')})"
    return f"propagation policy({meta.get('namespace')}/{meta.get('name')})"


def preempt_policy(preemptor: Obj, claimed: Obj, error: object | None = None) -> str:
    """PreemptPolicySucceed / PreemptPolicyFailed: ``Propagation policy(ns/a) preempted cluster
    propagation policy(b) successfully``."""
    who, whom = _preemption_party(preemptor), _preemption_party(claimed)
    who = who[0].upper() + who[1:]
    return f"{who} failed to preempt {whom}: {error}" if error is not None else f"{who} preempted {whom} successfully"
