"""Graceful eviction tasks: how producers add them, when the controller removes them."""

from __future__ import annotations

from datetime import datetime, timezone

from pykarmada.karmada.eviction import (
    PRODUCER_TAINT_MANAGER,
    REASON_TAINT_UNTOLERATED,
    TaskOptions,
    assess_tasks,
    graceful_evict_cluster,
    next_check,
    taint_eviction_purge_mode,
)

NOW = datetime(2026, 1, 1, 0, 10, 0, tzinfo=timezone.utc)
OPTIONS = TaskOptions(PRODUCER_TAINT_MANAGER, REASON_TAINT_UNTOLERATED)


def _binding(tasks: list[dict], *, clusters: list[str], healthy: dict[str, str], scheduled: bool = True) -> dict:
    return {
        "metadata": {"generation": 3},
        "spec": {"clusters": [{"name": c, "replicas": 1} for c in clusters], "gracefulEvictionTasks": tasks},
        "status": {
            "schedulerObservedGeneration": 3 if scheduled else 2,
            "aggregatedStatus": [{"clusterName": c, "health": h} for c, h in healthy.items()],
        },
    }


def test_graceful_evict_moves_the_cluster_into_a_task() -> None:
    spec = {"clusters": [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 1}]}
    out = graceful_evict_cluster(spec, "m1", OPTIONS)
    assert out["clusters"] == [{"name": "m2", "replicas": 1}]
    assert out["gracefulEvictionTasks"] == [
        {"fromCluster": "m1", "purgeMode": "Gracefully", "replicas": 2, "reason": "TaintUntolerated", "producer": "TaintManager"}
    ]
    assert spec["clusters"][0]["name"] == "m1", "the input is unchanged"
    assert graceful_evict_cluster(spec, "m3", OPTIONS) == spec, "a cluster not targeted changes nothing"
    again = graceful_evict_cluster({**out, "clusters": [{"name": "m1"}, *out["clusters"]]}, "m1", OPTIONS)
    assert len(again["gracefulEvictionTasks"]) == 1, "one task per cluster"


def test_zero_replicas_leave_replicas_out() -> None:
    out = graceful_evict_cluster({"clusters": [{"name": "m1"}]}, "m1", TaskOptions("p", "R", suppress_deletion=True, grace_period_seconds=None))
    assert "replicas" not in out["gracefulEvictionTasks"][0] and out["gracefulEvictionTasks"][0]["suppressDeletion"] is True


def test_new_task_gets_a_creation_timestamp() -> None:
    kept, ended = assess_tasks([{"fromCluster": "m1"}], NOW, timeout=600, binding=_binding([], clusters=["m2"], healthy={"m2": "Healthy"}))
    assert kept == [{"fromCluster": "m1", "creationTimestamp": "2026-01-01T00:10:00Z"}] and ended == []


def test_task_ends_when_every_target_is_healthy_at_the_current_generation() -> None:
    task = {"fromCluster": "m1", "creationTimestamp": "2026-01-01T00:09:00Z"}
    healthy = _binding([task], clusters=["m2", "m3"], healthy={"m1": "Unhealthy", "m2": "Healthy", "m3": "Healthy"})
    assert assess_tasks([task], NOW, timeout=600, binding=healthy) == ([], ["m1"])
    one_unknown = _binding([task], clusters=["m2", "m3"], healthy={"m2": "Healthy", "m3": "Unknown"})
    assert assess_tasks([task], NOW, timeout=600, binding=one_unknown) == ([task], [])
    missing = _binding([task], clusters=["m2", "m3"], healthy={"m2": "Healthy"})
    assert assess_tasks([task], NOW, timeout=600, binding=missing) == ([task], [])
    stale = _binding([task], clusters=["m2"], healthy={"m2": "Healthy"}, scheduled=False)
    assert assess_tasks([task], NOW, timeout=600, binding=stale) == ([task], []), "not yet scheduled: status may be old"


def test_task_ends_after_its_grace_period() -> None:
    old = {"fromCluster": "m1", "creationTimestamp": "2026-01-01T00:00:00Z"}
    binding = _binding([old], clusters=["m2"], healthy={"m2": "Unhealthy"})
    assert assess_tasks([old], NOW, timeout=599, binding=binding) == ([], ["m1"])
    assert assess_tasks([old], NOW, timeout=600, binding=binding) == ([old], [])
    own = {**old, "gracePeriodSeconds": 30}
    assert assess_tasks([own], NOW, timeout=3600, binding=binding) == ([], ["m1"])


def test_suppress_deletion_wins() -> None:
    keep = {"fromCluster": "m1", "creationTimestamp": "2026-01-01T00:00:00Z", "suppressDeletion": True}
    drop = {"fromCluster": "m3", "creationTimestamp": "2026-01-01T00:09:59Z", "suppressDeletion": False}
    binding = _binding([keep, drop], clusters=["m2"], healthy={"m2": "Healthy"})
    assert assess_tasks([keep, drop], NOW, timeout=1, binding=binding) == ([keep], ["m3"])


def test_next_check_is_the_first_grace_period_end() -> None:
    tasks = [
        {"fromCluster": "a", "creationTimestamp": "2026-01-01T00:09:00Z"},
        {"fromCluster": "b", "creationTimestamp": "2026-01-01T00:09:00Z", "gracePeriodSeconds": 90},
        {"fromCluster": "c", "creationTimestamp": "2026-01-01T00:00:00Z", "suppressDeletion": True},
    ]
    assert next_check(tasks, NOW, timeout=600) == 30.0
    assert next_check(tasks[2:], NOW, timeout=600) is None


def test_purge_mode_of_taint_evictions() -> None:
    assert taint_eviction_purge_mode({"failover": {"cluster": {"purgeMode": "Directly"}}}, "Gracefully") == "Directly"
    assert taint_eviction_purge_mode({"failover": {"cluster": {}}}, "Directly") == "Gracefully"
    assert taint_eviction_purge_mode({}, "Directly") == "Directly"
    assert taint_eviction_purge_mode({"failover": {"application": {}}}, "Bogus") == "Gracefully"
