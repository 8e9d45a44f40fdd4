"""Selectors shared by the detector, the scheduler and overrides.

* ``label_selector_matches``: a ``metav1.LabelSelector`` (matchLabels + matchExpressions).
* ``cluster_matches``: a Karmada ``ClusterAffinity`` against a Cluster object.
* ``resource_selector_priority`` and friends: policy ``resourceSelectors`` against a template,
  with the implicit priority mismatch(0) < match-all(1) < labelSelector(2) < name(3).

Invalid selectors (``In`` without values, unknown operators...) never match, as in apimachinery,
where building the selector fails and the caller treats the failure as "no match".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

__all__ = [
    "SelectorError",
    "LabelSelector",
    "ClusterAffinity",
    "ResourceSelector",
    "PRIORITY_MISMATCH",
    "PRIORITY_MATCH_ALL",
    "PRIORITY_MATCH_LABEL_SELECTOR",
    "PRIORITY_MATCH_NAME",
    "label_selector_matches",
    "node_selector_requirements_match",
    "cluster_matches",
    "resource_selector_priority",
    "resource_matches",
    "resource_matches_selectors",
    "selectors_priority",
]


class SelectorError(ValueError):
    """A selector that apimachinery would refuse to build."""


class LabelSelectorRequirement(TypedDict, total=False):
    key: str
    operator: str
    values: list[str]


class LabelSelector(TypedDict, total=False):
    matchLabels: dict[str, str]
    matchExpressions: list[LabelSelectorRequirement]


class FieldSelector(TypedDict, total=False):
    matchExpressions: list[LabelSelectorRequirement]


# The JSON key of ExcludeClusters is "exclude".
ClusterAffinity = TypedDict(
    "ClusterAffinity",
    {"labelSelector": LabelSelector, "fieldSelector": FieldSelector, "clusterNames": list[str], "exclude": list[str]},
    total=False,
)


class ResourceSelector(TypedDict, total=False):
    apiVersion: str
    kind: str
    namespace: str
    name: str
    labelSelector: LabelSelector


PRIORITY_MISMATCH = 0
PRIORITY_MATCH_ALL = 1
PRIORITY_MATCH_LABEL_SELECTOR = 2
PRIORITY_MATCH_NAME = 3

ZONE_FIELD = "zone"
PROVIDER_FIELD = "provider"
REGION_FIELD = "region"


# ---------------------------------------------------------------------------------------------
# Label selectors


def _requirement_matches(req: Mapping[str, Any], labels: Mapping[str, str], *, node_ops: bool) -> bool:
    """One requirement, with apimachinery's validation of operator and value count."""
    key = req.get("key") or ""
    op = req.get("operator") or ""
    values = req.get("values") or []
    if not key:
        raise SelectorError("requirement key must not be empty")
    if op in ("In", "NotIn"):
        if not values:
            raise SelectorError(f"values: Required value: for 'in', 'notin' operators, values set can't be empty ({key})")
        present = key in labels
        if op == "In":
            return present and labels[key] in values
        return not present or labels[key] not in values
    if op in ("Exists", "DoesNotExist"):
        if values:
            raise SelectorError(f"values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist' ({key})")
        return (key in labels) == (op == "Exists")
    if node_ops and op in ("Gt", "Lt"):
        if len(values) != 1:
            raise SelectorError(f"values: Required value: for 'Gt', 'Lt' operators, exactly one value is required ({key})")
        try:
            bound = int(values[0])
        except ValueError as exc:
            raise SelectorError(f"values[0]: Invalid value: {values[0]!r}: for 'Gt', 'Lt' operators, the value must be an integer") from exc
        if key not in labels:
            return False
        try:
            actual = int(labels[key])
        except ValueError:
            return False
        return actual > bound if op == "Gt" else actual < bound
    raise SelectorError(f"{op!r} is not a valid label selector operator")


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """``LabelSelectorAsSelector(selector).Matches(labels)``.

    ``None`` selects nothing and ``{}`` selects everything, as in apimachinery; callers that give
    a missing selector another meaning (no restriction) must check for ``None`` themselves.
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    # Evaluate every expression: an invalid one anywhere means no match, whatever the order
    # (apimachinery fails while building the selector, before matching anything).
    try:
        results = [_requirement_matches(req, labels, node_ops=False) for req in selector.get("matchExpressions") or []]
    except SelectorError:
        return False
    return all(results)


def node_selector_requirements_match(requirements: Sequence[Mapping[str, Any]], fields: Mapping[str, str]) -> bool:
    """NodeSelectorRequirements (In, NotIn, Exists, DoesNotExist, Gt, Lt) ANDed over ``fields``."""
    try:
        results = [_requirement_matches(req, fields, node_ops=True) for req in requirements]
    except SelectorError:
        return False
    return all(results)


# ---------------------------------------------------------------------------------------------
# Cluster affinity


def _zones_match(req: Mapping[str, Any], zones: Sequence[str]) -> bool:
    op = req.get("operator")
    values = req.get("values") or []
    if op == "In":
        return bool(zones) and any(z in values for z in zones)
    if op == "NotIn":
        return not any(z in values for z in zones)
    if op == "Exists":
        return bool(zones)
    if op == "DoesNotExist":
        return not zones
    return False


def cluster_matches(cluster: Mapping[str, Any], affinity: Mapping[str, Any] | None) -> bool:
    """Does the Cluster object satisfy the ClusterAffinity?

    Order: ``exclude`` -> labelSelector -> fieldSelector -> clusterNames; every part that is set
    must hold, and an affinity with nothing set matches every cluster.
    """
    if affinity is None:
        return True
    metadata = cluster.get("metadata") or {}
    name = metadata.get("name")
    if name in (affinity.get("exclude") or ()):
        return False

    label_selector = affinity.get("labelSelector")
    if label_selector is not None and not label_selector_matches(label_selector, metadata.get("labels")):
        return False

    field_selector = affinity.get("fieldSelector")
    if field_selector is not None:
        spec = cluster.get("spec") or {}
        others = []
        for req in field_selector.get("matchExpressions") or []:
            if req.get("key") == ZONE_FIELD:
                if not _zones_match(req, spec.get("zones") or []):
                    return False
            else:
                others.append(req)
        if others:
            fields = {}
            if spec.get("provider"):
                fields[PROVIDER_FIELD] = spec["provider"]
            if spec.get("region"):
                fields[REGION_FIELD] = spec["region"]
            if not node_selector_requirements_match(others, fields):
                return False

    names = affinity.get("clusterNames") or ()
    return not names or name in names


# ---------------------------------------------------------------------------------------------
# Resource selectors


def resource_selector_priority(resource: Mapping[str, Any], selector: Mapping[str, Any]) -> int:
    """Implicit priority of one ResourceSelector for a template (0 = no match)."""
    metadata = resource.get("metadata") or {}
    if resource.get("apiVersion") != selector.get("apiVersion") or resource.get("kind") != selector.get("kind"):
        return PRIORITY_MISMATCH
    namespace = selector.get("namespace") or ""
    if namespace and (metadata.get("namespace") or "") != namespace:
        return PRIORITY_MISMATCH
    name = selector.get("name") or ""
    if name:
        return PRIORITY_MATCH_NAME if name == metadata.get("name") else PRIORITY_MISMATCH
    label_selector = selector.get("labelSelector")
    if label_selector is None:
        return PRIORITY_MATCH_ALL
    if label_selector_matches(label_selector, metadata.get("labels")):
        return PRIORITY_MATCH_LABEL_SELECTOR
    return PRIORITY_MISMATCH


def resource_matches(resource: Mapping[str, Any], selector: Mapping[str, Any]) -> bool:
    return resource_selector_priority(resource, selector) > PRIORITY_MISMATCH


def resource_matches_selectors(resource: Mapping[str, Any], selectors: Iterable[Mapping[str, Any]]) -> bool:
    """True when at least one selector matches (an empty list matches nothing)."""
    return any(resource_matches(resource, s) for s in selectors)


def selectors_priority(resource: Mapping[str, Any], selectors: Iterable[Mapping[str, Any]]) -> int:
    """The highest implicit priority among the selectors (0 when none matches)."""
    return max((resource_selector_priority(resource, s) for s in selectors), default=PRIORITY_MISMATCH)
