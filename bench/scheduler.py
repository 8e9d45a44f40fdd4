"""Micro-benchmark of the pure scheduling pipeline: bindings scheduled per second.

    python bench/scheduler.py                 # 100 clusters, 2000 bindings per scenario
    python bench/scheduler.py --clusters 500 --bindings 500

Clusters are held in memory with the default resource models, a resource summary, a few labels,
regions and taints, so every filter, the estimator (model path) and the division run for real.
Each scenario runs twice. First its bindings share one placement and one replica request, as the
workloads of one policy and template shape do: the scheduler remembers filter answers, static
weights and estimates per shape while the clusters are the same objects. Then every binding has a
shape of its own (its own CPU request, and a placement excluding a cluster that does not exist), so
nothing remembered applies: the first figure is the steady state of a few policies, the second the
cost of a binding unlike any before.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from pykarmada.controllers.scheduler import schedule_binding

INF = "9223372036854775807"
CPU = ["0", "1", "2", "4", "8", "16", "32", "64", "128"]
MEM = ["0", "4Gi", "16Gi", "32Gi", "64Gi", "128Gi", "256Gi", "512Gi", "1024Gi"]
MODELS = [
    {
        "grade": g,
        "ranges": [
            {"name": "cpu", "min": CPU[g], "max": CPU[g + 1] if g < 8 else INF},
            {"name": "memory", "min": MEM[g], "max": MEM[g + 1] if g < 8 else INF},
        ],
    }
    for g in range(9)
]


def make_cluster(i: int, rng: random.Random) -> dict[str, Any]:
    nodes = rng.randint(3, 50)
    spec: dict[str, Any] = {"syncMode": "Push", "region": f"region-{i % 5}", "provider": "kwok", "resourceModels": MODELS}
    if i % 17 == 0:
        spec["taints"] = [{"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}]
    return {
        "metadata": {"name": f"member{i:03d}", "labels": {"env": "prod" if i % 3 else "dev", "tier": str(i % 4)}},
        "spec": spec,
        "status": {
            "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}],
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "CompleteAPIEnablements", "status": "True"}],
            "resourceSummary": {
                "allocatable": {"cpu": str(nodes * 16), "memory": f"{nodes * 64}Gi", "pods": str(nodes * 110)},
                "allocated": {"cpu": str(nodes * 4), "memory": f"{nodes * 16}Gi", "pods": str(nodes * 30)},
                "allocatableModelings": [{"grade": 3, "count": nodes // 2}, {"grade": 4, "count": nodes - nodes // 2}],
            },
        },
    }


def binding(replicas: int, placement: dict[str, Any], uid: str, cpu: str = "500m") -> dict[str, Any]:
    return {
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "app", "uid": uid},
        "replicas": replicas,
        "replicaRequirements": {"resourceRequest": {"cpu": cpu, "memory": "1Gi"}},
        "placement": placement,
    }


def own_shape(spec: dict[str, Any], i: int) -> dict[str, Any]:
    """The same binding with a request and a placement no other binding has (same outcome)."""
    placement = dict(spec["placement"])
    placement["clusterAffinity"] = {**placement.get("clusterAffinity", {}), "exclude": [f"absent-{i}"]}
    spec = {**spec, "placement": placement}
    spec["replicaRequirements"] = {"resourceRequest": {"cpu": f"{500000 + i}u", "memory": "1Gi"}}
    return spec


AFFINITY = {"labelSelector": {"matchLabels": {"env": "prod"}}}
SCENARIOS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "Divided/Weighted static": lambda rng: {
        "clusterAffinity": AFFINITY,
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {
                "staticWeightList": [
                    {"targetCluster": {"labelSelector": {"matchLabels": {"tier": str(t)}}}, "weight": t + 1} for t in range(4)
                ]
            },
        },
    },
    "Divided/Weighted dynamic": lambda rng: {
        "clusterAffinity": AFFINITY,
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        },
    },
    "Divided/Aggregated + region spread": lambda rng: {
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
        "spreadConstraints": [
            {"spreadByField": "region", "minGroups": 2, "maxGroups": 3},
            {"spreadByField": "cluster", "minGroups": 2, "maxGroups": 6},
        ],
    },
    "Duplicated": lambda rng: {"clusterAffinity": AFFINITY, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--bindings", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    clusters = [make_cluster(i, rng) for i in range(args.clusters)]
    print(f"{args.clusters} clusters in memory, {args.bindings} bindings per scenario (replicas 1..200)")
    for name, make_placement in SCENARIOS.items():
        specs = [binding(rng.randint(1, 200), make_placement(rng), f"uid-{i}") for i in range(args.bindings)]
        schedule_binding(specs[0], clusters)  # warm caches (quantity parsing)
        shared = _rate(specs, clusters)
        own = _rate([own_shape(spec, i) for i, spec in enumerate(specs)], clusters)
        print(f"  {name:<36} {shared[0]:>8.0f} bindings/s ({shared[1]} failed);  each its own shape: {own[0]:>6.0f}/s ({own[1]} failed)")


def _rate(specs: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> tuple[float, int]:
    failures = 0
    start = time.perf_counter()
    for spec in specs:
        failures += not schedule_binding(spec, clusters).succeeded
    return len(specs) / (time.perf_counter() - start), failures


if __name__ == "__main__":
    main()
