"""General estimator (behaviour.md 2.5): summary path, resource-model path, merging estimators."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.controllers.scheduler.estimation import MAX_INT32, UNKNOWN, estimate_available, general_estimate, general_estimator
from tests.unit.scheduler.builders import binding_spec, cluster

INF = "9223372036854775807"
CPU_BOUNDS = ["0", "1", "2", "4", "8", "16", "32", "64", "128"]
MEM_BOUNDS = ["0", "4Gi", "16Gi", "32Gi", "64Gi", "128Gi", "256Gi", "512Gi", "1024Gi"]


def default_models() -> list[dict[str, Any]]:
    """The nine grades the API server gives a new Cluster."""
    models = []
    for g in range(9):
        upper = (lambda b: b[g + 1] if g < 8 else INF)
        models.append(
            {
                "grade": g,
                "ranges": [
                    {"name": "cpu", "min": CPU_BOUNDS[g], "max": upper(CPU_BOUNDS)},
                    {"name": "memory", "min": MEM_BOUNDS[g], "max": upper(MEM_BOUNDS)},
                ],
            }
        )
    return models


SUMMARY = {
    "allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"},
    "allocated": {"cpu": "2", "memory": "4Gi", "pods": "20"},
}
MODELINGS = [{"grade": 0, "count": 1}, {"grade": 1, "count": 1}, {"grade": 3, "count": 1}]
REQUEST = {"resourceRequest": {"cpu": "500m", "memory": "1Gi"}}


def with_summary(summary: dict[str, Any] | None, models: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    c = cluster("m1", summary=summary, models=models)
    if summary is None:
        c["status"].pop("resourceSummary", None)
    return c


@pytest.mark.parametrize(
    ("summary", "models", "requirements", "expected"),
    [
        (SUMMARY, None, REQUEST, 12),
        ({**SUMMARY, "allocatableModelings": MODELINGS}, default_models(), REQUEST, 10),
        ({**SUMMARY, "allocatableModelings": MODELINGS}, default_models(), {"resourceRequest": {"cpu": "500m", "nvidia.com/gpu": "1"}}, 0),
        ({**SUMMARY, "allocatableModelings": MODELINGS}, default_models(), {"resourceRequest": {"ephemeral-storage": "1Gi"}}, 0),
        ({**SUMMARY, "allocatableModelings": MODELINGS}, default_models(), {"resourceRequest": {}}, 90),
        ({**SUMMARY, "allocatableModelings": MODELINGS}, [], REQUEST, 12),
        ({**SUMMARY, "allocatableModelings": [{"grade": 1, "count": -1}]}, default_models(), REQUEST, 12),
        ({**SUMMARY, "allocatableModelings": [{"grade": 8, "count": 2}]}, default_models(), REQUEST, 90),
        (SUMMARY, None, None, 90),
        (None, None, REQUEST, 0),
        ({"allocatable": {"pods": "10"}, "allocated": {"pods": "10"}}, None, None, 0),
        ({"allocatable": {"pods": "10"}, "allocating": {"pods": "15"}}, None, None, 0),
        (SUMMARY, None, {"resourceRequest": {"nvidia.com/gpu": "1"}}, 0),
        ({**SUMMARY, "allocated": {"cpu": "8", "pods": "20"}}, None, REQUEST, 0),
        (SUMMARY, None, {"resourceRequest": {"cpu": "0", "memory": "1Gi"}}, 12),
        (SUMMARY, None, {"resourceRequest": {"cpu": "300m"}}, 20),
        ({"allocatable": {"cpu": "1", "pods": "110"}, "allocating": {"cpu": "100m"}}, None, {"resourceRequest": {"cpu": "300m"}}, 3),
    ],
    ids=[
        "summary-example",
        "default-models-example",
        "models-unknown-extended-resource",
        "models-ephemeral-storage",
        "models-empty-request-pod-bound",
        "models-without-spec-falls-back",
        "negative-count-falls-back",
        "models-capped-by-allowed-pods",
        "no-requirements-allowed-pods",
        "no-summary",
        "pods-exhausted",
        "allocating-beyond-allocatable",
        "summary-resource-not-allocatable",
        "summary-resource-exhausted",
        "zero-request-skipped",
        "cpu-in-millicores",
        "allocating-subtracted",
    ],
)
def test_general_estimate(summary: dict | None, models: list | None, requirements: dict | None, expected: int) -> None:
    assert general_estimate(with_summary(summary, models), requirements) == expected


def test_estimate_available_non_workload_is_unbounded() -> None:
    clusters = [cluster("m1", pods=1), cluster("m2", pods=0)]
    assert estimate_available(clusters, binding_spec(replicas=0)) == [MAX_INT32, MAX_INT32]


def test_estimate_available_takes_the_minimum_valid_answer() -> None:
    clusters = [cluster("m1", pods=10), cluster("m2", pods=10), cluster("m3", pods=10)]
    spec = binding_spec(replicas=4)

    def accurate(cs: list[dict[str, Any]], _spec: dict[str, Any]) -> list[int]:
        return [3, UNKNOWN, 50]

    def broken(cs: list[dict[str, Any]], _spec: dict[str, Any]) -> None:
        return None

    assert estimate_available(clusters, spec, (general_estimator, accurate, broken)) == [3, 10, 10]


def test_unbounded_estimates_become_spec_replicas() -> None:
    def unbounded(cs: list[dict[str, Any]], _spec: dict[str, Any]) -> list[int]:
        return [MAX_INT32 for _ in cs]

    assert estimate_available([cluster("m1")], binding_spec(replicas=7), (unbounded,)) == [7]
