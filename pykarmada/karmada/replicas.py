"""The native resource interpreter's replica operations (behaviour.md 5.5 and 3 step 7a).

``get_replicas`` reads ``spec.replicas`` and the per-replica requirements of the kinds Karmada
knows (Deployment, ReplicaSet, StatefulSet, Job, Pod); other kinds have no replica interpreter and
are non-workloads. ``revise_replicas`` writes one cluster's share back into a manifest copy.
Quantities come out in apimachinery's canonical form (CPU in DecimalSI millis, memory BinarySI),
as ``ResourceList()`` builds them upstream.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pykarmada.karmada.quantity import QuantityError, quantity_milli_value, quantity_value

Obj = dict[str, Any]

__all__ = ["has_replica_interpreter", "get_replicas", "replica_requirements", "revise_replicas", "set_job_completions", "format_resource"]

_TEMPLATE_WORKLOADS = {("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")}
_JOB = ("batch/v1", "Job")
_POD = ("v1", "Pod")
_DECIMAL = ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k"))
_BINARY = ((60, "Ei"), (50, "Pi"), (40, "Ti"), (30, "Gi"), (20, "Mi"), (10, "Ki"))


def _kind_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj.get("apiVersion") or "", obj.get("kind") or ""


def has_replica_interpreter(obj: Mapping[str, Any]) -> bool:
    key = _kind_key(obj)
    return key in _TEMPLATE_WORKLOADS or key in (_JOB, _POD)


def get_replicas(obj: Mapping[str, Any]) -> tuple[int, Obj | None] | None:
    """``(replicas, replicaRequirements)``, or None for kinds without a replica interpreter."""
    key = _kind_key(obj)
    spec = obj.get("spec") or {}
    if key in _TEMPLATE_WORKLOADS:
        pod_spec = ((spec.get("template") or {}).get("spec")) or {}
        return int(spec.get("replicas") or 0), replica_requirements(pod_spec)
    if key == _JOB:
        parallelism = int(spec.get("parallelism") or 0)
        completions = spec.get("completions")
        completions = parallelism if completions is None else int(completions)
        pod_spec = ((spec.get("template") or {}).get("spec")) or {}
        return min(parallelism, completions), replica_requirements(pod_spec)
    if key == _POD:
        return 1, replica_requirements(spec)
    return None


def _is_scalar(name: str) -> bool:
    return "/" in name or name.startswith("hugepages-") or name.startswith("attachable-volumes-")


def _amount(name: str, quantity: Any) -> int:
    """CPU in millicores, everything else in units rounded up (``Value()``)."""
    return quantity_milli_value(quantity) if name == "cpu" else quantity_value(quantity)


def _container_requests(container: Mapping[str, Any]) -> dict[str, Any]:
    """Requests, with a missing request defaulted to its limit."""
    resources = container.get("resources") or {}
    requests = dict(resources.get("requests") or {})
    for name, value in (resources.get("limits") or {}).items():
        requests.setdefault(name, value)
    return requests


def _tracked(name: str) -> bool:
    return name in ("cpu", "memory", "pods", "ephemeral-storage") or _is_scalar(name)


def _pod_request(pod_spec: Mapping[str, Any]) -> dict[str, int]:
    total: dict[str, int] = {}
    for container in pod_spec.get("containers") or ():
        for name, value in _container_requests(container).items():
            if _tracked(name):
                total[name] = total.get(name, 0) + _amount(name, value)
    for container in pod_spec.get("initContainers") or ():
        for name, value in _container_requests(container).items():
            if _tracked(name):
                total[name] = max(total.get(name, 0), _amount(name, value))
    for name, value in (pod_spec.get("overhead") or {}).items():
        if _tracked(name):
            total[name] = total.get(name, 0) + _amount(name, value)
    return total


def _decimal(value: int, *, milli: bool = False) -> str:
    """DecimalSI canonical text of ``value`` (in thousandths when ``milli``)."""
    if milli:
        if value % 1000:
            return f"{value}m"
        value //= 1000
    for exponent, suffix in _DECIMAL:
        if value and value % (10**exponent) == 0:
            return f"{value // 10**exponent}{suffix}"
    return str(value)


def _binary(value: int) -> str:
    """BinarySI canonical text: the largest binary suffix that divides the amount (none when
    nothing does, e.g. ``100000000``); amounts below 1024 are written as DecimalSI."""
    if value < 1024:
        return _decimal(value)
    for exponent, suffix in _BINARY:
        if value % (1 << exponent) == 0:
            return f"{value >> exponent}{suffix}"
    return str(value)


def format_resource(name: str, amount: int) -> str:
    """One ``ResourceList`` entry as upstream's ``Resource.ResourceList()`` writes it."""
    if name == "cpu":
        return _decimal(amount, milli=True)
    if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-"):
        return _binary(amount)
    return _decimal(amount)


def replica_requirements(pod_spec: Mapping[str, Any]) -> Obj | None:
    """``{nodeClaim, resourceRequest}`` from a pod spec, or None when both are empty."""
    try:
        request = {name: format_resource(name, amount) for name, amount in sorted(_pod_request(pod_spec).items()) if amount > 0}
    except QuantityError:
        request = {}
    node_claim: Obj = {}
    affinity = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    if affinity is not None:
        node_claim["hardNodeAffinity"] = copy.deepcopy(affinity)
    if pod_spec.get("nodeSelector") is not None:
        node_claim["nodeSelector"] = dict(pod_spec["nodeSelector"])
    if pod_spec.get("tolerations"):
        node_claim["tolerations"] = copy.deepcopy(pod_spec["tolerations"])
    if not node_claim and not request:
        return None
    out: Obj = {}
    if node_claim:
        out["nodeClaim"] = node_claim
    if request:
        out["resourceRequest"] = request
    return out


def revise_replicas(manifest: Obj, replicas: int) -> None:
    """Set one cluster's share in place: ``spec.replicas`` of Deployment/ReplicaSet/StatefulSet,
    ``spec.parallelism`` of a Job; only when the field is already there."""
    key = _kind_key(manifest)
    field = "replicas" if key in _TEMPLATE_WORKLOADS else "parallelism" if key == _JOB else None
    spec = manifest.get("spec")
    if field and isinstance(spec, dict) and field in spec:
        spec[field] = replicas


def set_job_completions(manifest: Obj, completions: int) -> None:
    spec = manifest.get("spec")
    if isinstance(spec, dict) and "completions" in spec:
        spec["completions"] = completions
