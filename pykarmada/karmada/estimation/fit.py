"""Per-node fit: how many replicas of one pod template a member's nodes take (behaviour.md 10).

A node's free capacity is its allocatable minus the requests of the non-terminal pods bound to
it, with pod slots = allocatable pods - pods on it. A replica requirement counts on a node only
if the node passes its node selector and required node affinity and tolerates its NoSchedule and
NoExecute taints (an unschedulable node only when the ``node.kubernetes.io/unschedulable`` taint
is tolerated); there it takes ``min(free_r // request_r, free pods)``. The answer is the sum over
nodes. Capacity the scheduler assumed (assigned, not yet visible as pods) is deducted first, by
placing it first fit over the same nodes, as upstream's scheduling simulator does.

Pure functions on plain Kubernetes JSON; the estimator server keeps the nodes and pods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykarmada.karmada.estimation.protocol import (
    CPU,
    PODS,
    AssumedWorkload,
    NodeClaim,
    ReplicaRequirements,
    Resources,
    is_known_resource,
)
from pykarmada.karmada.quantity import QuantityError, quantity_milli_value, quantity_value
from pykarmada.karmada.selectors import node_selector_requirements_match
from pykarmada.karmada.taints import find_untolerated_taint, tolerates_taint

MAX_INT32 = 2**31 - 1
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def resources_of(values: Mapping[str, Any] | None) -> Resources:
    """A ResourceList in scheduler units; unknown names and bad quantities are left out."""
    out: Resources = {}
    for name, value in (values or {}).items():
        if not is_known_resource(name):
            continue
        try:
            out[name] = quantity_milli_value(value) if name == CPU else quantity_value(value)
        except QuantityError:
            continue
    return out


def _add(into: Resources, more: Mapping[str, int]) -> None:
    for name, amount in more.items():
        into[name] = into.get(name, 0) + amount


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """What a pod holds on its node, as kube-scheduler counts it: the larger of the containers'
    sum and each init container's requests, plus the pod overhead."""
    spec = pod.get("spec") or {}
    total: Resources = {}
    for container in spec.get("containers") or ():
        _add(total, resources_of((container.get("resources") or {}).get("requests")))
    for container in spec.get("initContainers") or ():
        for name, amount in resources_of((container.get("resources") or {}).get("requests")).items():
            total[name] = max(total.get(name, 0), amount)
    _add(total, resources_of(spec.get("overhead")))
    total.pop(PODS, None)
    return total


@dataclass
class NodeInfo:
    """One node as the estimator sees it: the Node object and what is still free on it."""

    node: Mapping[str, Any]
    free: Resources = field(default_factory=dict)

    @property
    def name(self) -> str:
        return (self.node.get("metadata") or {}).get("name") or ""

    def copy(self) -> NodeInfo:
        return NodeInfo(self.node, dict(self.free))


def node_infos(nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> list[NodeInfo]:
    """Free capacity of every node, after the non-terminal pods bound to it."""
    infos = {}
    for node in nodes:
        info = NodeInfo(node, resources_of((node.get("status") or {}).get("allocatable")))
        info.free.setdefault(PODS, 0)
        infos[info.name] = info
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        info = infos.get((pod.get("spec") or {}).get("nodeName") or "")
        if info is None:
            continue
        for name, amount in pod_requests(pod).items():
            info.free[name] = info.free.get(name, 0) - amount
        info.free[PODS] -= 1
    for info in infos.values():
        for name in info.free:
            info.free[name] = max(info.free[name], 0)
    return sorted(infos.values(), key=lambda i: i.name)


def _node_fields(node: Mapping[str, Any]) -> dict[str, str]:
    return {"metadata.name": (node.get("metadata") or {}).get("name") or ""}


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str], fields: Mapping[str, str]) -> bool:
    expressions, match_fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not expressions and not match_fields:
        return False  # an empty term matches no node
    return node_selector_requirements_match(expressions, labels) and node_selector_requirements_match(match_fields, fields)


def node_matches(node: Mapping[str, Any], claim: NodeClaim | None) -> bool:
    """Node selector, required node affinity (terms ORed), taints and ``spec.unschedulable``."""
    tolerations = claim.tolerations if claim else []
    if (node.get("spec") or {}).get("unschedulable") and not any(tolerates_taint(t, UNSCHEDULABLE_TAINT) for t in tolerations):
        return False
    if find_untolerated_taint((node.get("spec") or {}).get("taints"), tolerations) is not None:
        return False
    if claim is None:
        return True
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in claim.node_selector.items()):
        return False
    if claim.affinity_terms is not None:
        fields = _node_fields(node)
        return any(_term_matches(term, labels, fields) for term in claim.affinity_terms)
    return True


def max_divided(free: Mapping[str, int], request: Mapping[str, int]) -> int:
    """Replicas of ``request`` that fit in ``free`` (``Resource.MaxDivided``), bounded by pod slots."""
    fit = free.get(PODS, 0)
    for name, need in request.items():
        if name == PODS or need <= 0:
            continue
        fit = min(fit, free.get(name, 0) // need)
    return max(fit, 0)


def _place_first_fit(nodes: Sequence[NodeInfo], requirements: ReplicaRequirements | None, replicas: int) -> int:
    """Deduct up to ``replicas`` replicas node by node (first fit); returns how many were placed."""
    request = requirements.resource_request if requirements else {}
    claim = requirements.node_claim if requirements else None
    remaining = replicas
    for info in nodes:
        if remaining <= 0:
            break
        if not node_matches(info.node, claim):
            continue
        take = min(max_divided(info.free, request), remaining)
        if take <= 0:
            continue
        for name, need in request.items():
            if name != PODS and need > 0:
                info.free[name] = info.free.get(name, 0) - need * take
        info.free[PODS] = info.free.get(PODS, 0) - take
        remaining -= take
    return replicas - remaining


def deduct_assumed(nodes: Sequence[NodeInfo], assumed: Iterable[AssumedWorkload]) -> list[NodeInfo]:
    """Copies of ``nodes`` with the assumed workloads placed on them (what fits of them)."""
    out = [n.copy() for n in nodes]
    for workload in assumed:
        for component in workload.components:
            _place_first_fit(out, component.requirements, component.replicas)
    return out


def max_available_replicas(
    nodes: Sequence[NodeInfo], requirements: ReplicaRequirements | None, assumed: Iterable[AssumedWorkload] = ()
) -> int:
    """Σ over matching nodes of what each takes; 0 without nodes."""
    if not nodes:
        return 0
    assumed = list(assumed)
    if assumed:
        nodes = deduct_assumed(nodes, assumed)
    request = requirements.resource_request if requirements else {}
    claim = requirements.node_claim if requirements else None
    total = sum(max_divided(n.free, request) for n in nodes if node_matches(n.node, claim))
    return min(total, MAX_INT32)
