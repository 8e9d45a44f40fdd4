"""ClusterTaintPolicy (policy.karmada.io/v1alpha1): taints a cluster gets and loses as its
conditions change (behaviour.md 6.3), and the webhook's validation. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pykarmada.karmada.fielderrors import FieldError, FieldPath, duplicate, forbidden
from pykarmada.karmada.selectors import cluster_matches
from pykarmada.karmada.taints import NO_EXECUTE, same_taint

Obj = dict[str, Any]
OPERATOR_IN = "In"
OPERATOR_NOT_IN = "NotIn"
NO_EXECUTE_FORBIDDEN = (
    "Configuring taint with NoExecute effect is not allowed, this capability must be explicitly enabled by "
    "administrators through command-line flags"
)


def condition_matches(conditions: Iterable[Mapping[str, Any]] | None, match: Sequence[Mapping[str, Any]] | None) -> bool:
    """All match conditions hold (ANDed); an empty list never matches. ``In``: the cluster has the
    condition type with one of the status values; ``NotIn``: it has it with none of them (a
    condition the cluster lacks matches neither); another operator matches nothing."""
    if not match:
        return False
    by_type: dict[str, list[str]] = {}
    for condition in conditions or ():
        by_type.setdefault(condition.get("type") or "", []).append(condition.get("status") or "")
    for m in match:
        statuses = by_type.get(m.get("conditionType") or "")
        if not statuses:
            return False
        values = m.get("statusValues") or []
        operator = m.get("operator")
        if operator == OPERATOR_IN:
            ok = any(s in values for s in statuses)
        elif operator == OPERATOR_NOT_IN:
            ok = statuses[-1] not in values  # as upstream: the last condition of the type decides
        else:
            return False
        if not ok:
            return False
    return True


def add_taints(current: Sequence[Mapping[str, Any]], taints: Iterable[Mapping[str, Any]], now: str) -> list[Obj]:
    """``current`` with each policy taint whose key and effect are absent, ``timeAdded`` now."""
    out = [dict(t) for t in current]
    for taint in taints:
        if not any(same_taint(t, taint) for t in out):
            new = {"key": taint.get("key") or "", "effect": taint.get("effect") or "", "timeAdded": now}
            if taint.get("value"):
                new["value"] = taint["value"]
            out.append(new)
    return out


def remove_taints(current: Sequence[Mapping[str, Any]], taints: Iterable[Mapping[str, Any]]) -> list[Obj]:
    """``current`` without the first taint of each policy taint's key and effect."""
    out = [dict(t) for t in current]
    for taint in taints:
        index = next((i for i, t in enumerate(out) if same_taint(t, taint)), None)
        if index is not None:
            del out[index]
    return out


def _created(policy: Mapping[str, Any]) -> str:
    return (policy.get("metadata") or {}).get("creationTimestamp") or ""


def cluster_taints(cluster: Mapping[str, Any], policies: Iterable[Mapping[str, Any]], now: str) -> list[Obj]:
    """The Cluster's ``spec.taints`` after every policy targeting it, oldest policy first: its
    taints added when ``addOnConditions`` match, then removed when ``removeOnConditions`` match.
    Clusters a policy no longer targets keep what it added."""
    taints = [dict(t) for t in (cluster.get("spec") or {}).get("taints") or ()]
    conditions = (cluster.get("status") or {}).get("conditions") or ()
    for policy in sorted(policies, key=_created):
        spec = policy.get("spec") or {}
        if not targets(policy, cluster):
            continue
        if condition_matches(conditions, spec.get("addOnConditions")):
            taints = add_taints(taints, spec.get("taints") or (), now)
        if condition_matches(conditions, spec.get("removeOnConditions")):
            taints = remove_taints(taints, spec.get("taints") or ())
    return taints


def targets(policy: Mapping[str, Any], cluster: Mapping[str, Any]) -> bool:
    affinity = (policy.get("spec") or {}).get("targetClusters")
    return affinity is None or cluster_matches(cluster, affinity)


def validate_cluster_taint_policy(policy: Mapping[str, Any], *, allow_no_execute: bool) -> list[FieldError]:
    """The webhook's rules: NoExecute taints only with ``--allow-no-execute-taint-policy``; no
    two taints with the same key and effect."""
    path = FieldPath("spec", "taints")
    taints = list((policy.get("spec") or {}).get("taints") or ())
    errors: list[FieldError] = []
    for i, taint in enumerate(taints):
        if not allow_no_execute and taint.get("effect") == NO_EXECUTE:
            errors.append(forbidden(path.index(i), NO_EXECUTE_FORBIDDEN))
        if any(same_taint(taint, other) for other in taints[i + 1 :]):
            message = f"Duplicate taint with the same key({taint.get('key') or ''}) and effect({taint.get('effect') or ''}) is not allowed"
            errors.append(duplicate(path.index(i), message))
    return errors


def no_execute_everywhere_warning(policy: Mapping[str, Any]) -> list[str]:
    """The admission warning for a policy whose NoExecute taints may land on every cluster: no
    ``targetClusters``, or one that narrows nothing. When its conditions hold everywhere (say,
    the control plane loses its network) it would evict every workload at once."""
    spec = policy.get("spec") or {}
    affinity = spec.get("targetClusters") or {}
    if any(affinity.get(k) for k in ("clusterNames", "exclude", "labelSelector", "fieldSelector")):
        return []
    if not any(t.get("effect") == NO_EXECUTE for t in spec.get("taints") or ()):
        return []
    return ["spec.targetClusters: selects every cluster, so these NoExecute taints may evict every workload from every cluster at once"]
