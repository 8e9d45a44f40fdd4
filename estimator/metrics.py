"""The estimator's metrics, under upstream's names (``pkg/estimator/server/metrics``)."""

from __future__ import annotations

from pykarmada.kube.metrics import RESULT_ERROR, RESULT_SUCCESS, counter, exponential_buckets, histogram

TYPE_MAX_AVAILABLE_REPLICAS = "MaxAvailableReplicas"
TYPE_GET_UNSCHEDULABLE_REPLICAS = "GetUnschedulableReplicas"
STEP_TOTAL = "Total"
STEP_MAX_AVAILABLE_REPLICAS = "MaxAvailableReplicas"
STEP_GET_OBJECT_FROM_CACHE = "GetObjectFromCache"
STEP_GET_UNSCHEDULABLE_PODS = "GetWorkloadUnschedulablePods"

REQUESTS = counter(
    "karmada_scheduler_estimator_estimating_request_total", "Number of scheduler estimator requests", ["result", "type"]
)
ALGORITHM_LATENCY = histogram(
    "karmada_scheduler_estimator_estimating_algorithm_duration_seconds",
    "Estimating algorithm latency in seconds for each step",
    ["result", "type", "step"],
    exponential_buckets(0.001, 2, 10),
)
for _type in (TYPE_MAX_AVAILABLE_REPLICAS, TYPE_GET_UNSCHEDULABLE_REPLICAS):
    for _result in (RESULT_SUCCESS, RESULT_ERROR):
        REQUESTS.labels(_result, _type)


def observe(type_: str, step: str, seconds: float, *, failed: bool) -> None:
    """One step of one request; the ``Total`` step also counts the request."""
    result = RESULT_ERROR if failed else RESULT_SUCCESS
    ALGORITHM_LATENCY.labels(result, type_, step).observe(seconds)
    if step == STEP_TOTAL:
        REQUESTS.labels(result, type_).inc()
