"""Available-replica estimation (behaviour.md 2.5).

The general estimator reads ``status.resourceSummary`` of each Cluster. With resource models
(the default: the API server gives every new Cluster nine grades) it counts replicas on virtual
nodes built from each grade's *minimum* capacities; otherwise it divides the cluster-wide free
resources by the per-replica request. With ``--enable-scheduler-estimator`` the members'
scheduler-estimators answer too (``answers_estimator``); the minimum valid answer wins.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from pykarmada.controllers.scheduler.memo import PerClusters, PerObject
from pykarmada.karmada.estimation.protocol import UNKNOWN
from pykarmada.karmada.quantity import parse_quantity, quantity_milli_value, quantity_value

__all__ = ["MAX_INT32", "UNKNOWN", "Estimator", "answers_estimator", "general_estimate", "general_estimator", "estimate_available"]

MAX_INT32 = 2**31 - 1
MAX_PODS_PER_NODE = 110

# (clusters, binding spec) -> one value per cluster (UNKNOWN allowed), or None when the estimator
# failed as a whole (ignored, like an estimator RPC error).
Estimator = Callable[[Sequence[Mapping[str, Any]], Mapping[str, Any]], "Sequence[int] | None"]

_CPU, _MEMORY, _PODS, _EPHEMERAL = "cpu", "memory", "pods", "ephemeral-storage"


def _is_scalar_resource(name: str) -> bool:
    """Extended, hugepages, prefixed-native and attachable-volume resources (``IsScalarResourceName``)."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    if "/" not in name:
        return False
    return not name.startswith("requests.")  # extended (domain/name) or kubernetes.io/ prefixed


def _pods(resources: Mapping[str, Any] | None) -> int:
    if not resources or _PODS not in resources:
        return 0
    return quantity_value(resources[_PODS])


def _allowed_pods(summary: Mapping[str, Any]) -> int:
    allowed = _pods(summary.get("allocatable")) - _pods(summary.get("allocated")) - _pods(summary.get("allocating"))
    return max(allowed, 0)


def _summary_count(summary: Mapping[str, Any], request: Mapping[str, Any]) -> int:
    """Cluster-wide free resources divided by the request (CPU compared in millicores)."""
    allocatable = summary.get("allocatable") or {}
    allocated = summary.get("allocated") or {}
    allocating = summary.get("allocating") or {}
    best: int | None = None
    for name, value in request.items():
        requested = quantity_value(value)
        if requested <= 0:
            continue
        if name not in allocatable:
            return 0
        free = parse_quantity(allocatable[name])
        if name in allocated:
            free -= parse_quantity(allocated[name])
        if name in allocating:
            free -= parse_quantity(allocating[name])
        if quantity_value(free) <= 0:
            return 0
        if name == _CPU:
            count = quantity_milli_value(free) // quantity_milli_value(value)
        else:
            count = quantity_value(free) // requested
        best = count if best is None else min(best, count)
    return MAX_INT32 if best is None else best


def _node_units(resources: Mapping[str, Any]) -> dict[str, int]:
    """A virtual node's capacity in scheduler units (``util.NewResource``)."""
    units: dict[str, int] = {}
    for name, value in resources.items():
        if name == _CPU:
            units[name] = units.get(name, 0) + quantity_milli_value(value)
        elif name in (_MEMORY, _PODS, _EPHEMERAL) or _is_scalar_resource(name):
            units[name] = units.get(name, 0) + quantity_value(value)
    return units


def _request_units(request: Mapping[str, Any]) -> dict[str, int]:
    """A replica's request in scheduler units, the resources a node's fit is bounded by."""
    units: dict[str, int] = {}
    for name, value in request.items():
        if name == _CPU:
            need = quantity_milli_value(value)
        elif name in (_MEMORY, _EPHEMERAL) or _is_scalar_resource(name):
            need = quantity_value(value)
        else:
            continue
        if need > 0:
            units[name] = need
    return units


