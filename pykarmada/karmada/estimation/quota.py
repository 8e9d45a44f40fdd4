"""The ResourceQuota cap (upstream's ResourceQuotaEstimator plugin, gate ``ResourceQuotaEstimate``).

For every ResourceQuota of the workload's namespace in the member that applies to it (no scopes,
or a PriorityClass scope matching its priority class), the free quota is ``hard - used`` of the
compute resources it lists (``cpu``/``requests.cpu``, ``memory``/``requests.memory`` and
extended resources; ``limits.*`` are not counted), less the requests of assumed workloads of the
same namespace. The cap is the least ``floor(free_r / request_r)`` over the resources both the
quota and the request name, across the quotas; ``MAX_INT32`` when no quota constrains it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pykarmada.karmada.estimation.fit import MAX_INT32
from pykarmada.karmada.estimation.protocol import CPU, MEMORY, AssumedWorkload, ReplicaRequirements, Resources
from pykarmada.karmada.quantity import QuantityError, parse_quantity, quantity_milli_value, quantity_value

REQUESTS_PREFIX, LIMITS_PREFIX = "requests.", "limits."
PRIORITY_CLASS_SCOPE = "PriorityClass"


def _extended(name: str) -> bool:
    """``IsExtendedResourceName``: ``domain/name`` outside the ``kubernetes.io`` namespace."""
    return "/" in name and not name.startswith("requests.") and "kubernetes.io/" not in name


def _tracked(name: str) -> str | None:
    """The resource a quota entry constrains for requests, or None (limits, pods, counts ...)."""
    if name.startswith(LIMITS_PREFIX):
        return None
    base = name[len(REQUESTS_PREFIX):] if name.startswith(REQUESTS_PREFIX) else name
    if base in (CPU, MEMORY) or _extended(base):
        return base
    return None


def _units(name: str, value: Any) -> int:
    return quantity_milli_value(value) if name == CPU else quantity_value(value)


def _scope_selectors(quota: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = quota.get("spec") or {}
    selectors: list[Mapping[str, Any]] = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or ()]
    selectors += (spec.get("scopeSelector") or {}).get("matchExpressions") or []
    return selectors


def _scope_matches(selector: Mapping[str, Any], priority_class: str) -> bool:
    if selector.get("scopeName") != PRIORITY_CLASS_SCOPE:
        return False  # Terminating, BestEffort ... do not apply to an estimate
    op, values = selector.get("operator"), selector.get("values") or []
    if op == "Exists":
        return bool(priority_class)
    if op == "DoesNotExist":
        return not priority_class
    if op == "In":
        return bool(priority_class) and priority_class in values
    if op == "NotIn":
        return not priority_class or priority_class not in values
    return False


def quota_applies(quota: Mapping[str, Any], priority_class: str) -> bool:
    selectors = _scope_selectors(quota)
    return not selectors or any(_scope_matches(s, priority_class) for s in selectors)


def free_quota(quota: Mapping[str, Any]) -> Resources:
    """``hard - used`` per constrained resource (entries missing from ``status.used`` are skipped)."""
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    free: Resources = {}
    for name, value in hard.items():
        base = _tracked(name)
        if base is None or name not in used:
            continue
        try:
            free[base] = _units(base, parse_quantity(value) - parse_quantity(used[name]))
        except QuantityError:
            continue
    return free


def quota_cap(
    quotas: Iterable[Mapping[str, Any]], requirements: ReplicaRequirements | None, assumed: Iterable[AssumedWorkload] = ()
) -> int:
    """Replicas the namespace's quotas still admit (``MAX_INT32``: unconstrained)."""
    if requirements is None:
        return MAX_INT32
    assumed = [w for w in assumed if w.namespace == requirements.namespace]
    cap = MAX_INT32
    for quota in quotas:
        if not quota_applies(quota, requirements.priority_class_name):
            continue
        free = free_quota(quota)
        for workload in assumed:
            for comp in workload.components:
                req = comp.requirements
                if req is None or not quota_applies(quota, req.priority_class_name):
                    continue
                for name, need in req.resource_request.items():
                    if name in free:
                        free[name] -= need * comp.replicas
        for name, need in requirements.resource_request.items():
            if name in free and need > 0:
                cap = min(cap, max(free[name], 0) // need)
    return cap
