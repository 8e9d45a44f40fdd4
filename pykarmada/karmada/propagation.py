"""Resource detector rules as pure functions (behaviour.md 1, api.md 4.7 and 12).

What is propagated at all (reserved and skipped namespaces, Karmada's own kinds), which policy
wins for a template, the claim metadata written on templates and bindings, and the binding the
detector wants for a (template, policy) pair, including how it is merged into an existing one.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykarmada.karmada import constants as C
from pykarmada.karmada.names import EXECUTION_SPACE_PREFIX, binding_name
from pykarmada.karmada.selectors import PRIORITY_MISMATCH, resource_matches_selectors, selectors_priority

Obj = dict[str, Any]

__all__ = [
    "Claim",
    "is_reserved_namespace",
    "compile_namespace_patterns",
    "is_template_event_wanted",
    "is_gvk_skipped",
    "specification_changed",
    "changed_by_karmada",
    "choose_policy",
    "policy_matches",
    "needs_claim",
    "OwnerConflict",
    "owner_reference",
    "resource_reference",
    "claim_of",
    "set_claim",
    "remove_claim",
    "has_claim_id",
    "policy_id",
    "build_binding",
    "merge_binding",
]

RESERVED_NAMESPACES = (C.KARMADA_SYSTEM_NAMESPACE, C.KARMADA_CLUSTER_NAMESPACE)


def is_reserved_namespace(namespace: str) -> bool:
    """``karmada-system``, ``karmada-cluster`` and every ``karmada-es-*``."""
    return namespace in RESERVED_NAMESPACES or namespace.startswith(EXECUTION_SPACE_PREFIX)


def compile_namespace_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """``--skipped-propagating-namespaces`` entries, anchored as upstream does (``^…$``)."""
    return [re.compile(f"^{p}$") for p in patterns]


def is_template_event_wanted(kind: str, namespace: str, name: str, skipped: Sequence[re.Pattern[str]]) -> bool:
    """The detector's event filter: reserved and skipped namespaces and kube-apiserver's own
    ``extension-apiserver-authentication`` ConfigMap never reach the queue. Cluster-scoped
    objects always pass."""
    if not namespace:
        return True
    if is_reserved_namespace(namespace) or any(p.match(namespace) for p in skipped):
        return False
    return (namespace, kind, name) != C.EXTENSION_APISERVER_AUTHENTICATION


def is_gvk_skipped(api_version: str, kind: str) -> bool:
    """Karmada's own groups, leases and core Events are never templates."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return group in C.DETECTOR_SKIPPED_GROUPS or api_version in C.DETECTOR_SKIPPED_GROUP_VERSIONS or (api_version, kind) in C.DETECTOR_SKIPPED_KINDS


def _without(obj: Mapping[str, Any], metadata_keys: Iterable[str]) -> Obj:
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    for key in metadata_keys:
        meta.pop(key, None)
    out["metadata"] = meta
    return out


def template_fingerprint(template: Mapping[str, Any]) -> int:
    """What a binding is built from, as a number: the template but its status, resourceVersion
    and managedFields. Equal fingerprints mean the template moved by its status only."""
    return hash(json.dumps(_without(template, ("managedFields", "resourceVersion")), sort_keys=True, default=str))


def only_resource_version_moved(existing: Mapping[str, Any], merged: Mapping[str, Any]) -> bool:
    """The update of a binding would change ``spec.resource.resourceVersion`` and nothing else."""

    def strip(binding: Mapping[str, Any]) -> Obj:
        spec = dict(binding.get("spec") or {})
        spec["resource"] = {k: v for k, v in (spec.get("resource") or {}).items() if k != "resourceVersion"}
        return {**binding, "spec": spec}

    return strip(existing) == strip(merged)


def specification_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Update events that matter: anything but status, managedFields and resourceVersion
    (label and annotation changes count)."""
    drop = ("managedFields", "resourceVersion")
    return _without(old, drop) != _without(new, drop)


def _karmada_free(meta: Mapping[str, Any], key: str) -> dict[str, str]:
    return {k: v for k, v in (meta.get(key) or {}).items() if ".karmada.io" not in k or k == C.NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL}


def changed_by_karmada(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Lazy activation (behaviour.md 1.7): true when the two versions differ only in Karmada's
    labels/annotations, generation, status, managedFields or resourceVersion."""

    def strip(obj: Mapping[str, Any]) -> Obj:
        out = _without(obj, ("managedFields", "resourceVersion", "generation"))
        meta = out["metadata"]
        for key in ("labels", "annotations"):
            meta[key] = _karmada_free(obj.get("metadata") or {}, key)
        return out

    return strip(old) == strip(new)


# ---------------------------------------------------------------------------------------------
# Policy choice


def _explicit_priority(policy: Mapping[str, Any]) -> int:
    return int((policy.get("spec") or {}).get("priority") or 0)