def _per_node_fit(node: Mapping[str, int], need: Mapping[str, int]) -> int:
    """``Resource.MaxDivided``: replicas one node takes, bounded by its pod slots."""
    fit = node.get(_PODS, 0)
    for name, units in need.items():
        fit = min(fit, node.get(name, 0) // units)
    return fit


VirtualNodes = list[tuple[int, dict[str, int]]]  # (how many nodes, one node's capacity in units)
_VIRTUAL_NODES: PerObject[VirtualNodes | None] = PerObject()


def _virtual_nodes(models: Sequence[Mapping[str, Any]], modelings: Sequence[Mapping[str, Any]]) -> VirtualNodes | None:
    """The grades that have nodes, as virtual nodes of each grade's minimum capacities; None if a
    count is negative. Remembered per pair of lists (``memo.PerObject``)."""
    return _VIRTUAL_NODES.get((models, modelings), lambda: _build_virtual_nodes(models, modelings))


def _build_virtual_nodes(models: Sequence[Mapping[str, Any]], modelings: Sequence[Mapping[str, Any]]) -> VirtualNodes | None:
    ranges_by_grade = {int(model.get("grade", 0)): model.get("ranges") or () for model in models}
    count_by_grade: dict[int, int] = {}
    for modeling in modelings:
        count = int(modeling.get("count", 0))
        if count < 0:
            return None
        grade = int(modeling.get("grade", 0))
        count_by_grade[grade] = count_by_grade.get(grade, 0) + count
    nodes: VirtualNodes = []
    for grade, count in count_by_grade.items():
        if count > 0 and grade in ranges_by_grade:
            capacity = {r["name"]: r.get("min", 0) for r in ranges_by_grade[grade]}
            capacity[_PODS] = MAX_PODS_PER_NODE
            nodes.append((count, _node_units(capacity)))
    return nodes


def _model_count(cluster: Mapping[str, Any], need: Mapping[str, int]) -> int | None:
    """First-fit count over virtual nodes built from the resource models; None if not computable."""
    models = (cluster.get("spec") or {}).get("resourceModels") or []
    summary = (cluster.get("status") or {}).get("resourceSummary") or {}
    if not models:
        return None
    nodes = _virtual_nodes(models, summary.get("allocatableModelings") or [])
    if nodes is None:
        return None
    # Placing replicas one by one, first fit, fills node after node: the total is the sum of what
    # each node takes on its own, so only grades that have nodes need a virtual node.
    return min(sum(count * _per_node_fit(node, need) for count, node in nodes), MAX_INT32)


def general_estimate(cluster: Mapping[str, Any], replica_requirements: Mapping[str, Any] | None) -> int:
    """Replicas of one more pod template the cluster can take, from its resource summary."""
    request = (replica_requirements or {}).get("resourceRequest") or {}
    return _estimate(cluster, replica_requirements, request, _request_units(request))


def _estimate(cluster: Mapping[str, Any], replica_requirements: Mapping[str, Any] | None, request: Mapping[str, Any], need: Mapping[str, int]) -> int:
    summary = (cluster.get("status") or {}).get("resourceSummary")
    if summary is None:
        return 0
    maximum = _allowed_pods(summary)
    if maximum <= 0:
        return 0
    if replica_requirements is None:
        return min(maximum, MAX_INT32)
    if summary.get("allocatableModelings"):
        count = _model_count(cluster, need)
        if count is not None:
            return min(maximum, count, MAX_INT32)
    return min(maximum, _summary_count(summary, request), MAX_INT32)


# Estimates already made, by request: for a whole cluster list while its clusters are the same
# objects, and per cluster (its resource summary and models) for when one of them changed.
# Bindings of one template shape ask the same question of every cluster.
_ESTIMATES: PerClusters[list[int]] = PerClusters()
_CLUSTER_ESTIMATES: PerObject[dict[Hashable, int]] = PerObject()
_KNOWN_REQUESTS_PER_CLUSTER = 1024


def _request_key(requirements: Mapping[str, Any] | None, request: Mapping[str, Any]) -> Hashable | None:
    """What an estimate depends on in the binding; None when it cannot be a dict key."""
    if requirements is None:
        return ()
    key = ("request", *request.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def general_estimator(clusters: Sequence[Mapping[str, Any]], spec: Mapping[str, Any]) -> list[int]:
    requirements = spec.get("replicaRequirements")
    request = (requirements or {}).get("resourceRequest") or {}
    need = _request_units(request)  # once per binding, not once per cluster
    key = _request_key(requirements, request)
    if key is None:
        return [_estimate(c, requirements, request, need) for c in clusters]

    def per_cluster() -> list[int]:
        estimates = []
        for cluster in clusters:
            parts = ((cluster.get("status") or {}).get("resourceSummary"), (cluster.get("spec") or {}).get("resourceModels"))
            known = _CLUSTER_ESTIMATES.get(parts, dict)
            value = known.get(key)
            if value is None:
                if len(known) >= _KNOWN_REQUESTS_PER_CLUSTER:
                    known.clear()
                value = known[key] = _estimate(cluster, requirements, request, need)
            estimates.append(value)
        return estimates

    return list(_ESTIMATES.get(key, clusters, per_cluster))


def estimate_available(
    clusters: Sequence[Mapping[str, Any]],
    spec: Mapping[str, Any],
    estimators: Sequence[Estimator] = (general_estimator,),
) -> list[int]:
    """Per cluster: the minimum valid estimate; ``MAX_INT32`` for non-workloads; values nobody
    bounded become ``spec.replicas`` (upstream ``calAvailableReplicas``)."""
    result = [MAX_INT32] * len(clusters)
    replicas = spec.get("replicas") or 0
    if replicas == 0 and not spec.get("components"):
        return result
    for estimator in estimators:
        answer = estimator(clusters, spec)
        if answer is None:
            continue
        for i, value in enumerate(answer):
            if value != UNKNOWN and value < result[i]:
                result[i] = value
    return [replicas if v == MAX_INT32 else v for v in result]


def answers_estimator(answers: Mapping[str, int]) -> Estimator:
    """An estimator giving answers fetched beforehand (the scheduler-estimators' per cluster;
    clusters missing from ``answers`` are unknown)."""

    def estimator(clusters: Sequence[Mapping[str, Any]], _spec: Mapping[str, Any]) -> list[int]:
        return [answers.get((c.get("metadata") or {}).get("name"), UNKNOWN) for c in clusters]

    return estimator
