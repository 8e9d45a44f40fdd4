"""Replica interpretation (behaviour.md 5.5): replicas and per-replica requirements of the kinds the
native interpreter knows, canonical quantities, and revising one cluster's share."""

from __future__ import annotations

from typing import Any

import pytest

from pykarmada.karmada.replicas import format_resource, get_replicas, replica_requirements, revise_replicas


def workload(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "w", "namespace": "default"}, "spec": spec}


def pod_template(**pod_spec: Any) -> dict[str, Any]:
    return {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}], **pod_spec}}}


@pytest.mark.parametrize(
    ("obj", "replicas"),
    [
        (workload("apps/v1", "Deployment", {"replicas": 4, **pod_template()}), 4),
        (workload("apps/v1", "Deployment", pod_template()), 0),
        (workload("apps/v1", "ReplicaSet", {"replicas": 2, **pod_template()}), 2),
        (workload("apps/v1", "StatefulSet", {"replicas": 3, **pod_template()}), 3),
        (workload("batch/v1", "Job", {"parallelism": 5, "completions": 3, **pod_template()}), 3),
        (workload("batch/v1", "Job", {"parallelism": 2, **pod_template()}), 2),
        (workload("batch/v1", "Job", {"completions": 4, **pod_template()}), 0),
        (workload("v1", "Pod", {"containers": [{"name": "c"}]}), 1),
    ],
    ids=["deployment", "deployment-no-replicas", "replicaset", "statefulset", "job-min-of-parallelism-completions", "job-completions-default-parallelism", "job-no-parallelism", "pod"],
)
def test_replicas_of_known_kinds(obj: dict[str, Any], replicas: int) -> None:
    assert get_replicas(obj)[0] == replicas


@pytest.mark.parametrize(
    "obj",
    [workload("apps/v1", "DaemonSet", pod_template()), workload("v1", "ConfigMap", {}), workload("apps/v1beta2", "Deployment", {"replicas": 2})],
    ids=["daemonset", "configmap", "other-version"],
)
def test_other_kinds_have_no_replica_interpreter(obj: dict[str, Any]) -> None:
    assert get_replicas(obj) is None


@pytest.mark.parametrize(
    ("pod_spec", "expected"),
    [
        ({"containers": [{"name": "a"}]}, None),
        ({"containers": [{"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}, {"resourceRequest": {"cpu": "500m", "memory": "1Gi"}}),
        (
            {"containers": [{"name": "a", "resources": {"requests": {"cpu": "250m"}}}, {"name": "b", "resources": {"requests": {"cpu": "750m", "memory": "512Mi"}}}]},
            {"resourceRequest": {"cpu": "1", "memory": "512Mi"}},
        ),
        ({"containers": [{"name": "a", "resources": {"limits": {"cpu": "2", "memory": "100M"}}}]}, {"resourceRequest": {"cpu": "2", "memory": "100000000"}}),
        (
            {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}], "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1500m"}}}]},
            {"resourceRequest": {"cpu": "1500m"}},
        ),
        ({"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}], "overhead": {"cpu": "100m"}}, {"resourceRequest": {"cpu": "1100m"}}),
        ({"containers": [{"name": "a", "resources": {"requests": {"cpu": "0", "nvidia.com/gpu": "1"}}}]}, {"resourceRequest": {"nvidia.com/gpu": "1"}}),
        ({"containers": [{"name": "a", "resources": {"requests": {"foo": "1"}}}]}, None),
        ({"containers": [{"name": "a"}], "nodeSelector": {"disk": "ssd"}}, {"nodeClaim": {"nodeSelector": {"disk": "ssd"}}}),
        (
            {"containers": [{"name": "a"}], "tolerations": [{"key": "k", "operator": "Exists"}],
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}},
            {"nodeClaim": {"hardNodeAffinity": {"nodeSelectorTerms": []}, "tolerations": [{"key": "k", "operator": "Exists"}]}},
        ),
    ],
    ids=["nothing", "one-container", "summed", "limits-default-requests", "init-container-max", "overhead-added", "zero-dropped-extended-kept", "unknown-resource-ignored", "node-selector", "tolerations-and-required-affinity"],
)
def test_replica_requirements(pod_spec: dict[str, Any], expected: dict[str, Any] | None) -> None:
    assert replica_requirements(pod_spec) == expected


@pytest.mark.parametrize(
    ("name", "amount", "text"),
    [
        ("cpu", 500, "500m"),
        ("cpu", 2000, "2"),
        ("cpu", 2000000, "2k"),
        ("memory", 1 << 30, "1Gi"),
        ("memory", 3 * (1 << 20), "3Mi"),
        ("memory", 100_000_000, "100000000"),
        ("memory", 1536 << 20, "1536Mi"),
        ("memory", 512, "512"),
        ("pods", 110, "110"),
        ("nvidia.com/gpu", 2, "2"),
    ],
    ids=lambda v: str(v),
)
def test_canonical_quantities(name: str, amount: int, text: str) -> None:
    assert format_resource(name, amount) == text


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        (workload("apps/v1", "Deployment", {"replicas": 9}), "replicas", 3),
        (workload("apps/v1", "StatefulSet", {"replicas": 9}), "replicas", 3),
        (workload("batch/v1", "Job", {"parallelism": 9, "completions": 9}), "parallelism", 3),
        (workload("apps/v1", "Deployment", {}), "replicas", None),
        (workload("v1", "Pod", {"containers": []}), "replicas", None),
    ],
    ids=["deployment", "statefulset", "job-parallelism", "absent-field-left-absent", "pod-not-revised"],
)
def test_revise_replicas(obj: dict[str, Any], field: str, value: int | None) -> None:
    revise_replicas(obj, 3)
    assert obj["spec"].get(field) == value