def _name(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def choose_policy(policies: Iterable[Mapping[str, Any]], template: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The best matching, non-deleting policy: highest explicit priority, then highest implicit
    priority (name 3 > labelSelector 2 > match-all 1), then the smallest name."""
    best: tuple[tuple[int, int, str], Mapping[str, Any]] | None = None
    for policy in policies:
        if (policy.get("metadata") or {}).get("deletionTimestamp"):
            continue
        implicit = selectors_priority(template, (policy.get("spec") or {}).get("resourceSelectors") or ())
        if implicit == PRIORITY_MISMATCH:
            continue
        rank = (-_explicit_priority(policy), -implicit, _name(policy))
        if best is None or rank < best[0]:
            best = (rank, policy)
    return best[1] if best else None


def policy_matches(policy: Mapping[str, Any], template: Mapping[str, Any]) -> bool:
    return resource_matches_selectors(template, (policy.get("spec") or {}).get("resourceSelectors") or ())


# ---------------------------------------------------------------------------------------------
# Claim metadata


@dataclass(frozen=True)
class Claim:
    """Which policy a template (or binding) is claimed by."""

    kind: str  # PropagationPolicy | ClusterPropagationPolicy
    namespace: str
    name: str
    id: str


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def policy_id(policy: Mapping[str, Any]) -> str:
    key = C.PROPAGATION_POLICY_PERMANENT_ID_LABEL if policy.get("kind") != C.KIND_CLUSTER_PROPAGATION_POLICY else C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL
    return _labels(policy).get(key) or ""


def claim_of(obj: Mapping[str, Any]) -> Claim | None:
    """The PP claim (namespace, name annotations and id label all set) or else the CPP claim."""
    labels, annotations = _labels(obj), _annotations(obj)
    ns = annotations.get(C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION) or ""
    name = annotations.get(C.PROPAGATION_POLICY_NAME_ANNOTATION) or ""
    pid = labels.get(C.PROPAGATION_POLICY_PERMANENT_ID_LABEL) or ""
    if ns and name and pid:
        return Claim(C.KIND_PROPAGATION_POLICY, ns, name, pid)
    name = annotations.get(C.CLUSTER_PROPAGATION_POLICY_ANNOTATION) or ""
    pid = labels.get(C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL) or ""
    if name and pid:
        return Claim(C.KIND_CLUSTER_PROPAGATION_POLICY, "", name, pid)
    return None


def _claim_keys(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind == C.KIND_PROPAGATION_POLICY:
        return (C.PROPAGATION_POLICY_PERMANENT_ID_LABEL,), (C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION, C.PROPAGATION_POLICY_NAME_ANNOTATION)
    return (C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL,), (C.CLUSTER_PROPAGATION_POLICY_ANNOTATION,)


def set_claim(obj: Obj, policy: Mapping[str, Any]) -> None:
    """Write the policy's claim label and annotations (in place). A PP claim also drops any CPP
    claim (behaviour.md 1.4)."""
    meta = obj.setdefault("metadata", {})
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    pmeta = policy.get("metadata") or {}
    if policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY:
        labels[C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL] = policy_id(policy)
        annotations[C.CLUSTER_PROPAGATION_POLICY_ANNOTATION] = pmeta.get("name") or ""
    else:
        labels[C.PROPAGATION_POLICY_PERMANENT_ID_LABEL] = policy_id(policy)
        annotations[C.PROPAGATION_POLICY_NAMESPACE_ANNOTATION] = pmeta.get("namespace") or ""
        annotations[C.PROPAGATION_POLICY_NAME_ANNOTATION] = pmeta.get("name") or ""
    meta["labels"], meta["annotations"] = labels, annotations
    if policy.get("kind") != C.KIND_CLUSTER_PROPAGATION_POLICY:
        remove_claim(obj, C.KIND_CLUSTER_PROPAGATION_POLICY)


def remove_claim(obj: Obj, kind: str) -> bool:
    """Drop the claim label/annotations of one policy kind (in place); True if anything changed."""
    label_keys, annotation_keys = _claim_keys(kind)
    meta = obj.get("metadata") or {}
    changed = False
    for field, keys in (("labels", label_keys), ("annotations", annotation_keys)):
        values = meta.get(field)
        if values:
            for key in keys:
                if key in values:
                    del values[key]
                    changed = True
    return changed


def has_claim_id(obj: Mapping[str, Any], kind: str, pid: str) -> bool:
    """The object still carries this policy id (cleanups only touch objects that do)."""
    return _labels(obj).get(_claim_keys(kind)[0][0]) == pid


def needs_claim(template: Mapping[str, Any], policy: Mapping[str, Any]) -> bool:
    """Skip the template write when the claim is already in place (behaviour.md 1.4)."""
    labels = _labels(template)
    if policy.get("kind") == C.KIND_CLUSTER_PROPAGATION_POLICY:
        return labels.get(C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL) != policy_id(policy)
    if C.CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL in labels or C.CLUSTER_PROPAGATION_POLICY_ANNOTATION in _annotations(template):
        return True
    return labels.get(C.PROPAGATION_POLICY_PERMANENT_ID_LABEL) != policy_id(policy)


# ---------------------------------------------------------------------------------------------
# Bindings


def owner_reference(template: Mapping[str, Any]) -> Obj:
    meta = template.get("metadata") or {}
    return {
        "apiVersion": template.get("apiVersion"),
        "kind": template.get("kind"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def resource_reference(template: Mapping[str, Any]) -> Obj:
    meta = template.get("metadata") or {}
    ref = {"apiVersion": template.get("apiVersion"), "kind": template.get("kind")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    ref.update(name=meta.get("name"), uid=meta.get("uid"), resourceVersion=meta.get("resourceVersion"))
    return ref


def build_binding(
    template: Mapping[str, Any],
    policy: Mapping[str, Any],
    *,
    replicas: int = 0,
    replica_requirements: Mapping[str, Any] | None = None,
    schedule_priority: int | None = None,
) -> Obj:
    """The (Cluster)ResourceBinding the detector wants (behaviour.md 1.5 step 3): an RB in the
    template's namespace (also for a CPP), a CRB for a cluster-scoped template."""
    meta = template.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    spec_in = policy.get("spec") or {}
    spec: Obj = {"resource": resource_reference(template)}
    if replicas:
        spec["replicas"] = replicas
    if replica_requirements is not None:
        spec["replicaRequirements"] = copy.deepcopy(dict(replica_requirements))
    if spec_in.get("propagateDeps"):
        spec["propagateDeps"] = True
    for key in ("schedulerName", "failover", "conflictResolution", "preserveResourcesOnDeletion"):
        if spec_in.get(key) is not None:
            spec[key] = copy.deepcopy(spec_in[key])
    spec["placement"] = copy.deepcopy(spec_in.get("placement") or {})
    if spec_in.get("suspension") is not None:
        spec["suspension"] = copy.deepcopy(spec_in["suspension"])
    if namespace and schedule_priority is not None:
        spec["schedulePriority"] = {"priority": schedule_priority}
    binding: Obj = {
        "apiVersion": C.WORK_V1ALPHA2,
        "kind": C.KIND_RESOURCE_BINDING if namespace else C.KIND_CLUSTER_RESOURCE_BINDING,
        "metadata": {
            "name": binding_name(template.get("kind") or "", meta.get("name") or ""),
            "ownerReferences": [owner_reference(template)],
            "finalizers": [C.BINDING_CONTROLLER_FINALIZER if namespace else C.CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER],
        },
        "spec": spec,
    }
    if namespace:
        binding["metadata"]["namespace"] = namespace
    set_claim(binding, policy)
    return binding


# Fields the detector owns on an existing binding; everything else (clusters, eviction tasks,
# requiredBy, rescheduleTriggeredAt...) belongs to other controllers (behaviour.md 1.5 step 4).
_OWNED_SPEC_FIELDS = (
    "resource",
    "replicaRequirements",
    "replicas",
    "components",
    "propagateDeps",
    "schedulerName",
    "placement",
    "failover",
    "conflictResolution",
    "preserveResourcesOnDeletion",
    "schedulePriority",
)


class OwnerConflict(Exception):
    """The binding is controlled by another object (an old template with the same name): wait for
    the garbage collector."""


def merge_binding(existing: Mapping[str, Any], desired: Mapping[str, Any]) -> Obj:
    """``existing`` updated with what the detector owns; labels, annotations and finalizers are
    merged, the owner references replaced. A PP-applied binding loses any CPP claim."""
    desired_owner = ((desired.get("metadata") or {}).get("ownerReferences") or [{}])[0]
    for ref in (existing.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller") and ref.get("uid") != desired_owner.get("uid"):
            raise OwnerConflict(
                "failed to update binding due to different owner reference UID, will try again later after binding is garbage collected"
            )
    out = copy.deepcopy(dict(existing))
    meta, want = out.setdefault("metadata", {}), desired.get("metadata") or {}
    meta["labels"] = {**(meta.get("labels") or {}), **(want.get("labels") or {})}
    meta["annotations"] = {**(meta.get("annotations") or {}), **(want.get("annotations") or {})}
    finalizers = list(meta.get("finalizers") or [])
    finalizers += [f for f in want.get("finalizers") or () if f not in finalizers]
    meta["finalizers"] = finalizers
    meta["ownerReferences"] = copy.deepcopy(want.get("ownerReferences") or [])
    spec, want_spec = out.setdefault("spec", {}), desired.get("spec") or {}
    for key in _OWNED_SPEC_FIELDS:
        if key == "schedulePriority" and out.get("kind") == C.KIND_CLUSTER_RESOURCE_BINDING:
            continue
        if key in want_spec:
            spec[key] = copy.deepcopy(want_spec[key])
        else:
            spec.pop(key, None)
    policy_suspension = want_spec.get("suspension") or {}
    scheduling = (spec.get("suspension") or {}).get("scheduling")
    suspension = {k: copy.deepcopy(v) for k, v in policy_suspension.items() if k != "scheduling"}
    if scheduling is not None:
        suspension["scheduling"] = scheduling
    if suspension:
        spec["suspension"] = suspension
    else:
        spec.pop("suspension", None)
    desired_claim = claim_of(desired)
    if desired_claim is not None and desired_claim.kind == C.KIND_PROPAGATION_POLICY:
        remove_claim(out, C.KIND_CLUSTER_PROPAGATION_POLICY)
    return out
