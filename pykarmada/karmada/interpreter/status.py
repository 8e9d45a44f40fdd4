"""Status reflection (member object -> Work manifest status), health, and aggregation (Work
statuses -> template status), per kind, as behaviour.md 5.3-5.4 describe."""

from __future__ import annotations

import copy
from typing import Any

from pykarmada.karmada.constants import RESOURCE_TEMPLATE_GENERATION_ANNOTATION
from pykarmada.kube.conditions import now_rfc3339

Obj = dict[str, Any]
HEALTHY, UNHEALTHY, UNKNOWN = "Healthy", "Unhealthy", "Unknown"

REFLECTED = {
    "Deployment": ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "observedGeneration"),
    "ReplicaSet": ("replicas", "readyReplicas", "availableReplicas", "observedGeneration"),
    "StatefulSet": ("availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas"),
    "DaemonSet": (
        "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
        "numberReady", "updatedNumberScheduled", "numberUnavailable", "observedGeneration",
    ),
    "Job": ("active", "succeeded", "failed", "conditions", "startTime", "completionTime"),
    "PodDisruptionBudget": ("disruptionsAllowed", "expectedPods", "desiredHealthy", "currentHealthy", "disruptedPods"),
    "HorizontalPodAutoscaler": ("currentReplicas", "desiredReplicas"),
}
WORKLOADS_WITH_GENERATION = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")
SUMMED = {
    "Deployment": ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"),
    "ReplicaSet": ("replicas", "readyReplicas", "availableReplicas"),
    "StatefulSet": ("availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas"),
    "DaemonSet": REFLECTED["DaemonSet"][:-1],
    "HorizontalPodAutoscaler": ("currentReplicas", "desiredReplicas"),
    "PodDisruptionBudget": ("disruptionsAllowed", "expectedPods", "desiredHealthy", "currentHealthy"),
}


def _nonzero(status: Obj, fields: tuple[str, ...]) -> Obj:
    return {f: status[f] for f in fields if status.get(f) not in (None, 0, "", [], {})}


def reflect_status(obj: Obj) -> Obj | None:
    """The part of a member object's status that Karmada records in the Work."""
    kind, status = obj.get("kind", ""), obj.get("status")
    if status is None:
        return None
    if kind == "Service":
        if (obj.get("spec") or {}).get("type") != "LoadBalancer":
            return None
        return {"loadBalancer": status.get("loadBalancer") or {}}
    if kind in REFLECTED:
        out = _nonzero(status, REFLECTED[kind])
        if kind in WORKLOADS_WITH_GENERATION:
            meta = obj.get("metadata") or {}
            if meta.get("generation"):
                out["generation"] = meta["generation"]
            rtg = int((meta.get("annotations") or {}).get(RESOURCE_TEMPLATE_GENERATION_ANNOTATION, 0) or 0)
            if rtg:
                out["resourceTemplateGeneration"] = rtg
        return out
    return copy.deepcopy(status)


def _ingress_ready(status: Obj) -> bool:
    return any(i.get("ip") or i.get("hostname") for i in ((status.get("loadBalancer") or {}).get("ingress") or []))


HEALTH_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Service", "Ingress", "PersistentVolumeClaim", "Pod", "PodDisruptionBudget")


def has_health_interpreter(obj: Obj) -> bool:
    """Whether the kind has a health rule (the others count as healthy, with no assessment)."""
    return obj.get("kind", "") in HEALTH_KINDS


def interpret_health(obj: Obj) -> str:
    """Healthy / Unhealthy for kinds with a health rule; Healthy for the rest."""
    kind, spec, status = obj.get("kind", ""), obj.get("spec") or {}, obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation", 0)
    ok: bool
    if kind in ("Deployment", "StatefulSet"):
        ok = (
            status.get("observedGeneration", 0) == generation
            and status.get("updatedReplicas", 0) >= spec.get("replicas", 1)
            and status.get("availableReplicas", 0) >= status.get("updatedReplicas", 0)
        )
    elif kind == "ReplicaSet":
        ok = status.get("observedGeneration", 0) == generation and status.get("availableReplicas", 0) >= spec.get("replicas", 1)
    elif kind == "DaemonSet":
        ok = (
            status.get("observedGeneration", 0) == generation
            and status.get("updatedNumberScheduled", 0) >= status.get("desiredNumberScheduled", 0)
            and status.get("numberAvailable", 0) >= status.get("updatedNumberScheduled", 0)
        )
    elif kind in ("Service", "Ingress"):
        ok = (kind == "Service" and spec.get("type") != "LoadBalancer") or _ingress_ready(status)
    elif kind == "PersistentVolumeClaim":
        ok = status.get("phase") == "Bound"
    elif kind == "Pod":
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        ok = status.get("phase") == "Succeeded" or (status.get("phase") == "Running" and ready)
    elif kind == "PodDisruptionBudget":
        ok = status.get("currentHealthy", 0) >= status.get("desiredHealthy", 0)
    else:
        return HEALTHY
    return HEALTHY if ok else UNHEALTHY


