"""Graceful eviction tasks on a binding's ``spec.gracefulEvictionTasks`` (behaviour.md 3, 6.3).

A producer (the taint manager; application failover, preemption and WorkloadRebalancer reuse this)
takes a cluster out of ``spec.clusters`` and leaves a task naming it, so that the binding
controller keeps the old Work there while the scheduler places the replicas elsewhere. The
graceful eviction controller removes the task once the new placement is healthy or its grace
period is over, and the old Work goes with it.

Purge modes: ``Directly`` tasks protect nothing (the old Work is deleted at once and new Works wait
for it, behaviour.md 3 step 3); ``Gracefully`` tasks keep the old Work until the task is removed;
``Never`` tasks come with ``suppressDeletion: true`` from their producer and are kept until a user
sets it to false. All functions are pure and leave their inputs unchanged.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.taints import matching_tolerations, no_execute_taints, toleration_seconds_left
from pykarmada.kube.jsonpath import JSONPathError, render

Obj = dict[str, Any]

PRODUCER_TAINT_MANAGER = "TaintManager"
REASON_TAINT_UNTOLERATED = "TaintUntolerated"
REASON_APPLICATION_FAILURE = "ApplicationFailure"
UNHEALTHY = "Unhealthy"
UNKNOWN = "Unknown"
DEFAULT_APPLICATION_TOLERATION_SECONDS = 300
DEFAULT_GRACEFUL_EVICTION_TIMEOUT = 600.0  # --graceful-eviction-timeout, 10m
HEALTHY = "Healthy"


def _rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def target_contains(spec: Mapping[str, Any], cluster: str) -> bool:
    return any(t.get("name") == cluster for t in spec.get("clusters") or ())


def evicting_clusters(spec: Mapping[str, Any]) -> set[str]:
    """Clusters named by a task (``ClusterInGracefulEvictionTasks``)."""
    return {t.get("fromCluster") or "" for t in spec.get("gracefulEvictionTasks") or ()}


@dataclass(frozen=True)
class TaskOptions:
    """What a producer says about its task (upstream's ``TaskOptions``)."""

    producer: str
    reason: str
    purge_mode: str = C.PURGE_MODE_GRACEFULLY
    message: str = ""
    grace_period_seconds: int | None = None
    suppress_deletion: bool | None = None
    preserved_label_state: Mapping[str, str] | None = None
    clusters_before_failover: Sequence[str] | None = None


def graceful_evict_cluster(spec: Mapping[str, Any], cluster: str, options: TaskOptions) -> Obj:
    """``GracefulEvictCluster``: ``spec`` without ``cluster`` in ``clusters`` and with a task for
    it (unless one exists). A cluster not targeted leaves the spec as it is."""
    out = copy.deepcopy(dict(spec))
    clusters = out.get("clusters") or []
    evicted = next((t for t in clusters if t.get("name") == cluster), None)
    if evicted is None:
        return out
    out["clusters"] = [t for t in clusters if t is not evicted]
    if cluster in evicting_clusters(out):
        return out
    task: Obj = {"fromCluster": cluster, "purgeMode": options.purge_mode}
    if evicted.get("replicas"):
        task["replicas"] = evicted["replicas"]
    task["reason"] = options.reason
    if options.message:
        task["message"] = options.message
    task["producer"] = options.producer
    if options.grace_period_seconds is not None:
        task["gracePeriodSeconds"] = options.grace_period_seconds
    if options.suppress_deletion is not None:
        task["suppressDeletion"] = options.suppress_deletion
    if options.preserved_label_state:
        task["preservedLabelState"] = dict(options.preserved_label_state)
    if options.clusters_before_failover:
        task["clustersBeforeFailover"] = list(options.clusters_before_failover)
    out["gracefulEvictionTasks"] = [*(out.get("gracefulEvictionTasks") or []), task]
    return out


def all_targets_healthy(clusters: Iterable[Mapping[str, Any]], aggregated: Iterable[Mapping[str, Any]]) -> bool:
    """Every target cluster has an aggregated status item whose health is ``Healthy``."""
    health = {item.get("clusterName"): item.get("health") for item in aggregated}
    return all(health.get(t.get("name")) == HEALTHY for t in clusters)


def _timeout(task: Mapping[str, Any], default: float) -> float:
    seconds = task.get("gracePeriodSeconds")
    return float(seconds) if seconds is not None else default


def assess_tasks(
    tasks: Sequence[Mapping[str, Any]], now: datetime, *, timeout: float, binding: Mapping[str, Any]
) -> tuple[list[Obj], list[str]]:
    """The tasks to keep and the clusters whose task ends (upstream's ``assessEvictionTasks``).

    A task without ``creationTimestamp`` gets ``now`` and is kept. ``suppressDeletion`` true keeps
    it, false ends it. Otherwise it ends when its grace period (``gracePeriodSeconds``, else
    ``timeout``) is over, or when the binding is scheduled at its generation and every target
    cluster is Healthy in ``status.aggregatedStatus``."""
    spec, status = binding.get("spec") or {}, binding.get("status") or {}
    scheduled = status.get("schedulerObservedGeneration") == (binding.get("metadata") or {}).get("generation")
    healthy = scheduled and all_targets_healthy(spec.get("clusters") or (), status.get("aggregatedStatus") or ())
    kept: list[Obj] = []
    ended: list[str] = []
    for task in tasks:
        task = dict(task)
        if not task.get("creationTimestamp"):
            task["creationTimestamp"] = _rfc3339(now)
            kept.append(task)
            continue
        if task.get("suppressDeletion") is not None:
            keep = bool(task["suppressDeletion"])
        else:
            keep = now.timestamp() <= _time(task["creationTimestamp"]) + _timeout(task, timeout) and not healthy
        if keep:
            kept.append(task)
        else:
            ended.append(task.get("fromCluster") or "")
    return kept, ended


def next_check(tasks: Iterable[Mapping[str, Any]], now: datetime, *, timeout: float) -> float | None:
    """Seconds until the first grace period ends (``nextRetry``; at least a tenth of a second),
    None when no task has one (tasks with ``suppressDeletion`` wait for the user; health changes
    arrive as binding updates)."""
    waits = [
        _time(t["creationTimestamp"]) + _timeout(t, timeout) - now.timestamp()
        for t in tasks
        if t.get("suppressDeletion") is None and t.get("creationTimestamp")
    ]
    return max(min(waits), 0.1) if waits else None


def taint_eviction_purge_mode(spec: Mapping[str, Any], flag_default: str) -> str:
    """The taint manager's purge mode (``getPurgeMode``): the binding's ``failover.cluster``
    (Gracefully when empty), else ``--no-execute-taint-eviction-purge-mode`` (Directly, or
    Gracefully for any other value)."""
    cluster = (spec.get("failover") or {}).get("cluster")
    if cluster is not None:
        return cluster.get("purgeMode") or C.PURGE_MODE_GRACEFULLY
    return C.PURGE_MODE_DIRECTLY if flag_default == C.PURGE_MODE_DIRECTLY else C.PURGE_MODE_GRACEFULLY


class NoAppliedPlacement(ValueError):
    """The binding has no readable ``policy.karmada.io/applied-placement`` annotation."""


def applied_tolerations(binding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``clusterTolerations`` of the placement the scheduler last applied (the taint manager
    judges a binding by what it was scheduled with)."""
    raw = ((binding.get("metadata") or {}).get("annotations") or {}).get(C.APPLIED_PLACEMENT_ANNOTATION)
    if not raw:
        raise NoAppliedPlacement("the applied placement for ResourceBinding can not be empty")
    try:
        placement = json.loads(raw)
    except ValueError as e:
        raise NoAppliedPlacement(f"the applied placement annotation is not JSON: {e}") from None
    if not isinstance(placement, dict):
        raise NoAppliedPlacement("the applied placement annotation is not an object")
    return list(placement.get("clusterTolerations") or ())


def no_execute_eviction_delay(
    taints: Iterable[Mapping[str, Any]] | None, tolerations: Iterable[Mapping[str, Any]] | None, now: datetime
) -> float:
    """When a binding must leave a cluster with these taints: ``0`` now (a NoExecute taint is not
    tolerated, or a tolerationSeconds ran out), ``s > 0`` in s seconds, ``-1`` never."""
    taints = no_execute_taints(taints)
    if not taints:
        return -1
    tolerated, used = matching_tolerations(taints, tolerations)
    if not tolerated:
        return 0
    return toleration_seconds_left(taints, used, now)


def application_failover(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The binding's ``failover.application`` (None when it has none)."""
    application = (spec.get("failover") or {}).get("application")
    return application if isinstance(application, Mapping) else None


def split_by_health(aggregated: Iterable[Mapping[str, Any]], spec: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Clusters whose application is Unhealthy and not already being evicted, and those whose
    application is Healthy or Unknown (upstream's ``distinguishUnhealthyClustersWithOthers``)."""
    evicting = evicting_clusters(spec)
    unhealthy, others = [], []
    for item in aggregated:
        cluster, health = item.get("clusterName") or "", item.get("health")
        if health == UNHEALTHY and cluster not in evicting:
            unhealthy.append(cluster)
        elif health in (HEALTHY, UNKNOWN):
            others.append(cluster)
    return unhealthy, others


class GracefulEvictionDisabled(ValueError):
    """purgeMode Gracefully needs gate GracefulEviction."""


class StateNotPreserved(ValueError):
    """``statePreservation`` rules could not be evaluated on the status from the failed cluster."""


def preserved_label_state(state_preservation: Mapping[str, Any] | None, aggregated: Iterable[Mapping[str, Any]], cluster: str) -> dict[str, str] | None:
    """``BuildPreservedLabelState`` for ``cluster``: each rule's ``jsonPath`` evaluated on the status
    collected from that cluster, under its ``aliasLabelName``. None without rules; a status not yet
    collected, or a path that finds nothing, raises ``StateNotPreserved`` (no eviction then)."""
    rules = (state_preservation or {}).get("rules") or []
    if not rules:
        return None
    item = next((i for i in aggregated if i.get("clusterName") == cluster), None)
    if item is None or item.get("status") is None:
        raise StateNotPreserved(f"the application status has not yet been collected from Cluster({cluster})")
    state: dict[str, str] = {}
    for rule in rules:
        try:
            state[rule.get("aliasLabelName") or ""] = render(rule.get("jsonPath") or "", item["status"])
        except JSONPathError as e:
            raise StateNotPreserved(f"failed to execute jsonpath {rule.get('jsonPath')!r}: {e}") from None
    return state


def application_task_options(
    application: Mapping[str, Any], producer: str, *, graceful_eviction: bool,
    preserved: Mapping[str, str] | None = None, clusters_before_failover: Sequence[str] = (),
) -> TaskOptions:  # fmt: skip
    """The task an application failover leaves (``buildTaskOptions``): reason ApplicationFailure,
    the policy's purge mode, its grace period for Gracefully (which needs gate GracefulEviction),
    ``suppressDeletion: true`` for Never; with a preserved label state (gate
    StatefulFailoverInjection), the clusters targeted before the failover."""
    mode = application.get("purgeMode") or C.PURGE_MODE_GRACEFULLY
    grace, suppress = None, None
    if mode == C.PURGE_MODE_GRACEFULLY:
        if not graceful_eviction:
            raise GracefulEvictionDisabled(f"GracefulEviction featureGate must be enabled when purgeMode is {mode}")
        grace = application.get("gracePeriodSeconds")
    elif mode == C.PURGE_MODE_NEVER:
        suppress = True
    return TaskOptions(
        producer, REASON_APPLICATION_FAILURE, purge_mode=mode, grace_period_seconds=grace, suppress_deletion=suppress,
        preserved_label_state=preserved, clusters_before_failover=tuple(clusters_before_failover) if preserved is not None else None,
    )  # fmt: skip


def failover_labels(spec: Mapping[str, Any], cluster: str, clusters_count: int) -> Mapping[str, str]:
    """The labels ``injectReservedLabelState`` puts on the workload for ``cluster``: the last
    task's preserved state, when the workload runs in one cluster only, that task purged
    Directly, and ``cluster`` is not one it ran in before the failover."""
    tasks = spec.get("gracefulEvictionTasks") or []
    if clusters_count > 1 or not tasks:
        return {}
    last = tasks[-1]
    if last.get("purgeMode") != C.PURGE_MODE_DIRECTLY or cluster in (last.get("clustersBeforeFailover") or ()):
        return {}
    return dict(last.get("preservedLabelState") or {})


def toleration_seconds(application: Mapping[str, Any]) -> int:
    seconds = (application.get("decisionConditions") or {}).get("tolerationSeconds")
    return DEFAULT_APPLICATION_TOLERATION_SECONDS if seconds is None else int(seconds)


def detect_failure(
    unhealthy: Iterable[str], since: dict[str, float], now: float, toleration: float
) -> tuple[float | None, list[str]]:
    """``detectFailure``: start a timer (in ``since``, updated in place) for each newly unhealthy
    cluster; return the clusters unhealthy for longer than ``toleration`` and the seconds until
    the next one may be (None when none waits; at least a tenth of a second)."""
    wait: float | None = None
    due: list[str] = []
    for cluster in unhealthy:
        if cluster not in since:
            since[cluster] = now
            left = toleration
        else:
            left = since[cluster] + toleration - now
            if left < 0:
                due.append(cluster)
                continue
        wait = left if wait is None else min(wait, left)
    return (None if wait is None else max(wait, 0.1)), due
