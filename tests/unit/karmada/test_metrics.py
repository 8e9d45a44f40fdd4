"""Karmada's own metrics: upstream's names and labels, values from a Cluster status, cleanup."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from pykarmada.karmada import metrics
from pykarmada.kube.metrics import exposition


def value(metric: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(metric, labels)


STATUS = {
    "conditions": [{"type": "Ready", "status": "True"}],
    "nodeSummary": {"totalNum": 3, "readyNum": 2},
    "resourceSummary": {
        "allocatable": {"cpu": "24", "memory": "96Gi", "pods": "330"},
        "allocated": {"cpu": "1500m", "memory": "512Mi", "pods": "4"},
    },
}


def test_cluster_gauges_follow_the_status_under_member_cluster() -> None:
    name = f"m-{uuid.uuid4().hex[:6]}"
    metrics.record_cluster_status(name, STATUS)
    metrics.observe_cluster_sync(name, 0.2)
    assert value("cluster_ready_state", member_cluster=name) == 1
    assert value("cluster_node_number", member_cluster=name) == 3
    assert value("cluster_ready_node_number", member_cluster=name) == 2
    assert value("cluster_cpu_allocatable_number", member_cluster=name) == 24
    assert value("cluster_memory_allocatable_bytes", member_cluster=name) == 96 * 2**30
    assert value("cluster_pod_allocatable_number", member_cluster=name) == 330
    assert value("cluster_cpu_allocated_number", member_cluster=name) == 1.5
    assert value("cluster_memory_allocated_bytes", member_cluster=name) == 512 * 2**20
    assert value("cluster_sync_status_duration_seconds_count", member_cluster=name) == 1
    metrics.record_cluster_status(name, {"conditions": [{"type": "Ready", "status": "False"}]})
    assert value("cluster_ready_state", member_cluster=name) == 0
    assert value("cluster_node_number", member_cluster=name) == 3, "no summary: the last one stays"


def test_a_forgotten_cluster_leaves_no_series() -> None:
    name = f"m-{uuid.uuid4().hex[:6]}"
    metrics.record_cluster_status(name, STATUS)
    metrics.observe_cluster_sync(name, 0.1)
    metrics.forget_cluster(name)
    metrics.forget_cluster(name)  # twice is fine
    assert f'member_cluster="{name}"' not in exposition().decode()


def test_scheduler_attempts_steps_and_incoming_bindings() -> None:
    before = value("karmada_scheduler_schedule_attempts_total", result="scheduled", schedule_type="ScaleSchedule") or 0
    metrics.observe_schedule(metrics.SCHEDULE_TYPE_SCALE, 0.003, failed=False)
    assert value("karmada_scheduler_schedule_attempts_total", result="scheduled", schedule_type="ScaleSchedule") == before + 1
    assert value("karmada_scheduler_e2e_scheduling_duration_seconds_bucket", result="scheduled", schedule_type="ScaleSchedule", le="0.004") >= 1
    steps = value("karmada_scheduler_scheduling_algorithm_duration_seconds_count", schedule_step="Filter") or 0
    with pytest.raises(RuntimeError):
        with metrics.schedule_step(metrics.STEP_FILTER):
            raise RuntimeError("a failing step is timed too")
    assert value("karmada_scheduler_scheduling_algorithm_duration_seconds_count", schedule_step="Filter") == steps + 1
    incoming = value("karmada_scheduler_queue_incoming_bindings_total", event="BindingAdd") or 0
    metrics.count_incoming_binding(metrics.EVENT_BINDING_ADD)
    assert value("karmada_scheduler_queue_incoming_bindings_total", event="BindingAdd") == incoming + 1


def test_timed_result_counts_success_and_error() -> None:
    ok = value("policy_apply_attempts_total", result="success") or 0
    failed = value("policy_apply_attempts_total", result="error") or 0
    with metrics.timed_result(metrics.RESOURCE_APPLY_POLICY_DURATION, metrics.POLICY_APPLY_ATTEMPTS):
        pass
    with pytest.raises(ValueError):
        with metrics.timed_result(metrics.RESOURCE_APPLY_POLICY_DURATION, metrics.POLICY_APPLY_ATTEMPTS):
            raise ValueError
    assert value("policy_apply_attempts_total", result="success") == ok + 1
    assert value("policy_apply_attempts_total", result="error") == failed + 1
    assert value("resource_apply_policy_duration_seconds_count", result="error") >= 1


def test_upstream_buckets() -> None:
    assert metrics.DURATION_BUCKETS[0] == 0.001 and len(metrics.DURATION_BUCKETS) == 12
    assert metrics.SCHEDULER_BUCKETS[-1] == pytest.approx(0.001 * 2**14)