def _generation_rule(template: Obj, items: list[Obj], compare_item_generation: bool) -> int | None:
    """observedGeneration advances to the template's generation only when every member has caught
    up with it; None leaves the template's value unchanged."""
    generation = (template.get("metadata") or {}).get("generation", 0)
    for item in items:
        s = item.get("status")
        if not s:
            return None
        target = s.get("generation", 0) if compare_item_generation else generation
        if compare_item_generation:
            if s.get("observedGeneration", 0) < target or s.get("resourceTemplateGeneration", 0) < target:
                return None
        elif s.get("observedGeneration", 0) < s.get("generation", 0) or s.get("resourceTemplateGeneration", 0) < generation:
            return None
    return generation


def _sorted_unique_ingress(items: list[Obj]) -> list[Obj]:
    seen, out = set(), []
    for item in items:
        for ing in (((item.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []):
            key = repr(sorted(ing.items()))
            if key not in seen:
                seen.add(key)
                out.append(ing)
    return sorted(out, key=lambda i: (i.get("ip", ""), i.get("hostname", "")))


def aggregate_status(template: Obj, items: list[Obj]) -> Obj | None:
    """The template's new status from the aggregated items ({clusterName, status, ...}); None when
    the kind's status is not aggregated (the template keeps its own)."""
    kind = template.get("kind", "")
    current = copy.deepcopy(template.get("status") or {})
    if kind in SUMMED:
        out = dict(current)
        for f in SUMMED[kind]:
            out[f] = sum(int((i.get("status") or {}).get(f, 0) or 0) for i in items)
        if kind == "PodDisruptionBudget":
            out["disruptedPods"] = {
                f"{i['clusterName']}/{pod}": t for i in items for pod, t in ((i.get("status") or {}).get("disruptedPods") or {}).items()
            }
        if kind in WORKLOADS_WITH_GENERATION:
            observed = _generation_rule(template, items, compare_item_generation=kind == "StatefulSet")
            if observed is not None:
                out["observedGeneration"] = observed
        return {k: v for k, v in out.items() if v not in (None, {}) or k == "disruptedPods"}
    if kind == "Service":
        if (template.get("spec") or {}).get("type") != "LoadBalancer":
            return None
        return {**current, "loadBalancer": {"ingress": _sorted_unique_ingress(items)} if _sorted_unique_ingress(items) else {}}
    if kind == "Ingress":
        ingress = _sorted_unique_ingress(items)
        return {**current, "loadBalancer": {"ingress": ingress} if ingress else {}}
    if kind == "Job":
        return _aggregate_job(template, items)
    return None


def _condition(type_: str, reason: str, message: str, now: str) -> Obj:
    return {"type": type_, "status": "True", "reason": reason, "message": message, "lastProbeTime": now, "lastTransitionTime": now}


def _aggregate_job(template: Obj, items: list[Obj]) -> Obj | None:
    current = template.get("status") or {}
    done = {c.get("type") for c in current.get("conditions") or [] if c.get("status") == "True"}
    if done & {"Complete", "Failed"}:
        return None
    statuses = [i.get("status") or {} for i in items]
    out: Obj = {k: sum(int(s.get(k, 0) or 0) for s in statuses) for k in ("active", "succeeded", "failed")}
    out = {k: v for k, v in out.items() if v}

    def has(s: Obj, t: str) -> bool:
        return any(c.get("type") == t and c.get("status") == "True" for c in s.get("conditions") or [])

    failed = [i["clusterName"] for i, s in zip(items, statuses) if has(s, "Failed")]
    now = now_rfc3339()
    conditions = []
    if failed:
        conditions.append(_condition("Failed", "JobFailed", f"Job executed failed in member clusters {','.join(failed)}", now))
    elif statuses and all(has(s, "Complete") for s in statuses):
        if all(has(s, "SuccessCriteriaMet") for s in statuses):
            conditions.append(_condition("SuccessCriteriaMet", "Completed", "Job completed", now))
        conditions.append(_condition("Complete", "Completed", "Job completed", now))
    if conditions:
        out["conditions"] = conditions
    starts = [s.get("startTime") for s in statuses]
    if current.get("startTime"):
        out["startTime"] = current["startTime"]
    elif starts and all(starts):
        out["startTime"] = min(starts)
    ends = [s.get("completionTime") for s in statuses]
    if ends and all(ends):
        out["completionTime"] = max(ends)
    return out
