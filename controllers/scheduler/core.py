"""The scheduling pipeline as pure functions: filter, score, select, assign (behaviour.md 2.2-2.9).

``schedule`` runs one attempt and raises a :class:`SchedulingError` subclass on failure.
``schedule_binding`` is the entry point the controller uses: it walks ``clusterAffinities`` term
by term and turns the outcome into what must be written (``spec.clusters``, the ``Scheduled``
condition, the observed affinity name), without doing any I/O itself.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykarmada.controllers.scheduler import spec as specs
from pykarmada.controllers.scheduler.assignment import assign_replicas, to_target_clusters
from pykarmada.controllers.scheduler.estimation import Estimator, estimate_available, general_estimator
from pykarmada.controllers.scheduler.framework import (
    BindingContext,
    ClusterDetail,
    Code,
    FitError,
    Result,
    SchedulingError,
    TargetCluster,
)
from pykarmada.controllers.scheduler.memo import PerClusters, shape_key
from pykarmada.controllers.scheduler.plugins import DEFAULT_PLUGINS, Plugins
from pykarmada.controllers.scheduler.spread import overflow_order, select_best_clusters
from pykarmada.karmada import constants as C
from pykarmada.karmada.metrics import STEP_ASSIGN_REPLICAS, STEP_FILTER, STEP_SCORE, STEP_SELECT, schedule_step

__all__ = [
    "ScheduleOutcome",
    "schedule",
    "schedule_binding",
    "find_feasible_clusters",
    "applied_placement_annotation",
    "success_event_message",
]


# find_feasible_clusters' answers by binding shape: the bindings of one policy have one shape, and
# an answer holds while the clusters are the same objects.
_FEASIBLE: PerClusters[tuple[list[Mapping[str, Any]], dict[str, Result]]] = PerClusters()


def _filter_shape(ctx: BindingContext, plugins: Plugins) -> Hashable | None:
    """Every value the in-tree filters read from the context (a filter that reads another must be
    added here)."""
    selected = shape_key(ctx.affinities, ctx.tolerations)
    if selected is None:
        return None
    return (plugins, ctx.group_version, ctx.kind, ctx.target_names, ctx.evicting, ctx.spread_fields, selected)


def find_feasible_clusters(
    ctx: BindingContext, clusters: Sequence[Mapping[str, Any]], plugins: Plugins = DEFAULT_PLUGINS
) -> tuple[list[Mapping[str, Any]], dict[str, Result]]:
    """Run the filters; deleting clusters are skipped without a reason. The first failing filter
    gives a cluster's reason. Remembered per binding shape while the clusters stay the same."""
    feasible, diagnosis = _FEASIBLE.get(_filter_shape(ctx, plugins), clusters, lambda: _run_filters(ctx, clusters, plugins))
    return list(feasible), dict(diagnosis)


def _run_filters(
    ctx: BindingContext, clusters: Sequence[Mapping[str, Any]], plugins: Plugins
) -> tuple[list[Mapping[str, Any]], dict[str, Result]]:
    feasible: list[Mapping[str, Any]] = []
    diagnosis: dict[str, Result] = {}
    for cluster in clusters:
        metadata = cluster.get("metadata") or {}
        if metadata.get("deletionTimestamp"):
            continue
        for plugin in plugins.filters:
            result = plugin.filter(ctx, cluster)
            if result.code is not Code.SUCCESS:
                diagnosis[metadata.get("name")] = result
                break
        else:
            feasible.append(cluster)
    return feasible, diagnosis


def _cluster_details(
    ctx: BindingContext,
    feasible: Sequence[Mapping[str, Any]],
    plugins: Plugins,
    estimators: Sequence[Estimator],
) -> list[ClusterDetail]:
    estimates = estimate_available(feasible, ctx.spec, estimators)
    placement, scores = ctx.placement, plugins.scores
    assigned = specs.assigned_replicas(ctx.spec)
    details = []
    for cluster, estimate in zip(feasible, estimates):
        name = cluster["metadata"]["name"]
        score = 0
        for plugin in scores:
            score += plugin.score(ctx, cluster)
        details.append(
            ClusterDetail(
                name=name,
                cluster=cluster,
                score=score,
                overflow_order=overflow_order(cluster, placement, ctx.observed_affinity_name),
                available=estimate + assigned.get(name, 0),
                allocatable=estimate,
            )
        )
    details.sort(key=ClusterDetail.sort_key)
    return details


def schedule(
    spec: Mapping[str, Any],
    clusters: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any] | None = None,
    *,
    affinity_name: str | None = None,
    plugins: Plugins = DEFAULT_PLUGINS,
    estimators: Sequence[Estimator] = (general_estimator,),
    enable_empty_workload_propagation: bool = False,
    capacity: dict[str, int] | None = None,
) -> list[TargetCluster]:
    """One scheduling attempt (upstream ``genericScheduler.Schedule``).

    ``affinity_name`` overrides ``status.schedulerObservingAffinityName`` (the clusterAffinities
    term under trial). Returns the new ``spec.clusters``; raises :class:`FitError`,
    :class:`UnschedulableError` or :class:`SchedulingError`. ``capacity``, when given, receives
    each feasible cluster's estimated capacity for this workload (free replicas plus those it
    already holds) for workloads with replicas.
    """
    status = status or {}
    ctx = BindingContext.build(spec, status, affinity_name=affinity_name)
    with schedule_step(STEP_FILTER):
        feasible, diagnosis = find_feasible_clusters(ctx, clusters, plugins)
    if not feasible:
        raise FitError(len(clusters), diagnosis)

    with schedule_step(STEP_SCORE):
        details = _cluster_details(ctx, feasible, plugins, estimators)
    if capacity is not None and (spec.get("replicas") or 0) > 0:
        capacity.update((d.name, d.available) for d in details)
    try:
        with schedule_step(STEP_SELECT):
            selected = select_best_clusters(ctx.placement, details, spec.get("replicas") or 0, spec)
    except SchedulingError as exc:
        raise exc.wrapped("failed to select clusters: ") from exc

    try:
        with schedule_step(STEP_ASSIGN_REPLICAS):
            assignment = assign_replicas(
                selected, spec, observed_affinity_name=ctx.observed_affinity_name, fresh=specs.reschedule_required(spec, status)
            )
    except SchedulingError as exc:
        raise exc.wrapped("failed to assign replicas: ") from exc

    if enable_empty_workload_propagation:
        placed = {name for name, _ in assignment}
        assignment = assignment + [(c.name, 0) for c in selected if c.name not in placed]
    return to_target_clusters(assignment)


