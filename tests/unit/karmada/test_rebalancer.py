"""WorkloadRebalancer decisions: tracked workloads, the one-time trigger, the TTL."""

from __future__ import annotations

from datetime import datetime, timezone

from pykarmada.karmada import rebalancer as R

A = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "a"}
B = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "b"}
C = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "c"}


def test_status_follows_the_spec_and_keeps_what_was_done() -> None:
    status = {"observedWorkloads": [{"workload": A, "result": "Successful"}, {"workload": B, "result": "Failed", "reason": "ReferencedBindingNotFound"}]}
    out = R.observed_workloads({"workloads": [C]}, status)
    assert out == [{"workload": A, "result": "Successful"}, {"workload": C}], "B left the spec and had failed: dropped"
    assert R.observed_workloads({"workloads": [B, A]}, {}) == [{"workload": A}, {"workload": B}]


def test_a_binding_is_triggered_once_per_rebalancer() -> None:
    created = "2026-01-01T00:00:10Z"
    assert R.needs_trigger(created, None)
    assert R.needs_trigger(created, "2026-01-01T00:00:09Z")
    assert not R.needs_trigger(created, created)
    assert not R.needs_trigger(created, "2026-01-01T00:00:11Z")


def test_seconds_left_of_the_ttl() -> None:
    now = datetime(2026, 1, 1, 0, 1, 0, tzinfo=timezone.utc)
    assert R.seconds_left("2026-01-01T00:00:30Z", 60, now) == 30
    assert R.seconds_left("2026-01-01T00:00:30Z", 0, now) == -30
