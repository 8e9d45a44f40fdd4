"""Builders for Cluster objects and ResourceBinding specs shaped like the API JSON."""

from __future__ import annotations

from typing import Any

from pykarmada.karmada.hashing import fnv32a

DEPLOYMENT = ("apps/v1", "Deployment")


def uid_with_parity(odd: bool) -> str:
    """A template UID whose FNV-1a hash has the wanted parity (odd -> names tie descending)."""
    for i in range(100):
        uid = f"00000000-0000-0000-0000-{i:012d}"
        if fnv32a(uid) & 1 == int(odd):
            return uid
    raise AssertionError("unreachable")


EVEN_UID = uid_with_parity(False)
ODD_UID = uid_with_parity(True)


def cluster(
    name: str,
    *,
    pods: int | None = 100,
    labels: dict[str, str] | None = None,
    region: str = "",
    zones: list[str] | None = None,
    provider: str = "",
    taints: list[dict[str, Any]] | None = None,
    apis: tuple[tuple[str, str], ...] = (DEPLOYMENT,),
    complete_api: bool = True,
    deleting: bool = False,
    summary: dict[str, Any] | None = None,
    models: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Ready member; ``pods`` free pod slots make the estimate exactly ``pods`` for bindings
    without replica requirements."""
    metadata: dict[str, Any] = {"name": name, "labels": dict(labels or {})}
    if deleting:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    spec: dict[str, Any] = {"syncMode": "Push"}
    if region:
        spec["region"] = region
    if zones:
        spec["zones"] = list(zones)
    if provider:
        spec["provider"] = provider
    if taints:
        spec["taints"] = list(taints)
    if models is not None:
        spec["resourceModels"] = models
    enablements: dict[str, list[dict[str, str]]] = {}
    for group_version, kind in apis:
        enablements.setdefault(group_version, []).append({"name": kind.lower() + "s", "kind": kind})
    status: dict[str, Any] = {
        "apiEnablements": [{"groupVersion": gv, "resources": res} for gv, res in sorted(enablements.items())],
        "conditions": [{"type": "Ready", "status": "True"}]
        + ([{"type": "CompleteAPIEnablements", "status": "True"}] if complete_api else []),
    }
    if summary is not None:
        status["resourceSummary"] = summary
    elif pods is not None:
        status["resourceSummary"] = {"allocatable": {"pods": str(pods)}}
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": metadata, "spec": spec, "status": status}


def binding_spec(
    *,
    replicas: int = 0,
    placement: dict[str, Any] | None = None,
    clusters: list[dict[str, Any]] | None = None,
    uid: str = EVEN_UID,
    requirements: dict[str, Any] | None = None,
    resource: tuple[str, str] = DEPLOYMENT,
    **extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "resource": {"apiVersion": resource[0], "kind": resource[1], "namespace": "default", "name": "nginx", "uid": uid},
        "replicas": replicas,
        "placement": placement if placement is not None else {},
        "schedulerName": "default-scheduler",
    }
    if requirements is not None:
        spec["replicaRequirements"] = requirements
    if clusters is not None:
        spec["clusters"] = clusters
    spec.update(extra)
    return spec


def names(*names_: str) -> dict[str, Any]:
    return {"clusterNames": list(names_)}


def static_weights(weights: dict[str, int], **placement: Any) -> dict[str, Any]:
    return {
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [{"targetCluster": names(n), "weight": w} for n, w in weights.items()]},
        },
        **placement,
    }


def dynamic_weights(**placement: Any) -> dict[str, Any]:
    return {
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        },
        **placement,
    }


def aggregated(**placement: Any) -> dict[str, Any]:
    return {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}, **placement}


def duplicated(**placement: Any) -> dict[str, Any]:
    return {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}, **placement}


def targets(**replicas: int) -> list[dict[str, Any]]:
    return [{"name": n, "replicas": r} for n, r in replicas.items()]


def as_dict(result: list[dict[str, Any]]) -> dict[str, int]:
    return {t["name"]: t.get("replicas", 0) for t in result}
