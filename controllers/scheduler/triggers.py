"""Whether a binding must be (re)scheduled, and which events reach the queue (behaviour.md 2.1).

A Divided workload is deliberately *not* moved when clusters come, go or change capacity: only the
triggers below move it. The controller calls :func:`schedule_trigger`; ``None`` means "only make
sure ``status.schedulerObservedGeneration`` equals ``metadata.generation``".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pykarmada.controllers.scheduler import spec as specs
from pykarmada.karmada import constants as C
from pykarmada.karmada.selectors import cluster_matches

__all__ = [
    "PLACEMENT_CHANGED",
    "REPLICAS_CHANGED",
    "RESCHEDULE_TRIGGERED",
    "ALWAYS_SCHEDULED",
    "TERMINATING_CLUSTER",
    "placement_changed",
    "replicas_changed",
    "schedule_trigger",
    "is_binding_for_scheduler",
    "clusters_to_reconcile",
    "binding_affected_by_cluster",
]

PLACEMENT_CHANGED = "PlacementChanged"
REPLICAS_CHANGED = "ReplicasChanged"
RESCHEDULE_TRIGGERED = "RescheduleTriggered"
ALWAYS_SCHEDULED = "DuplicatedOrNonWorkload"
TERMINATING_CLUSTER = "TerminatingCluster"


def _normalized(value: Any) -> Any:
    """Drop nulls and empty containers, as a Go round trip through omitempty JSON does."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            item = _normalized(item)
            if item is None or item == {} or item == []:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def _term(terms: Sequence[Mapping[str, Any]] | None, name: str) -> Mapping[str, Any] | None:
    for term in terms or ():
        if term.get("affinityName") == name:
            return term
    return None


def placement_changed(placement: Mapping[str, Any], applied: str | None, observed_affinity_name: str) -> bool:
    """Compare the binding's placement with the ``applied-placement`` annotation.

    No annotation -> changed; unparsable -> not changed; any difference outside clusterAffinities
    -> changed; otherwise changed only if the observed term is unknown, missing or different.
    """
    if not applied:
        return True
    try:
        previous = json.loads(applied)
    except ValueError:
        return False
    if not isinstance(previous, Mapping):
        return False
    current, previous = _normalized(placement), _normalized(previous)
    if current == previous:
        return False
    for key in ("clusterAffinity", "clusterTolerations", "spreadConstraints", "replicaScheduling"):
        if current.get(key) != previous.get(key):
            return True
    if not observed_affinity_name:
        return True
    now = _term(current.get("clusterAffinities"), observed_affinity_name)
    before = _term(previous.get("clusterAffinities"), observed_affinity_name)
    return now is None or before is None or now != before


def replicas_changed(spec: Mapping[str, Any]) -> bool:
    """Only with replicaScheduling: Duplicated -> some target differs from ``spec.replicas``;
    Divided -> the targets do not sum to ``spec.replicas``."""
    rs = (spec.get("placement") or {}).get("replicaScheduling")
    if rs is None:
        return False
    replicas = spec.get("replicas") or 0
    targets = spec.get("clusters") or ()
    rtype = rs.get("replicaSchedulingType") or C.REPLICA_SCHEDULING_DIVIDED
    if rtype == C.REPLICA_SCHEDULING_DUPLICATED:
        return any((t.get("replicas") or 0) != replicas for t in targets)
    if rtype == C.REPLICA_SCHEDULING_DIVIDED:
        return sum(t.get("replicas") or 0 for t in targets) != replicas
    return False


def schedule_trigger(binding: Mapping[str, Any], clusters: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the binding must be scheduled now, or None. Deleting bindings are the caller's job."""
    metadata = binding.get("metadata") or {}
    spec = binding.get("spec") or {}
    status = binding.get("status") or {}
    placement = spec.get("placement") or {}
    applied = (metadata.get("annotations") or {}).get(C.APPLIED_PLACEMENT_ANNOTATION)
    if placement_changed(placement, applied, status.get("schedulerObservingAffinityName") or ""):
        return PLACEMENT_CHANGED
    if replicas_changed(spec):
        return REPLICAS_CHANGED
    if specs.reschedule_required(spec, status):
        return RESCHEDULE_TRIGGERED
    if not specs.is_workload(spec) or specs.strategy_of(placement).kind == specs.DUPLICATED:
        return ALWAYS_SCHEDULED
    targets = {t.get("name") for t in spec.get("clusters") or ()}
    for cluster in clusters:
        cluster_meta = cluster.get("metadata") or {}
        if cluster_meta.get("deletionTimestamp") and cluster_meta.get("name") in targets:
            return TERMINATING_CLUSTER
    return None


# ---------------------------------------------------------------------------------------------
# Event filtering: which bindings and cluster changes reach the queue


def _scheduler_matches(spec: Mapping[str, Any], scheduler_name: str) -> bool:
    return (spec.get("schedulerName") or C.DEFAULT_SCHEDULER_NAME) == scheduler_name


def _scheduling_suspended(spec: Mapping[str, Any]) -> bool:
    return bool((spec.get("suspension") or {}).get("scheduling"))


def is_binding_for_scheduler(binding: Mapping[str, Any], scheduler_name: str = C.DEFAULT_SCHEDULER_NAME) -> bool:
    """Binding event filter: our scheduler name, scheduling not suspended, and claimed by a policy
    (PP or CPP permanent id) or labelled ``binding.karmada.io/managed-by``."""
    spec = binding.get("spec") or {}
    if not _scheduler_matches(spec, scheduler_name) or _scheduling_suspended(spec):
        return False
    labels = (binding.get("metadata") or {}).get("labels") or {}
    return any(
        labels.get(key)
        for key in (C.PROPAGATION_POLICY_PERMANENT_ID_LABEL, C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL, C.BINDING_MANAGED_BY_LABEL)
    )


def clusters_to_reconcile(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """Cluster versions whose affected bindings must be re-enqueued after a cluster update.

    A new deletionTimestamp -> the new object; a change of labels or generation (spec, e.g.
    taints) -> both versions, so bindings selecting either one are re-examined. Status-only
    changes -> nothing.
    """
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    if not old_meta.get("deletionTimestamp") and new_meta.get("deletionTimestamp"):
        return (new,)
    if (old_meta.get("labels") or {}) != (new_meta.get("labels") or {}) or old_meta.get("generation") != new_meta.get("generation"):
        return (old, new)
    return ()


def binding_affected_by_cluster(binding: Mapping[str, Any], cluster: Mapping[str, Any], scheduler_name: str = C.DEFAULT_SCHEDULER_NAME) -> bool:
    """Should a cluster change re-enqueue this binding? (no affinity, or its affinity selects the
    cluster; with clusterAffinities the observed term, and always while scheduling is pending)."""
    spec = binding.get("spec") or {}
    status = binding.get("status") or {}
    if not _scheduler_matches(spec, scheduler_name) or _scheduling_suspended(spec):
        return False
    placement = spec.get("placement") or {}
    terms = placement.get("clusterAffinities")
    if terms is not None:
        if status.get("schedulerObservedGeneration") != (binding.get("metadata") or {}).get("generation"):
            return True
        if not terms:
            return False
        observed = status.get("schedulerObservingAffinityName") or ""
        affinity = next((t for t in terms if observed and t.get("affinityName") == observed), terms[0])
    else:
        affinity = placement.get("clusterAffinity")
    return affinity is None or cluster_matches(cluster, affinity)