@dataclass(frozen=True, slots=True)
class ScheduleOutcome:
    """What the controller must write after scheduling a binding.

    * ``clusters``: the new ``spec.clusters`` (``[]`` on NoClusterFit), or None to leave it as is.
    * ``affinity_name``: new ``status.schedulerObservingAffinityName``, or None to leave it.
    * ``condition``: the ``Scheduled`` condition (type, status, reason, message).
    * ``retry``: the error is to be retried (the binding goes back to the queue).
    * ``failed_attempts``: one message per failed clusterAffinities term, for
      ``ScheduleBindingFailed`` events.
    """

    clusters: list[TargetCluster] | None
    condition: dict[str, str]
    retry: bool
    affinity_name: str | None = None
    error: SchedulingError | None = None
    failed_attempts: list[str] = field(default_factory=list)
    capacity: dict[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.error is None


def _condition(status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": C.CONDITION_SCHEDULED, "status": status, "reason": reason, "message": message}


def _success(
    clusters: list[TargetCluster] | None, affinity_name: str | None = None, attempts: list[str] | None = None, capacity: dict[str, int] | None = None
) -> ScheduleOutcome:
    condition = _condition("True", C.BINDING_REASON_SUCCESS, C.SCHEDULE_SUCCESS_MESSAGE)
    return ScheduleOutcome(
        clusters=clusters, condition=condition, retry=False, affinity_name=affinity_name, failed_attempts=attempts or [], capacity=capacity or {}
    )


def _failure(error: SchedulingError, attempts: list[str]) -> ScheduleOutcome:
    fit = isinstance(error, FitError)
    return ScheduleOutcome(
        clusters=[] if fit else None,
        condition=_condition("False", error.condition_reason, error.message),
        retry=not fit,
        error=error,
        failed_attempts=attempts,
    )


def schedule_binding(
    spec: Mapping[str, Any],
    clusters: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any] | None = None,
    *,
    binding_ref: str = "ResourceBinding",
    plugins: Plugins = DEFAULT_PLUGINS,
    estimators: Sequence[Estimator] = (general_estimator,),
    enable_empty_workload_propagation: bool = False,
) -> ScheduleOutcome:
    """Schedule a binding, trying ``clusterAffinities`` terms in order (behaviour.md 2.4).

    ``binding_ref`` names the binding in per-term messages, e.g. ``ResourceBinding(ns/name)`` or
    ``ClusterResourceBinding(name)``. A FitError empties ``spec.clusters`` and is not retried; for
    clusterAffinities that happens only when the *first* tried term failed with a FitError.
    """
    status = status or {}
    placement = spec.get("placement") or {}
    options = {"plugins": plugins, "estimators": estimators, "enable_empty_workload_propagation": enable_empty_workload_propagation}
    terms = placement.get("clusterAffinities")
    if terms is None:
        capacity: dict[str, int] = {}
        try:
            result = schedule(spec, clusters, status, capacity=capacity, **options)
        except SchedulingError as exc:
            return _failure(exc, [])
        return _success(result, capacity=capacity)

    observed = status.get("schedulerObservingAffinityName") or ""
    index = next((i for i, t in enumerate(terms) if observed and t.get("affinityName") == observed), 0)
    if specs.reschedule_required(spec, status):
        index = 0
    first_error: SchedulingError | None = None
    attempts: list[str] = []
    while index < len(terms):
        name = terms[index].get("affinityName") or ""
        capacity = {}
        try:
            result = schedule(spec, clusters, status, affinity_name=name, capacity=capacity, **options)
        except SchedulingError as exc:
            first_error = first_error or exc
            attempts.append(f"failed to schedule {binding_ref} with clusterAffiliates index({index}): {exc.message}")
            index += 1
            continue
        return _success(result, name, attempts, capacity)
    if first_error is None:
        # An empty clusterAffinities list: upstream tries nothing and reports success without
        # touching spec.clusters.
        return _success(None)
    return _failure(first_error, attempts)


def applied_placement_annotation(placement: Mapping[str, Any]) -> str:
    """Value of ``policy.karmada.io/applied-placement``: the placement as compact JSON."""
    return json.dumps(placement, separators=(",", ":"), ensure_ascii=False)


def success_event_message(clusters: Sequence[Mapping[str, Any]], *, cluster_scoped: bool = False) -> str:
    """``ScheduleBindingSucceed`` text; upstream omits the colon for ClusterResourceBindings."""
    result = ", ".join(f"{c['name']}:{c.get('replicas') or 0}" for c in clusters)
    label = "Result" if cluster_scoped else "Result:"
    return f"{C.SCHEDULE_SUCCESS_MESSAGE} {label} {{{result}}}"
