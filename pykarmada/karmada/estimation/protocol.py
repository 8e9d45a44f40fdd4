"""The scheduler-estimator protocol: JSON over HTTPS, one POST per call.

Upstream's estimator speaks gRPC (``pkg/estimator/pb``); ours carries the same messages as JSON
with the field names of the protobuf messages, and the replica requirements spelled as in a
ResourceBinding (``resourceRequest`` quantities, ``nodeClaim.hardNodeAffinity``) instead of
upstream's JSON-in-bytes fields:

* ``POST /v1/MaxAvailableReplicas``: ``{cluster, replicaRequirements, assumedWorkloads}`` ->
  ``{maxReplicas}``;
* ``POST /v1/GetUnschedulableReplicas``: ``{cluster, resource: {apiVersion, kind, namespace,
  name}, unschedulableThreshold}`` (nanoseconds, as the protobuf's int64) ->
  ``{unschedulableReplicas}``.

A request that cannot be answered is a 400 whose ``message`` names the field and the reason. The
parsers here turn wire JSON into checked values (resource amounts in scheduler units: CPU in
millicores, everything else in whole units), raising :class:`ProtocolError` on the first problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pykarmada.karmada.quantity import QuantityError, parse_quantity, quantity_milli_value, quantity_value

MAX_AVAILABLE_REPLICAS_PATH = "/v1/MaxAvailableReplicas"
UNSCHEDULABLE_REPLICAS_PATH = "/v1/GetUnschedulableReplicas"

UNKNOWN = -1  # an estimator's "I don't know" for one cluster (upstream's UnauthenticReplica)
CPU, MEMORY, PODS, EPHEMERAL_STORAGE = "cpu", "memory", "pods", "ephemeral-storage"
TOLERATION_OPERATORS = ("", "Equal", "Exists")
TAINT_EFFECTS = ("", "NoSchedule", "PreferNoSchedule", "NoExecute")
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")

Resources = dict[str, int]  # resource name -> amount in scheduler units


class ProtocolError(ValueError):
    """A request field that is missing, of the wrong type or impossible; ``field`` is its path."""

    def __init__(self, field_path: str, reason: str) -> None:
        super().__init__(f"{field_path}: {reason}")
        self.field = field_path
        self.reason = reason


def is_scalar_resource(name: str) -> bool:
    """Extended (``domain/name``), hugepages and attachable-volume resources (``IsScalarResourceName``)."""
    if name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    return "/" in name and not name.startswith("requests.")


def is_known_resource(name: str) -> bool:
    return name in (CPU, MEMORY, PODS, EPHEMERAL_STORAGE) or is_scalar_resource(name)


def resource_units(name: str, value: Any, where: str) -> int:
    """One quantity in scheduler units; negative, malformed and unknown names are errors."""
    if not isinstance(name, str) or not is_known_resource(name):
        raise ProtocolError(where, f"unknown resource name {name!r} (cpu, memory, pods, ephemeral-storage, or an extended domain/name resource)")
    try:
        exact = parse_quantity(value)
    except QuantityError:
        raise ProtocolError(where, f"{value!r} is not a quantity") from None
    if exact < 0:
        raise ProtocolError(where, f"must not be negative, got {value!r}")
    return quantity_milli_value(value) if name == CPU else quantity_value(value)


def _mapping(value: Any, where: str, *, required: bool = False) -> Mapping[str, Any]:
    if value is None:
        if required:
            raise ProtocolError(where, "required")
        return {}
    if not isinstance(value, Mapping):
        raise ProtocolError(where, f"must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProtocolError(where, f"must be a list, got {type(value).__name__}")
    return value


def _string(value: Any, where: str, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise ProtocolError(where, "required")
        return ""
    if not isinstance(value, str):
        raise ProtocolError(where, f"must be a string, got {type(value).__name__}")
    return value


def _int(value: Any, where: str, *, minimum: int = 0) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(where, f"must be an integer, got {value!r}")
    if value < minimum:
        raise ProtocolError(where, f"must be greater than or equal to {minimum}, got {value}")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    out = {}
    for k, v in _mapping(value, where).items():
        out[k] = _string(v, f"{where}.{k}")
    return out


@dataclass(frozen=True)
class NodeClaim:
    node_selector: dict[str, str] = field(default_factory=dict)
    # NodeSelector terms of the required node affinity; None: no affinity (every node matches).
    affinity_terms: list[dict[str, Any]] | None = None
    tolerations: list[dict[str, Any]] = field(default_factory=list)


def _requirements_list(value: Any, where: str) -> list[dict[str, Any]]:
    out = []
    for i, req in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        req = _mapping(req, at, required=True)
        _string(req.get("key"), f"{at}.key", required=True)
        op = _string(req.get("operator"), f"{at}.operator", required=True)
        if op not in NODE_SELECTOR_OPERATORS:
            raise ProtocolError(f"{at}.operator", f"unsupported operator {op!r} (one of {', '.join(NODE_SELECTOR_OPERATORS)})")
        values = [_string(v, f"{at}.values[{j}]") for j, v in enumerate(_list(req.get("values"), f"{at}.values"))]
        if op in ("In", "NotIn") and not values:
            raise ProtocolError(f"{at}.values", f"must be non-empty for operator {op}")
        if op in ("Exists", "DoesNotExist") and values:
            raise ProtocolError(f"{at}.values", f"must be empty for operator {op}")
        if op in ("Gt", "Lt") and (len(values) != 1 or not values[0].lstrip("-").isdigit()):
            raise ProtocolError(f"{at}.values", f"operator {op} needs exactly one integer value")
        out.append({"key": req["key"], "operator": op, "values": values})
    return out


def parse_node_claim(value: Any, where: str) -> NodeClaim | None:
    if value is None:
        return None
    claim = _mapping(value, where)
    terms = None
    affinity = claim.get("hardNodeAffinity")
    if affinity is not None:
        at = f"{where}.hardNodeAffinity.nodeSelectorTerms"
        terms = []
        for i, term in enumerate(_list(_mapping(affinity, f"{where}.hardNodeAffinity").get("nodeSelectorTerms"), at)):
            term = _mapping(term, f"{at}[{i}]", required=True)
            terms.append(
                {
                    "matchExpressions": _requirements_list(term.get("matchExpressions"), f"{at}[{i}].matchExpressions"),
                    "matchFields": _requirements_list(term.get("matchFields"), f"{at}[{i}].matchFields"),
                }
            )
    tolerations = []
    for i, tol in enumerate(_list(claim.get("tolerations"), f"{where}.tolerations")):
        at = f"{where}.tolerations[{i}]"
        tol = _mapping(tol, at, required=True)
        op = _string(tol.get("operator"), f"{at}.operator")
        if op not in TOLERATION_OPERATORS:
            raise ProtocolError(f"{at}.operator", f"unsupported operator {op!r} (Equal or Exists)")
        effect = _string(tol.get("effect"), f"{at}.effect")
        if effect not in TAINT_EFFECTS:
            raise ProtocolError(f"{at}.effect", f"unsupported effect {effect!r} (NoSchedule, PreferNoSchedule or NoExecute)")
        key = _string(tol.get("key"), f"{at}.key")
        value_ = _string(tol.get("value"), f"{at}.value")
        if op == "Exists" and value_:
            raise ProtocolError(f"{at}.value", "must be empty when operator is Exists")
        tolerations.append({"key": key, "operator": op, "value": value_, "effect": effect})
    return NodeClaim(_string_map(claim.get("nodeSelector"), f"{where}.nodeSelector"), terms, tolerations)


@dataclass(frozen=True)
class ReplicaRequirements:
    resource_request: Resources = field(default_factory=dict)
    node_claim: NodeClaim | None = None
    namespace: str = ""
    priority_class_name: str = ""


def parse_replica_requirements(value: Any, where: str) -> ReplicaRequirements | None:
    if value is None:
        return None
    req = _mapping(value, where)
    request_at = f"{where}.resourceRequest"
    request = {name: resource_units(name, q, f"{request_at}.{name}") for name, q in _mapping(req.get("resourceRequest"), request_at).items()}
    return ReplicaRequirements(
        resource_request=request,
        node_claim=parse_node_claim(req.get("nodeClaim"), f"{where}.nodeClaim"),
        namespace=_string(req.get("namespace"), f"{where}.namespace"),
        priority_class_name=_string(req.get("priorityClassName"), f"{where}.priorityClassName"),
    )


@dataclass(frozen=True)
class Component:
    name: str
    replicas: int
    requirements: ReplicaRequirements | None


@dataclass(frozen=True)
class AssumedWorkload:
    """Capacity the scheduler assigned to this cluster that the member may not show in use yet."""

    namespace: str
    components: list[Component]


def parse_assumed_workloads(value: Any, where: str) -> list[AssumedWorkload]:
    out = []
    for i, item in enumerate(_list(value, where)):
        at = f"{where}[{i}]"
        item = _mapping(item, at, required=True)
        components = []
        for j, comp in enumerate(_list(item.get("components"), f"{at}.components")):
            cat = f"{at}.components[{j}]"
            comp = _mapping(comp, cat, required=True)
            components.append(
                Component(
                    name=_string(comp.get("name"), f"{cat}.name"),
                    replicas=_int(comp.get("replicas"), f"{cat}.replicas"),
                    requirements=parse_replica_requirements(comp.get("replicaRequirements"), f"{cat}.replicaRequirements"),
                )
            )
        out.append(AssumedWorkload(_string(item.get("namespace"), f"{at}.namespace"), components))
    return out


@dataclass(frozen=True)
class MaxAvailableReplicasRequest:
    cluster: str
    requirements: ReplicaRequirements | None
    assumed_workloads: list[AssumedWorkload]


def parse_max_available_replicas(body: Any) -> MaxAvailableReplicasRequest:
    body = _mapping(body, "body", required=True)
    return MaxAvailableReplicasRequest(
        cluster=_string(body.get("cluster"), "cluster", required=True),
        requirements=parse_replica_requirements(body.get("replicaRequirements"), "replicaRequirements"),
        assumed_workloads=parse_assumed_workloads(body.get("assumedWorkloads"), "assumedWorkloads"),
    )


@dataclass(frozen=True)
class ObjectReference:
    api_version: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class UnschedulableReplicasRequest:
    cluster: str
    resource: ObjectReference
    threshold_seconds: float


def parse_unschedulable_replicas(body: Any) -> UnschedulableReplicasRequest:
    body = _mapping(body, "body", required=True)
    ref = _mapping(body.get("resource"), "resource", required=True)
    threshold = body.get("unschedulableThreshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, type(None))):
        raise ProtocolError("unschedulableThreshold", f"must be an integer number of nanoseconds, got {threshold!r}")
    return UnschedulableReplicasRequest(
        cluster=_string(body.get("cluster"), "cluster", required=True),
        resource=ObjectReference(
            api_version=_string(ref.get("apiVersion"), "resource.apiVersion", required=True),
            kind=_string(ref.get("kind"), "resource.kind", required=True),
            namespace=_string(ref.get("namespace"), "resource.namespace"),
            name=_string(ref.get("name"), "resource.name", required=True),
        ),
        # Negative thresholds count as 0 (upstream clamps them).
        threshold_seconds=max(threshold or 0, 0) / 1e9,
    )


# ---- building requests (what the scheduler and the descheduler send) ---------------------------


def wire_requirements(spec_requirements: Mapping[str, Any] | None, namespace: str) -> dict[str, Any] | None:
    """A binding's ``spec.replicaRequirements`` as the protocol carries it."""
    if spec_requirements is None:
        return None
    out: dict[str, Any] = {"namespace": spec_requirements.get("namespace") or namespace}
    for key in ("resourceRequest", "nodeClaim", "priorityClassName"):
        if spec_requirements.get(key):
            out[key] = spec_requirements[key]
    return out


def max_available_replicas_body(
    cluster: str, requirements: Mapping[str, Any] | None, assumed: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"cluster": cluster}
    if requirements is not None:
        body["replicaRequirements"] = dict(requirements)
    if assumed:
        body["assumedWorkloads"] = assumed
    return body


def unschedulable_replicas_body(cluster: str, resource: Mapping[str, Any], threshold_seconds: float) -> dict[str, Any]:
    ref = {k: resource.get(k) or "" for k in ("apiVersion", "kind", "namespace", "name")}
    return {"cluster": cluster, "resource": ref, "unschedulableThreshold": int(threshold_seconds * 1e9)}
