"""Pure computations of the Cluster status: API enablements from discovery, node and resource
summaries from nodes and pods, allocatable modelings by resource model grade."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from pykarmada.kube.quantity import format_quantity, parse_quantity

BINARY_RESOURCES = ("memory", "ephemeral-storage", "storage")
TERMINAL_PHASES = ("Succeeded", "Failed")


def api_enablements(discovered: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """groupVersion -> APIResources, without subresources, sorted by groupVersion and name."""
    out = []
    for gv in sorted(discovered):
        resources = sorted(
            ({"name": r["name"], "kind": r["kind"]} for r in discovered[gv] if "/" not in r["name"]), key=lambda r: r["name"]
        )
        out.append({"groupVersion": gv, "resources": resources})
    return out


def discovered_resources(documents: list[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], bool]:
    """groupVersion -> resources (name and kind) from aggregated discovery documents
    (``APIGroupDiscoveryList`` of ``/api`` and ``/apis``), and whether a version was stale (its
    aggregated API server did not answer, as a failed group request in classic discovery)."""
    found: dict[str, list[dict[str, Any]]] = {}
    stale = False
    for doc in documents:
        for group in doc.get("items") or ():
            name = (group.get("metadata") or {}).get("name") or ""
            for version in group.get("versions") or ():
                if version.get("freshness") == "Stale":
                    stale = True
                    continue
                gv = f"{name}/{version['version']}" if name else version["version"]
                found[gv] = [{"name": r["resource"], "kind": (r.get("responseKind") or {}).get("kind", "")} for r in version.get("resources") or ()]
    return found, stale


def _is_ready(node: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in (node.get("status") or {}).get("conditions") or [])


def node_summary(nodes: list[dict[str, Any]]) -> dict[str, int]:
    return {"totalNum": len(nodes), "readyNum": sum(_is_ready(n) for n in nodes)}


def slim_node(node: dict[str, Any]) -> dict[str, Any]:
    """What the summaries read of a node (an informer transform): its name, allocatable and Ready."""
    meta, status = node.get("metadata") or {}, node.get("status") or {}
    return {
        "metadata": {"name": meta.get("name"), "resourceVersion": meta.get("resourceVersion")},
        "status": {"allocatable": status.get("allocatable") or {}, "conditions": [c for c in status.get("conditions") or () if c.get("type") == "Ready"]},
    }


def slim_pod(pod: dict[str, Any]) -> dict[str, Any]:
    """What the summaries read of a pod (an informer transform): its node, phase and requests, the
    requests parsed once here rather than at every summary."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    return {
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"), "resourceVersion": meta.get("resourceVersion")},
        "spec": {"nodeName": spec.get("nodeName") or ""},
        "status": {"phase": (pod.get("status") or {}).get("phase")},
        "requests": pod_requests(pod),
    }


def pod_requests(pod: dict[str, Any]) -> dict[str, Fraction]:
    """Requests of a pod: sum over containers, at least the largest init container, plus overhead."""
    if (parsed := pod.get("requests")) is not None:
        return parsed  # a slim pod
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = defaultdict(Fraction)
    for c in spec.get("containers") or []:
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[k] += parse_quantity(v)
    for c in spec.get("initContainers") or []:
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[k] = max(total[k], parse_quantity(v))
    for k, v in (spec.get("overhead") or {}).items():
        total[k] += parse_quantity(v)
    return dict(total)


def _format(resources: dict[str, Fraction]) -> dict[str, str]:
    return {k: format_quantity(v, binary=k in BINARY_RESOURCES) for k, v in sorted(resources.items())}


def resource_summary(nodes: list[dict[str, Any]], pods: list[dict[str, Any]], models: list[dict[str, Any]] | None) -> dict[str, Any]:
    allocatable: dict[str, Fraction] = defaultdict(Fraction)
    for node in nodes:
        for k, v in ((node.get("status") or {}).get("allocatable") or {}).items():
            allocatable[k] += parse_quantity(v)
    allocated: dict[str, Fraction] = defaultdict(Fraction)
    allocating: dict[str, Fraction] = defaultdict(Fraction)
    per_node: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in TERMINAL_PHASES:
            continue
        node_name = (pod.get("spec") or {}).get("nodeName")
        target = allocated if node_name else allocating
        requests = pod_requests(pod)
        for k, v in requests.items():
            target[k] += v
        target["pods"] += 1
        if node_name:
            for k, v in requests.items():
                per_node[node_name][k] += v
            per_node[node_name]["pods"] += 1
    summary: dict[str, Any] = {"allocatable": _format(allocatable), "allocating": _format(allocating), "allocated": _format(allocated)}
    if models:
        summary["allocatableModelings"] = allocatable_modelings(nodes, per_node, models)
    return summary


def allocatable_modelings(
    nodes: list[dict[str, Any]], used_per_node: dict[str, dict[str, Fraction]], models: list[dict[str, Any]]
) -> list[dict[str, int]]:
    """How many nodes fall in each grade, judged by what each node still has free."""
    counts = [0] * len(models)
    for node in nodes:
        name = node["metadata"]["name"]
        alloc = {k: parse_quantity(v) for k, v in ((node.get("status") or {}).get("allocatable") or {}).items()}
        used = used_per_node.get(name, {})
        free = {k: alloc.get(k, Fraction(0)) - used.get(k, Fraction(0)) for k in alloc}
        if "pods" in free and free["pods"] <= 0:
            continue  # no pod fits on this node, whatever else it has free
        grade = None
        for r_index, r in enumerate(models[0].get("ranges") or []):
            available = free.get(r["name"], Fraction(0))
            best = 0
            for g, model in enumerate(models):
                if parse_quantity(model["ranges"][r_index]["min"]) <= available:
                    best = g
            grade = best if grade is None else min(grade, best)
        counts[grade or 0] += 1
    return [{"grade": int(m.get("grade", i)), "count": counts[i]} for i, m in enumerate(models)]
