"""Karmada's own metrics, under upstream's names and labels (``pkg/metrics``, the scheduler's
``karmada_scheduler_*``), so Karmada's dashboards work unchanged. Defined once in the default
registry beside the runtime metrics of ``pykarmada.kube.metrics``; the controllers observe them
where upstream does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pykarmada.kube.metrics import RESULT_ERROR, RESULT_SUCCESS, Family, counter, exponential_buckets, gauge, histogram
from pykarmada.kube.quantity import parse_quantity

MEMBER_CLUSTER = "member_cluster"  # upstream's label for a member cluster
DURATION_BUCKETS = exponential_buckets(0.001, 2, 12)
SCHEDULER_BUCKETS = exponential_buckets(0.001, 2, 15)

# ---- clusters (cluster status controller) -------------------------------------------------------

CLUSTER_READY = gauge("cluster_ready_state", "1 while the member cluster is Ready, else 0.", [MEMBER_CLUSTER])
CLUSTER_NODES = gauge("cluster_node_number", "Nodes of the member cluster.", [MEMBER_CLUSTER])
CLUSTER_READY_NODES = gauge("cluster_ready_node_number", "Ready nodes of the member cluster.", [MEMBER_CLUSTER])
CLUSTER_MEMORY_ALLOCATABLE = gauge("cluster_memory_allocatable_bytes", "Allocatable memory of the member cluster, in bytes.", [MEMBER_CLUSTER])
CLUSTER_CPU_ALLOCATABLE = gauge("cluster_cpu_allocatable_number", "Allocatable CPUs of the member cluster.", [MEMBER_CLUSTER])
CLUSTER_POD_ALLOCATABLE = gauge("cluster_pod_allocatable_number", "Pods the nodes of the member cluster can hold.", [MEMBER_CLUSTER])
CLUSTER_MEMORY_ALLOCATED = gauge("cluster_memory_allocated_bytes", "Memory requested by the pods of the member cluster, in bytes.", [MEMBER_CLUSTER])
CLUSTER_CPU_ALLOCATED = gauge("cluster_cpu_allocated_number", "CPUs requested by the pods of the member cluster.", [MEMBER_CLUSTER])
CLUSTER_POD_ALLOCATED = gauge("cluster_pod_allocated_number", "Pods placed on the member cluster.", [MEMBER_CLUSTER])
CLUSTER_SYNC_STATUS_DURATION = histogram(
    "cluster_sync_status_duration_seconds", "Seconds one collection of the member cluster's status took.", [MEMBER_CLUSTER]
)
_RESOURCE_GAUGES = (
    ("allocatable", "memory", CLUSTER_MEMORY_ALLOCATABLE),
    ("allocatable", "cpu", CLUSTER_CPU_ALLOCATABLE),
    ("allocatable", "pods", CLUSTER_POD_ALLOCATABLE),
    ("allocated", "memory", CLUSTER_MEMORY_ALLOCATED),
    ("allocated", "cpu", CLUSTER_CPU_ALLOCATED),
    ("allocated", "pods", CLUSTER_POD_ALLOCATED),
)
_CLUSTER_FAMILIES = (CLUSTER_READY, CLUSTER_NODES, CLUSTER_READY_NODES, CLUSTER_SYNC_STATUS_DURATION) + tuple(g for _, _, g in _RESOURCE_GAUGES)


def _quantity(value: Any) -> float:
    try:
        return float(parse_quantity(value))
    except (ValueError, TypeError):
        return 0.0


def record_cluster_status(name: str, status: Mapping[str, Any]) -> None:
    """The gauges of one member from the status just collected (summaries only when present)."""
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    CLUSTER_READY.labels(name).set(1 if ready else 0)
    if (nodes := status.get("nodeSummary")) is not None:
        CLUSTER_NODES.labels(name).set(nodes.get("totalNum") or 0)
        CLUSTER_READY_NODES.labels(name).set(nodes.get("readyNum") or 0)
    summary = status.get("resourceSummary") or {}
    for field, resource, family in _RESOURCE_GAUGES:
        if (amounts := summary.get(field)) is not None:
            family.labels(name).set(_quantity(amounts.get(resource, 0)))


def observe_cluster_sync(name: str, seconds: float) -> None:
    CLUSTER_SYNC_STATUS_DURATION.labels(name).observe(seconds)


def forget_cluster(name: str) -> None:
    """A cluster that is gone leaves no series behind."""
    for family in _CLUSTER_FAMILIES:
        family.remove(name)


# ---- taint manager eviction queues (pkg/metrics/cluster.go) --------------------------------------

EVICTION_QUEUE_DEPTH = gauge("eviction_queue_depth", "Current depth of the eviction queue", ["name"])
EVICTION_KIND_TOTAL = gauge("eviction_kind_total", "Number of resources in the eviction queue by resource kind", [MEMBER_CLUSTER, "resource_kind"])
EVICTION_PROCESSING_LATENCY = histogram(
    "eviction_processing_latency_seconds", "Latency of processing an eviction task in seconds", ["name"], SCHEDULER_BUCKETS
)
EVICTION_PROCESSING_TOTAL = counter("eviction_processing_total", "Total number of evictions processed", ["name", "result"])


def record_eviction_processed(queue: str, seconds: float, *, failed: bool) -> None:
    EVICTION_PROCESSING_LATENCY.labels(queue).observe(seconds)
    EVICTION_PROCESSING_TOTAL.labels(queue, RESULT_ERROR if failed else RESULT_SUCCESS).inc()


# ---- scheduler ----------------------------------------------------------------------------------

SCHEDULE_ATTEMPTS = counter(
    "karmada_scheduler_schedule_attempts_total", "Scheduling attempts of ResourceBindings and ClusterResourceBindings, by result and schedule type.",
    ["result", "schedule_type"],
)  # fmt: skip
E2E_SCHEDULING_DURATION = histogram(
    "karmada_scheduler_e2e_scheduling_duration_seconds", "Seconds from the start of a scheduling attempt to its result being written.",
    ["result", "schedule_type"], SCHEDULER_BUCKETS,
)  # fmt: skip
SCHEDULING_ALGORITHM_DURATION = histogram(
    "karmada_scheduler_scheduling_algorithm_duration_seconds", "Seconds spent in one step of the scheduling algorithm.",
    ["schedule_step"], SCHEDULER_BUCKETS,
)  # fmt: skip
QUEUE_INCOMING_BINDINGS = counter(
    "karmada_scheduler_queue_incoming_bindings_total", "Bindings put into the scheduling queue, by the event that put them there.", ["event"]
)

SCHEDULE_TYPE_RECONCILE, SCHEDULE_TYPE_SCALE = "ReconcileSchedule", "ScaleSchedule"
RESULT_SCHEDULED = "scheduled"
STEP_FILTER, STEP_SCORE, STEP_SELECT, STEP_ASSIGN_REPLICAS = "Filter", "Score", "Select", "AssignReplicas"
EVENT_BINDING_ADD, EVENT_BINDING_UPDATE = "BindingAdd", "BindingUpdate"
EVENT_SCHEDULE_ATTEMPT_FAILURE, EVENT_CLUSTER_CHANGED = "ScheduleAttemptFailure", "ClusterChanged"


def observe_schedule(schedule_type: str, seconds: float, *, failed: bool) -> None:
    result = RESULT_ERROR if failed else RESULT_SCHEDULED
    SCHEDULE_ATTEMPTS.labels(result, schedule_type).inc()
    E2E_SCHEDULING_DURATION.labels(result, schedule_type).observe(seconds)


class schedule_step:  # noqa: N801 - used as a function: ``with schedule_step(STEP_FILTER):``
    """Time one step of the algorithm, whether it succeeds or raises (a class: cheaper than a
    generator-based context manager on this path)."""

    __slots__ = ("series", "started")

    def __init__(self, step: str) -> None:
        self.series = SCHEDULING_ALGORITHM_DURATION.labels(step)
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self.series.observe(time.perf_counter() - self.started)


def count_incoming_binding(event: str) -> None:
    QUEUE_INCOMING_BINDINGS.labels(event).inc()


# ---- propagation: detector, binding, execution ------------------------------------------------

RESOURCE_MATCH_POLICY_DURATION = histogram(
    "resource_match_policy_duration_seconds", "Seconds to find the PropagationPolicy or ClusterPropagationPolicy matching a resource template.",
    buckets=DURATION_BUCKETS,
)  # fmt: skip
RESOURCE_APPLY_POLICY_DURATION = histogram(
    "resource_apply_policy_duration_seconds", "Seconds to apply a policy to a resource template, by result (success or error).",
    ["result"], DURATION_BUCKETS,
)  # fmt: skip
POLICY_APPLY_ATTEMPTS = counter("policy_apply_attempts_total", "Attempts to apply a policy to a resource template, by result (success or error).", ["result"])
POLICY_PREEMPTION = counter(
    "policy_preemption_total",
    "Preemptions of a resource template by another policy, by result ('error': the template could not be taken; else 'success').",
    ["result"],
)
BINDING_SYNC_WORK_DURATION = histogram(
    "binding_sync_work_duration_seconds", "Seconds to sync the Works of a ResourceBinding or ClusterResourceBinding, by result (success or error).",
    ["result"], DURATION_BUCKETS,
)  # fmt: skip
WORK_SYNC_WORKLOAD_DURATION = histogram(
    "work_sync_workload_duration_seconds", "Seconds to apply the workload of a Work to its member cluster, by result (success or error).",
    ["result"], DURATION_BUCKETS,
)  # fmt: skip


def count_policy_preemption(*, failed: bool) -> None:
    POLICY_PREEMPTION.labels(RESULT_ERROR if failed else RESULT_SUCCESS).inc()


def observe_match_policy(seconds: float) -> None:
    RESOURCE_MATCH_POLICY_DURATION.labels().observe(seconds)


def observe_result(family: Family, seconds: float, *, failed: bool, attempts: Family | None = None) -> None:
    """One attempt under ``result`` success or error; counted in ``attempts`` too when given."""
    result = RESULT_ERROR if failed else RESULT_SUCCESS
    family.labels(result).observe(seconds)
    if attempts is not None:
        attempts.labels(result).inc()


@contextmanager
def timed_result(family: Family, attempts: Family | None = None) -> Iterator[None]:
    """``observe_result`` for a block: an exception out of it is an error."""
    started, failed = time.perf_counter(), True
    try:
        yield
        failed = False
    finally:
        observe_result(family, time.perf_counter() - started, failed=failed, attempts=attempts)
