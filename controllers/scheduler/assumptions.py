"""Capacity the scheduler assigned that the members may not show in use yet (upstream's
assumption cache, gate ``SchedulingOvercommitProtection``).

After a binding is scheduled, its per-cluster replicas are "assumed": every later estimator call
for that cluster carries them as ``assumedWorkloads``, which the estimator deducts before
counting. A cluster's assumption is released when the binding's aggregated status reports the
workload Healthy there (its pods are then visible to the estimator), when the cluster leaves the
result, when the binding is deleted, or after ``ttl`` (5 minutes) as a safety net.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pykarmada.karmada.estimation.protocol import wire_requirements

DEFAULT_TTL = 300.0
Key = tuple[str, str]


class AssumptionCache:
    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[Key, tuple[float, dict[str, dict[str, Any]]]] = {}  # key -> (expiry, cluster -> workload)

    def assume(self, key: Key, spec: Mapping[str, Any], clusters: Sequence[Mapping[str, Any]]) -> None:
        """Record (replacing) the binding's footprint on every cluster of its new result."""
        resource = spec.get("resource") or {}
        namespace = resource.get("namespace") or ""
        requirements = wire_requirements(spec.get("replicaRequirements"), namespace)
        per_cluster = {}
        for target in clusters:
            component: dict[str, Any] = {"name": resource.get("name") or "", "replicas": target.get("replicas") or 0}
            if requirements is not None:
                component["replicaRequirements"] = requirements
            per_cluster[target["name"]] = {"namespace": namespace, "components": [component]}
        if per_cluster:
            self._entries[key] = (time.monotonic() + self.ttl, per_cluster)
        else:
            self._entries.pop(key, None)

    def release(self, key: Key, cluster: str | None = None) -> None:
        if cluster is None:
            self._entries.pop(key, None)
            return
        entry = self._entries.get(key)
        if entry is not None:
            entry[1].pop(cluster, None)
            if not entry[1]:
                del self._entries[key]

    def snapshot(self, key: Key) -> tuple[float, dict[str, dict[str, Any]]] | None:
        entry = self._entries.get(key)
        return None if entry is None else (entry[0], dict(entry[1]))

    def restore(self, key: Key, saved: tuple[float, dict[str, dict[str, Any]]] | None) -> None:
        """Put back what :meth:`snapshot` returned (a result that could not be written)."""
        if saved is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = saved

    def for_clusters(self, clusters: Sequence[str], *, exclude: Key | None = None) -> dict[str, list[dict[str, Any]]]:
        """Assumed workloads per cluster, leaving out ``exclude`` (the binding being scheduled:
        its own replicas count as assigned, not as taken). Expired entries are dropped."""
        now = time.monotonic()
        for key in [k for k, (expiry, _) in self._entries.items() if expiry < now]:
            del self._entries[key]
        wanted = set(clusters)
        out: dict[str, list[dict[str, Any]]] = {}
        for key, (_, per_cluster) in self._entries.items():
            if key == exclude:
                continue
            for cluster, workload in per_cluster.items():
                if cluster in wanted:
                    out.setdefault(cluster, []).append(workload)
        return {cluster: merge_same_shapes(workloads) for cluster, workloads in out.items()}

    def __len__(self) -> int:
        return len(self._entries)


def merge_same_shapes(workloads: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One component per (namespace, replica requirements), its replicas summed, in the order of
    first appearance. Placing n replicas of one shape first fit and then m more leaves the nodes
    as placing n + m at once does, so the estimator's answer hardly changes (only the
    interleaving with other shapes can), while a burst of bindings of one shape costs it one
    placement instead of one per binding, and the request stays small."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for workload in workloads:
        namespace = workload.get("namespace") or ""
        for component in workload.get("components") or ():
            shape = (namespace, json.dumps(component.get("replicaRequirements"), sort_keys=True))
            into = merged.get(shape)
            if into is None:
                merged[shape] = into = {"namespace": namespace, "components": [{**component, "replicas": 0}]}
            into["components"][0]["replicas"] += component.get("replicas") or 0
    return list(merged.values())


def newly_healthy_clusters(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Clusters whose ``aggregatedStatus`` item became Healthy between two versions of a binding."""

    def healthy(binding: Mapping[str, Any] | None) -> set[str]:
        items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or ()
        return {i.get("clusterName") for i in items if i.get("health") == "Healthy"}

    return sorted(healthy(new) - healthy(old))
