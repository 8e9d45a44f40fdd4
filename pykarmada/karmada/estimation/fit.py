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

import json
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
MATCH_CACHE_SIZE = 256
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


class NodeBook:
    """Every node's allocatable and what the non-terminal pods bound to it request, kept up to
    date object by object from informer events: a change recomputes the free capacity of the one
    node it touches, so an answer costs O(nodes) whatever the number of pods and however often
    nodes send heartbeats."""

    def __init__(self) -> None:
        self._infos: dict[str, NodeInfo] = {}
        self._allocatable: dict[str, Resources] = {}
        self._pods: dict[tuple[str, str], tuple[str, Resources]] = {}
        self._requested: dict[str, Resources] = {}
        self._sorted: list[NodeInfo] | None = None
        self._matching: dict[str, list[NodeInfo]] = {}  # claim -> the nodes it matches

    def set_node(self, node: Mapping[str, Any]) -> None:
        name = (node.get("metadata") or {}).get("name") or ""
        allocatable = resources_of((node.get("status") or {}).get("allocatable"))
        allocatable.setdefault(PODS, 0)
        self._allocatable[name] = allocatable
        info = self._infos.get(name)
        if info is None:
            self._infos[name] = NodeInfo(node)
            self._sorted = None
            self._matching.clear()
        else:
            if _match_fields(info.node) != _match_fields(node):
                self._matching.clear()
            info.node = node  # a heartbeat changes none of the fields matching reads
        self._refresh(name)

    def remove_node(self, name: str) -> None:
        self._allocatable.pop(name, None)
        if self._infos.pop(name, None) is not None:
            self._sorted = None
            self._matching.clear()

    def set_pod(self, pod: Mapping[str, Any]) -> None:
        """Add, update or (a terminal or unbound pod) drop a pod's contribution."""
        meta = pod.get("metadata") or {}
        key = (meta.get("namespace") or "", meta.get("name") or "")
        node = (pod.get("spec") or {}).get("nodeName") or ""
        if not node or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self.remove_pod(key)
            return
        requests = pod_requests(pod)
        requests[PODS] = 1
        if self._pods.get(key) == (node, requests):
            return
        self.remove_pod(key)
        self._pods[key] = (node, requests)
        _add(self._requested.setdefault(node, {}), requests)
        self._refresh(node)

    def remove_pod(self, key: tuple[str, str]) -> None:
        held = self._pods.pop(key, None)
        if held is None:
            return
        node, requests = held
        _add(self._requested[node], {name: -amount for name, amount in requests.items()})
        self._refresh(node)

    def _refresh(self, name: str) -> None:
        info = self._infos.get(name)
        if info is not None:
            requested = self._requested.get(name) or {}
            info.free = {r: max(amount - requested.get(r, 0), 0) for r, amount in self._allocatable[name].items()}

    def node_infos(self) -> list[NodeInfo]:
        """Free capacity of every node, sorted by name. The list and its items are the book's
        own, updated in place by later events: read them, copy before changing one."""
        if self._sorted is None:
            self._sorted = [self._infos[name] for name in sorted(self._infos)]
        return self._sorted

    def matching(self, claim: NodeClaim | None) -> list[NodeInfo]:
        """The nodes ``claim`` matches (``node_matches``), remembered until a node's labels,
        taints or schedulability change: most requests of a burst share a few claims."""
        key = "" if claim is None else json.dumps([claim.node_selector, claim.affinity_terms, claim.tolerations], sort_keys=True)
        nodes = self._matching.get(key)
        if nodes is None:
            if len(self._matching) >= MATCH_CACHE_SIZE:
                self._matching.clear()
            nodes = self._matching[key] = [info for info in self.node_infos() if node_matches(info.node, claim)]
        return nodes


def _match_fields(node: Mapping[str, Any]) -> tuple[Any, ...]:
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    return meta.get("labels"), spec.get("taints"), spec.get("unschedulable")


def node_infos(nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> list[NodeInfo]:
    """Free capacity of every node, after the non-terminal pods bound to it."""
    book = NodeBook()
    for node in nodes:
        book.set_node(node)
    for pod in pods:
        book.set_pod(pod)
    return book.node_infos()


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
    spec = node.get("spec") or {}
    if spec.get("unschedulable") and not any(tolerates_taint(t, UNSCHEDULABLE_TAINT) for t in tolerations):
        return False
    if spec.get("taints") and find_untolerated_taint(spec["taints"], tolerations) is not None:
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


def _needs(request: Mapping[str, int]) -> list[tuple[str, int]]:
    return [(name, need) for name, need in request.items() if name != PODS and need > 0]


def _fit(free: Mapping[str, int], needs: list[tuple[str, int]]) -> int:
    fit = free.get(PODS, 0)
    for name, need in needs:
        fit = min(fit, free.get(name, 0) // need)
    return max(fit, 0)


def max_divided(free: Mapping[str, int], request: Mapping[str, int]) -> int:
    """Replicas of ``request`` that fit in ``free`` (``Resource.MaxDivided``), bounded by pod slots."""
    return _fit(free, _needs(request))


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
    nodes: Sequence[NodeInfo] | NodeBook, requirements: ReplicaRequirements | None, assumed: Iterable[AssumedWorkload] = ()
) -> int:
    """Σ over matching nodes of what each takes; 0 without nodes. From a book, without assumed
    workloads, only the nodes the claim matches are visited."""
    assumed = list(assumed)
    claim = requirements.node_claim if requirements else None
    needs = _needs(requirements.resource_request if requirements else {})
    if isinstance(nodes, NodeBook):
        if not assumed:
            return min(sum(_fit(n.free, needs) for n in nodes.matching(claim)), MAX_INT32)
        nodes = nodes.node_infos()
    if not nodes:
        return 0
    if assumed:
        nodes = deduct_assumed(nodes, assumed)
    total = sum(_fit(n.free, needs) for n in nodes if node_matches(n.node, claim))
    return min(total, MAX_INT32)
